import type { RuleSampleResult, SampleReport } from "../engine/sample-check.ts";

/** Where the sample came from, for the report: the files read and the lines skipped. */
export interface SampleInput {
  files: string[];
  malformed: number;
}

/** What "needs" means, said once above the list: the rule of `ruleNeeds`, in a sentence. */
const NEEDS =
  "(A rule needs the fields its query reads, except `?field`s and fields read only in `until` or `![...]`; " +
  "its join keys; each term's category; a sequence's timestamp. Fields under `not` count too: " +
  "without them the exclusion never applies.)";

/** `validate --data` as text: the rules that cannot fire on the sample, and why; then a summary line. */
export function formatSampleText(report: SampleReport, input: SampleInput): string {
  const { events, rules } = report;
  const out: string[] = [];
  const skipped = input.malformed
    ? `, ${input.malformed} malformed line${plural(input.malformed)} skipped`
    : "";
  out.push(`Sample: ${events} event${plural(events)} from ${input.files.join(", ")}${skipped}`);

  const lacking = rules.filter(lacksSomething);
  if (lacking.length) {
    out.push("", "Rules that need what no event in the sample has:");
    for (const r of lacking) {
      out.push(`  ${ruleLabel(r)}`);
      for (const line of reasons(r)) out.push(`    ${line}`);
    }
    out.push(wrap(NEEDS));
  }

  const silent = rules.filter((r) => r.matches === 0);
  if (silent.length) {
    out.push(
      "",
      `${silent.length} rule${plural(silent.length)} match${silent.length === 1 ? "es" : ""} nothing in the sample:`,
    );
    for (const r of silent) out.push(`  ${ruleLabel(r)}`);
  }

  const missing = rules.filter((r) => r.missingFields.length > 0).length;
  out.push(
    "",
    `sample: ${events} event${plural(events)}; ${rules.length} eql rule${plural(rules.length)} run: ` +
      `${missing} need${missing === 1 ? "s" : ""} fields no event has, ${silent.length} match${silent.length === 1 ? "es" : ""} nothing`,
  );
  return `${out.join("\n")}\n`;
}

/** `validate --data` as JSON: every rule run, with what it needs, what is missing and its matches. */
export function sampleJson(report: SampleReport, input: SampleInput) {
  return {
    files: input.files,
    events: report.events,
    malformed: input.malformed,
    rules: report.rules.map((r) => ({
      rule_id: r.rule.rule.rule_id,
      name: r.rule.rule.name,
      file: r.rule.origin.file,
      line: r.rule.origin.line,
      matches: r.matches,
      needed_fields: r.needs.fields,
      missing_fields: r.missingFields,
      missing_categories: r.missingCategories,
      in_index: r.inIndex,
      ...(r.error !== undefined && { error: r.error }),
    })),
    with_missing_fields: report.rules.filter((r) => r.missingFields.length > 0).length,
    matching_nothing: report.rules.filter((r) => r.matches === 0).length,
  };
}

function lacksSomething(r: RuleSampleResult): boolean {
  return r.missingFields.length > 0 || r.missingCategories.length > 0 || !r.inIndex || r.error !== undefined;
}

function reasons(r: RuleSampleResult): string[] {
  const lines: string[] = [];
  if (r.missingFields.length) lines.push(`missing fields: ${r.missingFields.join(", ")}`);
  const field = r.needs.categories.field;
  for (const c of r.missingCategories) lines.push(`no event has ${field} "${c}"`);
  if (!r.inIndex) {
    const patterns = (r.rule.rule.index as readonly string[] | undefined) ?? [];
    lines.push(`no event is in its index patterns (${patterns.join(", ")})`);
  }
  if (r.error !== undefined) lines.push(`failed and was disabled: ${r.error}`);
  return lines;
}

const ruleLabel = (r: RuleSampleResult): string =>
  `${r.rule.rule.name} (${r.rule.origin.file}:${r.rule.origin.line})`;

const plural = (n: number): string => (n === 1 ? "" : "s");

/** Breaks a long sentence at spaces so it reads in a terminal. */
function wrap(text: string, width = 100): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.join("\n");
}
