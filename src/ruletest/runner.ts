import { resolve } from "node:path";
import { DetectionEngine, maxSignals } from "../engine/detection-engine.ts";
import { JsonDepthError } from "../engine/json-tree.ts";
import { sourceIdentity } from "../engine/source-identity.ts";
import type { Event } from "../eql/field-access.ts";
import { compileFieldGetter } from "../eql/field-access.ts";
import { visibleLine } from "../eql/terminal-text.ts";
import { attachExceptions } from "../exceptions/attach.ts";
import { exceptionFiltersByRule } from "../exceptions/compile.ts";
import { emptyExceptions, loadExceptionFiles, mergeExceptions } from "../exceptions/load.ts";
import { type Diagnostic, formatDiagnostic } from "../rules/diagnostic.ts";
import { type LoadResult, loadRules } from "../rules/load-rules.ts";
import type { LoadedRule } from "../rules/loaded-rule.ts";
import { buildRuleSet } from "../rules/rule-set.ts";
import { findRuleFiles } from "../rules/walk-paths.ts";
import { isTestFile, loadTestFile, type TestCase, type TestFile } from "./format.ts";
import { ruleFileFor, rulesToTest, ruleUnderTest } from "./rule-under-test.ts";

/** What the events of one case made the rule do. */
export interface CaseOutcome {
  /** event alerts plus sequence alerts (building blocks not counted) */
  alerts: number;
  /** indexes of the events that raised an event alert, ascending */
  alertedEvents: number[];
  /** each sequence found, as the indexes of its events in order (-1: not one of the case's events) */
  sequences: number[][];
  /** a run-time error: the rule failed, or an alert could not be built */
  error?: string;
}

export interface CaseResult {
  name: string;
  passed: boolean;
  expected: TestCase;
  actual: CaseOutcome;
  /** why it failed, one line each */
  problems: string[];
}

export interface RuleTestResult {
  file: string;
  rule_id: string;
  rule_name: string;
  cases: CaseResult[];
}

export interface RuleTestReport {
  results: RuleTestResult[];
  passed: number;
  failed: number;
  /** loaded rules with no test file, as `name (file)` */
  untested: Array<{ rule_id: string; name: string; file: string }>;
  /** invalid test files, unmatched rules, rule load errors: any makes the run a usage error */
  diagnostics: Diagnostic[];
}

export const EXIT_TESTS_PASSED = 0;
export const EXIT_TESTS_FAILED = 1;
export const EXIT_TESTS_INVALID = 2;

/**
 * Runs every rule test found under the given files and directories against the rules
 * found there (and, for a test file named directly, the rule file its name points to).
 */
