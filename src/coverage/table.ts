import { visibleLine } from "../eql/terminal-text.ts";
import type { CoverageModel } from "./model.ts";

const pad = (text: string, width: number) => text + " ".repeat(Math.max(0, width - text.length));
const left = (text: string, width: number) => " ".repeat(Math.max(0, width - text.length)) + text;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The coverage as a terminal table: tactics in kill-chain order, techniques and sub-techniques indented. */
export function coverageTable(model: CoverageModel): string {
  const rows: [string, string, string][] = [];
  for (const tactic of model.tactics) {
    rows.push([`${tactic.id} ${tactic.name}`, String(tactic.rules.length), String(tactic.tested)]);
    for (const t of tactic.techniques) {
      rows.push([`  ${t.id} ${t.name}`, String(t.rules.length), String(t.tested)]);
      for (const s of t.subtechniques)
        rows.push([`    ${s.id} ${s.name}`, String(s.rules.length), String(s.tested)]);
    }
  }
  const header: [string, string, string] = ["TACTIC / TECHNIQUE", "RULES", "TESTED"];
  // names come from rule files: one line each, nothing a terminal would act on
  for (const r of rows) r[0] = visibleLine(r[0]);
  const width = Math.max(header[0].length, ...rows.map((r) => r[0].length));
  const line = (r: [string, string, string]) =>
    `${pad(r[0], width)}  ${left(r[1], header[1].length)}  ${left(r[2], header[2].length)}`;
  const out: string[] = [];
  if (rows.length) out.push(line(header), ...rows.map(line), "");
  const s = model.summary;
  out.push(
    `${plural(s.techniques, "technique")} and ${plural(s.subtechniques, "sub-technique")} covered in ` +
      `${plural(s.tactics, "tactic")}; ${plural(s.mapped, "rule")} with an ATT&CK mapping, ` +
      `${s.unmapped} without; ${s.tested} of ${s.rules} tested`,
  );
  if (model.unmapped.length) {
    const rules = new Map(model.rules.map((r) => [r.rule_id, r]));
    out.push("rules without an ATT&CK mapping:");
    for (const id of model.unmapped) out.push(visibleLine(`  ${rules.get(id)?.name ?? id} (${id})`));
  }
  return `${out.join("\n")}\n`;
}
