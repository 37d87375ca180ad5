/** How the benchmarks report: a Markdown table on stdout, and the numbers as JSON in bench/results/. */
import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";

/** The first row is the header; columns are padded to line up. */
export function markdownTable(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [
    line(rows[0]),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...rows.slice(1).map(line),
  ].join("\n");
}

/** Writes bench/results/<benchmark>-<timestamp>.json with the command and the machine; returns its path. */
export function writeResults(benchmark: string, results: Record<string, unknown>): string {
  const stamp = new Date().toISOString();
  const out = new URL(`results/${benchmark}-${stamp.replace(/[:.]/g, "-")}.json`, import.meta.url);
  const document = {
    benchmark,
    date: stamp,
    command: ["node", ...process.execArgv, ...process.argv.slice(1)].join(" "),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      totalMemGB: totalmem() / 2 ** 30,
      node: process.version,
      platform: process.platform,
    },
    ...results,
  };
  writeFileSync(out, `${JSON.stringify(document, null, 2)}\n`);
  return fileURLToPath(out);
}