export async function runRuleTests(
  paths: readonly string[],
  options: { exceptions?: readonly string[] } = {},
): Promise<RuleTestReport> {
  const diagnostics: Diagnostic[] = [];
  const testFiles: string[] = [];
  const ruleFiles: string[] = [];
  for (const p of paths) {
    if (isTestFile(p)) {
      testFiles.push(p);
      const rule = ruleFileFor(p);
      if (rule) ruleFiles.push(rule);
      continue;
    }
    const found = await findRuleFiles([p]);
    diagnostics.push(...found.diagnostics);
    // the rule walker passes test files over as "not rules"; here they are what is wanted
    for (const f of found.files) (isTestFile(f) ? testFiles : ruleFiles).push(f);
    for (const f of found.skipped) if (isTestFile(f)) testFiles.push(f);
  }
  const tests = [...firstByPath(testFiles)].map((file) => ({ file, load: loadTestFile(file) }));
  // a case's events file often sits beside the rules as .ndjson: it holds events, not a rules export
  const eventsFiles = new Set(
    tests
      .flatMap(({ load }) => (load.test?.cases ?? []).flatMap((c) => c.eventsFile ?? []))
      .map((f) => resolve(f)),
  );
  const uniqueRules = [...firstByPath(ruleFiles)].filter((f) => !eventsFiles.has(resolve(f)));
  const loaded: LoadResult = uniqueRules.length
    ? await loadRules(uniqueRules)
    : ({ rules: [], diagnostics: [] } as unknown as LoadResult);
  diagnostics.push(...loaded.diagnostics.filter((d) => d.severity === "error"));
  const keepFor = await exceptionsOf(loaded, options.exceptions ?? [], diagnostics);

  const report: RuleTestReport = { results: [], passed: 0, failed: 0, untested: [], diagnostics };
  const tested = new Set<LoadedRule>();
  const rules = rulesToTest(loaded);
  for (const { file, load } of tests) {
    diagnostics.push(...load.diagnostics);
    if (!load.test) continue;
    const rule = ruleUnderTest(load.test, rules);
    if (typeof rule === "string") {
      diagnostics.push({ file, line: 1, column: 1, severity: "error", code: "rule-test", message: rule });
      continue;
    }
    tested.add(rule);
    const result = runTestFile(load.test, rule, keepFor(rule));
    for (const c of result.cases) c.passed ? report.passed++ : report.failed++;
    report.results.push(result);
  }
  for (const r of loaded.rules) {
    if (!tested.has(r))
      report.untested.push({ rule_id: r.rule.rule_id, name: r.rule.name, file: r.origin.file });
  }
  if (!testFiles.length && !diagnostics.length) {
    diagnostics.push({
      file: paths.join(" "),
      line: 1,
      column: 1,
      severity: "error",
      code: "rule-test",
      message: "no *.test.toml files found",
    });
  }
  return report;
}

/** Each file once, as first named: `x.test.toml` and `./x.test.toml`, or a walk and a name, are one file. */
function firstByPath(files: readonly string[]): Iterable<string> {
  const byPath = new Map<string, string>();
  for (const f of files) if (!byPath.has(resolve(f))) byPath.set(resolve(f), f);
  return byPath.values();
}

export function exitCodeOf(report: RuleTestReport): number {
  if (report.diagnostics.length) return EXIT_TESTS_INVALID;
  return report.failed ? EXIT_TESTS_FAILED : EXIT_TESTS_PASSED;
}

/**
 * The exceptions each rule has, as a scan would apply them: the lists and items loaded with the
 * rules (a Kibana export carries them) and those of the `--exceptions` files. An event they
 * except never reaches the rule, so a case expecting no alert for it passes, as in Kibana.
 */
async function exceptionsOf(
  loaded: LoadResult,
  files: readonly string[],
  diagnostics: Diagnostic[],
): Promise<(rule: LoadedRule) => ((event: Event) => boolean) | undefined> {
  const exceptions = loaded.exceptions ?? emptyExceptions();
  if (files.length) {
    const given = await loadExceptionFiles(files, { allRules: true });
    for (const d of given.diagnostics) {
      if (d.severity !== "error") continue;
      const { file = files.join(" "), line = 1, column = 1, message } = d;
      diagnostics.push({ file, line, column, severity: "error", code: "exceptions", message });
    }
    mergeExceptions(exceptions, given);
  }
  const attached = attachExceptions(
    loaded.rules.map((r) => r.rule),
    exceptions,
  );
  const keepFor = exceptionFiltersByRule(attached.byRule, {
    valueLists: exceptions.valueLists,
    now: new Date(),
    cache: new Map(),
  });
  return (rule) => keepFor(rule.rule.rule_id);
}

/** Runs the cases of one test file against its rule, less the events its exceptions keep out. */
export function runTestFile(
  test: TestFile,
  rule: LoadedRule,
  keep?: (event: Event) => boolean,
): RuleTestResult {
  return {
    file: test.file,
    rule_id: rule.rule.rule_id,
    rule_name: rule.rule.name,
    cases: test.cases.map((c) => judge(c, runCase(rule, c, keep), maxSignals(rule))),
  };
}

