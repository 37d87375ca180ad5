/**
 * P3: loading and compiling every EQL rule of the detection-rules corpus (target: under
 * one second). The rule files are picked out first (not timed); each run then reads,
 * parses, checks and compiles them. The cold run (the median of three), in a process of its
 * own and with `loadRulesAtStart` as `eqlite validate` and `scan` load, is what one command pays;
 * then again with the rule cache that `scan` keeps between runs, filled by a run before, and
 * with every rule's predicates compiled, which a scan does only for the rules events reach.
 * Later runs in this process show the warm cost. By default the TypeScript sources are measured through tsx, whose
 * function-name helpers slow cold code down; `--built` measures `dist/` instead, which is
 * what `bin/eqlite.js` runs (build it first: `npm run build`).
 *
 *   npm run bench:rules [-- --corpus DIR] [--runs N] [--built]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type * as LoadRulesModule from "../src/rules/load-rules.ts";
import { summarize } from "../src/rules/load-summary.ts";
import { findRuleFiles } from "../src/rules/walk-paths.ts";

const { values } = parseArgs({
  options: {
    corpus: {
      type: "string",
      default: fileURLToPath(new URL("../../shared/corpus/detection-rules", import.meta.url)),
    },
    runs: { type: "string", default: "5" },
    built: { type: "boolean", default: false },
  },
});
const implementation = values.built ? "../dist/rules/load-rules.js" : "../src/rules/load-rules.ts";
const { loadRules } = (await import(implementation)) as typeof LoadRulesModule;

const { files } = await findRuleFiles([values.corpus]);
if (files.length === 0) throw new Error(`no rule files under ${values.corpus}`);
const eqlFiles = files.filter((f) => /^type\s*=\s*"eql"/m.test(readFileSync(f, "utf8")));

async function measure(paths: string[]) {
  const started = process.hrtime.bigint();
  const result = await loadRules(paths);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { ms, summary: summarize(result) };
}

const runs: number[] = [];
let summary = (await measure(eqlFiles)).summary;
for (let i = 0; i < Number(values.runs); i++) {
  const run = await measure(eqlFiles);
  runs.push(run.ms);
  summary = run.summary;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// the first run above warmed the JIT; the cold cost is measured in processes of their own, the
// median of three: one cold run on a shared machine swings by 15%
const coldRuns = [await coldRun(), await coldRun(), await coldRun()];
const cold = median(coldRuns);
const coldPredicates = await coldRun(undefined, true);
// a fresh process again, with the rule cache `scan` keeps: filled by one run, then used
const cacheDir = mkdtempSync(join(tmpdir(), "eqlite-rule-cache-"));
await coldRun(cacheDir);
const cached = await coldRun(cacheDir);
rmSync(cacheDir, { recursive: true, force: true });
const warm = median(runs);
const whole = await measure(files);

const perSecond = (n: number, ms: number) => Math.round((n / ms) * 1000);
console.log(`measuring ${values.built ? "dist/ (built)" : "src/ through tsx"}, Node ${process.version}`);
console.log(
  `EQL rule files: ${eqlFiles.length} of ${files.length} (${summary.compiled} compiled, ${summary.errors} errors)`,
);
console.log(
  `load+compile, cold process: ${cold.toFixed(0)} ms (${perSecond(summary.compiled, cold)} rules/s; median of ${coldRuns.map((ms) => ms.toFixed(0)).join(", ")})`,
);
console.log(
  `load+compile, cold process, every rule's predicates compiled too: ${coldPredicates.toFixed(0)} ms`,
);
console.log(
  `load+compile, cold process, rule cache filled by an earlier run: ${cached.toFixed(0)} ms (${perSecond(summary.compiled, cached)} rules/s)`,
);
console.log(
  `load+compile, warm (median of ${runs.length}): ${warm.toFixed(0)} ms (${perSecond(summary.compiled, warm)} rules/s)`,
);
console.log(`whole corpus, ${whole.summary.rules} rules of every type: ${whole.ms.toFixed(0)} ms`);

const out = new URL(
  `results/rules-load-${new Date().toISOString().replace(/[:.]/g, "-")}.json`,
  import.meta.url,
);
writeFileSync(
  out,
  `${JSON.stringify(
    {
      benchmark: "rules-load",
      node: process.version,
      measured: values.built ? "dist" : "src (tsx)",
      corpus: values.corpus,
      eql_files: eqlFiles.length,
      compiled: summary.compiled,
      errors: summary.errors,
      cold_ms: cold,
      cold_runs_ms: coldRuns,
      cold_with_predicates_ms: coldPredicates,
      cold_cached_ms: cached,
      warm_median_ms: warm,
      warm_runs_ms: runs,
      cold_rules_per_second: perSecond(summary.compiled, cold),
      warm_rules_per_second: perSecond(summary.compiled, warm),
      whole_corpus: { rules: whole.summary.rules, ms: whole.ms },
    },
    null,
    2,
  )}\n`,
);
console.log(`→ ${fileURLToPath(out)}`);

/** One load in a fresh process: what a single `eqlite validate` or `scan` start pays. */
async function coldRun(cacheDir?: string, predicates = false): Promise<number> {
  const { spawnSync } = await import("node:child_process");
  const child = spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      fileURLToPath(new URL("./rules-load-once.ts", import.meta.url)),
      ...(cacheDir ? ["--cache", cacheDir] : []),
      ...(predicates ? ["--predicates"] : []),
      implementation,
      ...eqlFiles,
    ],
    { encoding: "utf8", maxBuffer: 1 << 20 },
  );
  if (child.status !== 0) throw new Error(child.stderr);
  return Number(child.stdout.trim());
}
