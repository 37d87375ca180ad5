/**
 * `npm run conformance [-- options]`: runs the Elasticsearch EQL spec suite
 * against eqlSearch and prints per-file results and every failure.
 *
 *   --require KIND[,KIND]  exit 1 if any spec of these kinds (event, sequence, sample) fails
 *   --filter SUBSTRING     only specs whose name contains SUBSTRING
 *   --json FILE            also write every result as JSON
 *   --dir DIR              the suite directory (default ../shared/conformance/elasticsearch-eql)
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { eqlSearch } from "../../src/index.ts";
import {
  defaultSuiteDir,
  formatFailure,
  type Group,
  loadSuite,
  oneLine,
  type QueryKind,
  runSpec,
  type SearchFn,
  type SpecResult,
  unresolvedReason,
} from "./suite.ts";

const KINDS: readonly QueryKind[] = ["event", "sequence", "sample"];

interface Options {
  require: Set<QueryKind>;
  filter?: string;
  json?: string;
  dir: string;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      require: { type: "string" },
      filter: { type: "string" },
      json: { type: "string" },
      dir: { type: "string" },
    },
    strict: true,
  });
  const required = (values.require ?? "")
    .split(",")
    .map((k) => k.trim())
    .filter((k) => k !== "");
  for (const k of required) {
    if (!KINDS.includes(k as QueryKind))
      throw new Error(`--require: unknown kind ${k} (use ${KINDS.join(", ")})`);
  }
  return {
    require: new Set(required as QueryKind[]),
    filter: values.filter,
    json: values.json,
    dir: values.dir ?? defaultSuiteDir(),
  };
}

interface Tally {
  passed: number;
  failed: number;
  notApplicable: number;
}

const emptyTally = (): Tally => ({ passed: 0, failed: 0, notApplicable: 0 });

function count(tally: Tally, r: SpecResult): void {
  if (r.status === "passed") tally.passed++;
  else if (r.status === "failed") tally.failed++;
  else tally.notApplicable++;
}

/** `file @ index: 120/133 passed (event 100/100, sequence 20/33)`; totals leave out not-applicable specs. */
function groupLine(group: Group, results: SpecResult[]): string {
  const all = emptyTally();
  const byKind = new Map<QueryKind, Tally>();
  for (const r of results) {
    count(all, r);
    const t = byKind.get(r.spec.kind) ?? emptyTally();
    count(t, r);
    byKind.set(r.spec.kind, t);
  }
  const kinds = KINDS.filter((k) => byKind.has(k)).map((k) => {
    const t = byKind.get(k)!;
    return `${k} ${t.passed}/${t.passed + t.failed}`;
  });
  const na = all.notApplicable > 0 ? `, ${all.notApplicable} not applicable` : "";
  return `${group.label}: ${all.passed}/${all.passed + all.failed} passed (${kinds.join(", ")})${na}`;
}

async function run(options: Options, search: SearchFn): Promise<number> {
  const suite = loadSuite(options.dir);
  const results: SpecResult[] = [];
  const lines: string[] = [];
  for (const group of suite.groups) {
    const specs = group.specs.filter((s) => options.filter === undefined || s.name.includes(options.filter));
    if (specs.length === 0) continue;
    const groupResults: SpecResult[] = [];
    for (const spec of specs) groupResults.push(await runSpec(suite, group, spec, search));
    lines.push(groupLine(group, groupResults));
    results.push(...groupResults);
  }
  console.log(lines.join("\n"));

  const failures = results.filter((r) => r.status === "failed");
  if (failures.length > 0) {
    console.log(`\nFailures (${failures.length}):\n`);
    console.log(failures.map(formatFailure).join("\n\n"));
  }
  const corrected = [
    ...new Map(results.filter((r) => r.spec.errata).map((r) => [r.spec.name, r.spec])).values(),
  ];
  if (corrected.length > 0) {
    console.log(`\nRun with errata (${corrected.length}):`);
    for (const spec of corrected) console.log(`  ${spec.name}: ${spec.errata!.join("; ")}`);
  }
  const notApplicable = results.filter((r) => r.status === "not_applicable");
  if (notApplicable.length > 0) {
    console.log(`\nNot applicable (${notApplicable.length}):`);
    for (const r of notApplicable) console.log(`  ${r.spec.name} (${r.group}): not applicable: ${r.reason}`);
  }

  const total = emptyTally();
  for (const r of results) count(total, r);
  if (options.json) writeFileSync(options.json, `${JSON.stringify({ summary: total, results }, null, 2)}\n`);
  console.log("");
  if (total.notApplicable > 0) console.log(`${total.notApplicable} not applicable`);
  console.log(`${total.passed} passed, ${total.failed} failed`);

  // Unresolved specs stay listed as failures above, with what is known about them, but do not block.
  const blocking = failures.filter((r) => options.require.has(r.spec.kind) && !unresolvedReason(r));
  if (blocking.length > 0) {
    console.error(
      `${blocking.length} required spec(s) failed (--require ${[...options.require].join(",")}): ` +
        blocking.map((r) => `${r.spec.name} [${oneLine(r.group)}]`).join(", "),
    );
    return 1;
  }
  return 0;
}

try {
  process.exitCode = await run(parseOptions(process.argv.slice(2)), eqlSearch);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 2;
}