/** The events of one case through a fresh engine holding only this rule. */
export function runCase(rule: LoadedRule, testCase: TestCase, keep?: (event: Event) => boolean): CaseOutcome {
  if (!rule.query) return { alerts: 0, alertedEvents: [], sequences: [], error: notRunnable(rule) };
  const ids = new Map<string, number>();
  testCase.events.forEach((e, i) => {
    let id: string;
    try {
      id = sourceIdentity(e).id;
    } catch (error) {
      // too deep to hash: no alert can name it either (the engine reports why)
      if (error instanceof JsonDepthError) return;
      throw error;
    }
    if (!ids.has(id)) ids.set(id, i);
  });
  const alerts: Record<string, unknown>[] = [];
  let error: string | undefined;
  const engine = new DetectionEngine(buildRuleSet([rule]), {
    mode: "batch",
    now: new Date(0),
    exceptionsFor: () => keep,
    onAlert: (alert) => alerts.push(alert as Record<string, unknown>),
    onRuleError: (_rule, e) => {
      error ??= e instanceof Error ? e.message : String(e);
    },
    onAlertError: (_rule, e, origins) => {
      // lines count from 1, a case's events from 0
      const events = origins.map((o) => o.line - 1).join(", ");
      error ??= `the alert of event ${events} could not be built: ${e instanceof Error ? e.message : String(e)}`;
    },
  });
  testCase.events.forEach((e, i) => {
    engine.push(e, { source: testCase.name, line: i + 1 });
  });
  engine.finish();

  const alerted = new Set<number>();
  const groups = new Map<string, Array<[number, number]>>();
  let count = 0;
  for (const a of alerts) {
    const group = a["kibana.alert.group.id"];
    const eventIndex = eventOf(a, ids);
    if (a["kibana.alert.building_block_type"] === "default" && typeof group === "string") {
      const at = Number(a["kibana.alert.group.index"] ?? 0);
      const list = groups.get(group) ?? [];
      list.push([at, eventIndex]);
      groups.set(group, list);
      continue;
    }
    count++;
    if (typeof group !== "string") alerted.add(eventIndex);
  }
  const sequences = [...groups.values()].map((members) =>
    members.sort((x, y) => x[0] - y[0]).map((m) => m[1]),
  );
  sequences.sort(compareSequences);
  return { alerts: count, alertedEvents: [...alerted].sort((x, y) => x - y), sequences, error };
}

function eventOf(alert: Record<string, unknown>, ids: Map<string, number>): number {
  const ancestors = alert["kibana.alert.ancestors"];
  if (!Array.isArray(ancestors)) return -1;
  for (const a of ancestors as Array<Record<string, unknown>>) {
    if (a.type === "event" && typeof a.id === "string" && ids.has(a.id)) return ids.get(a.id) as number;
  }
  return -1;
}

/** `cap`: the most alerts the rule gives in one run (its max_signals), which a case may expect past */
function judge(expected: TestCase, actual: CaseOutcome, cap: number): CaseResult {
  const problems: string[] = [];
  if (actual.error) problems.push(`rule error: ${actual.error}`);
  if (expected.expect === "alert" && actual.alerts === 0) problems.push("expected an alert, got none");
  if (expected.expect === "none" && actual.alerts > 0)
    problems.push(`expected no alert, got ${plural(actual.alerts, "alert")}`);
  if (expected.alerts !== undefined && expected.alerts !== actual.alerts && !problems.length)
    problems.push(
      `expected exactly ${plural(expected.alerts, "alert")}, got ${actual.alerts}` +
        (expected.alerts > cap && actual.alerts === cap
          ? ` (the rule alerts at most ${cap} matches in a run: its max_signals)`
          : ""),
    );
  if (expected.sequences) {
    const want = expected.sequences.map(showSequence);
    const got = actual.sequences.map(showSequence);
    for (const s of want) if (!got.includes(s)) problems.push(`missing sequence ${s}`);
    for (const s of got) if (!want.includes(s)) problems.push(`unexpected sequence ${s}`);
  }
  return { name: expected.name, passed: problems.length === 0, expected, actual, problems };
}

/** The test runner's text: per rule ✔/✘ per case, diffs for failures, the summary, untested rules. */
export function formatReport(report: RuleTestReport): string {
  const out: string[] = [];
  for (const r of report.results) {
    const ok = r.cases.every((c) => c.passed);
    out.push(`${ok ? "✔" : "✘"} ${r.rule_name} (${r.file})`);
    for (const c of r.cases) {
      out.push(`  ${c.passed ? "✔" : "✘"} ${c.name}`);
      if (c.passed) continue;
      for (const p of c.problems) out.push(`      ${p}`);
      out.push(`      expected: ${describeExpected(c.expected)}`);
      out.push(`      actual:   ${describeActual(c.actual)}`);
      // the events, alerting ones marked `*`: all of a small case, the first alerting ones of a big
      // one (the actual line above lists every index)
      const marked = new Set([...c.actual.alertedEvents, ...c.actual.sequences.flat()]);
      const small = c.expected.events.length <= MAX_EVENTS_SHOWN;
      let shown = 0;
      c.expected.events.forEach((event, i) => {
        if (!small && (!marked.has(i) || shown++ >= MAX_EVENTS_SHOWN)) return;
        out.push(`      ${marked.has(i) ? "*" : " "} event ${i}: ${summarizeEvent(event)}`);
      });
      if (shown > MAX_EVENTS_SHOWN)
        out.push(`      … and ${shown - MAX_EVENTS_SHOWN} more events that alerted`);
    }
  }
  if (out.length) out.push("");
  out.push(`${report.passed} passed, ${report.failed} failed`);
  // one per line: a rules repository has thousands, and a line of 80 KB is no list to read or grep
  if (report.untested.length === 0) out.push("untested rules: none");
  else {
    out.push(`untested rules (${report.untested.length}):`);
    for (const u of report.untested) out.push(`  ${u.name} (${u.file})`);
  }
  // each entry is one line: a line break in a rule or case name, a path or an error must not forge another
  return `${out.map(visibleLine).join("\n")}\n`;
}

export function formatDiagnostics(report: RuleTestReport): string {
  return report.diagnostics.map((d) => `${formatDiagnostic(d)}\n`).join("");
}

function describeExpected(c: TestCase): string {
  let text = c.expect === "none" ? "no alert" : "at least one alert";
  if (c.alerts !== undefined) text = `exactly ${plural(c.alerts, "alert")}`;
  if (c.sequences) text += `; sequences ${c.sequences.map(showSequence).join(" ") || "none"}`;
  return text;
}

function describeActual(a: CaseOutcome): string {
  const parts = [plural(a.alerts, "alert")];
  if (a.alertedEvents.length) parts.push(`events alerted: ${a.alertedEvents.map(showIndex).join(", ")}`);
  if (a.sequences.length) parts.push(`sequences ${a.sequences.map(showSequence).join(" ")}`);
  return parts.join("; ");
}

const MAX_EVENTS_SHOWN = 8;

const SUMMARY_FIELDS = [
  "event.category",
  "event.type",
  "process.name",
  "process.executable",
  "process.args",
  "file.path",
  "container.id",
].map((name) => ({ name, get: compileFieldGetter(name) }));

function summarizeEvent(event: Record<string, unknown> | undefined): string {
  if (!event) return "?";
  const parts: string[] = [];
  for (const f of SUMMARY_FIELDS) {
    const v = f.get(event);
    if (v !== undefined && v !== null) parts.push(`${f.name}=${JSON.stringify(v)}`);
  }
  return parts.join(" ") || JSON.stringify(event).slice(0, 120);
}

function notRunnable(rule: LoadedRule): string {
  return rule.rule.type === "eql"
    ? "the rule's query has errors (see `eqlite validate`)"
    : `${rule.rule.type} rules cannot run yet`;
}

const showIndex = (i: number): string => (i < 0 ? "?" : String(i));
const showSequence = (s: readonly number[]): string => `[${s.map(showIndex).join(", ")}]`;
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

function compareSequences(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
