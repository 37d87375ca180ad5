/**
 * Rule unit test files: what `eqlite test` reads.
 *
 * A test file is TOML named `<rule file stem>.test.toml`, kept next to the rule
 * (`rules/linux/shadow.toml` → `rules/linux/shadow.test.toml`) or in a `tests/`
 * directory beside it (`rules/linux/tests/shadow.test.toml`). Its keys:
 *
 *   rule_id = "..."            # optional: the rule under test; else the rule in the
 *                              # file the test file's name points to
 *
 *   [[case]]                   # one or more
 *   name = "curl then /tmp exec"
 *   expect = "alert"           # "alert": at least one alert; "none": no alert at all
 *   alerts = 1                 # optional: exactly this many alerts (an event alert or
 *                              # a sequence counts one; building blocks are not counted)
 *   sequences = [[0, 2]]       # optional, sequence rules: the events forming each
 *                              # expected sequence, by index in `events`, in order; the
 *                              # sequences found must be exactly these
 *   events = [ { "event.category" = "process", ... }, ... ]   # inline events, or
 *   events_file = "cases/x.ndjson"                            # NDJSON, relative to this file
 *
 *   [[case.events]]            # events may also be written as tables, one per event
 *   event.category = ["process"]
 *   process.name = "curl"
 *
 * Events without `@timestamp` are given one, a second apart in case order, from
 * 2024-01-01T00:00:00Z. Two byte-for-byte identical events are one document to the
 * engine (their ids are content hashes): make events of a case differ.
 */
import { readFileSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { explainJsonError } from "../io/json-error.ts";
import { readFileAtMost } from "../io/read-file-at-most.ts";
import type { Diagnostic } from "../rules/diagnostic.ts";
import { malformedUtf8At } from "../rules/malformed-utf8.ts";
import { lineStartsOf, positionIn } from "../rules/position-map.ts";
import { tomlSyntaxDiagnostic } from "../rules/toml-loader.ts";
import { locateTomlKeys } from "../rules/toml-positions.ts";

export type JsonEvent = Record<string, unknown>;

export interface TestCase {
  name: string;
  expect: "alert" | "none";
  /** exact number of alerts (event alerts plus sequence shells) */
  alerts?: number;
  /** expected sequences, each the indexes of its events in order */
  sequences?: number[][];
  events: JsonEvent[];
  /** the NDJSON file the events were read from (`events_file`), resolved against the test file's directory */
  eventsFile?: string;
  /** line of the case's `[[case]]` header, for messages */
  line: number;
}

export interface TestFile {
  file: string;
  /** the rule_id written in the file, if any */
  ruleId?: string;
  /** the rule file stem the name points to (`x` for `x.test.toml`) */
  stem: string;
  cases: TestCase[];
}

export interface TestFileLoad {
  test?: TestFile;
  diagnostics: Diagnostic[];
}

export const TEST_FILE_SUFFIX = ".test.toml";

const TOP_KEYS = new Set(["rule_id", "case"]);
const CASE_KEYS = new Set(["name", "expect", "alerts", "sequences", "events", "events_file"]);
const BASE_TIME = Date.UTC(2024, 0, 1);

export function isTestFile(path: string): boolean {
  return path.toLowerCase().endsWith(TEST_FILE_SUFFIX);
}

/** Reads and checks one test file; any problem is an error diagnostic and no test. */
export function loadTestFile(file: string, text?: string): TestFileLoad {
  const diagnostics: Diagnostic[] = [];
  const error = (line: number, column: number, message: string): TestFileLoad => {
    diagnostics.push({ file, line, column, severity: "error", code: "rule-test", message });
    return { diagnostics };
  };
  let source: string;
  try {
    const read = text === undefined ? readTestText(file) : { text };
    if (read.malformed) return error(read.malformed.line, read.malformed.column, NOT_UTF8);
    source = read.text;
  } catch (e) {
    return error(1, 1, (e as Error).message);
  }
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(source) as Record<string, unknown>;
  } catch (e) {
    diagnostics.push(tomlSyntaxDiagnostic(e, source, file));
    return { diagnostics };
  }
  const positions = locateTomlKeys(source);
  const at = (path: (string | number)[]) => positions.at(path);
  const problem = (path: (string | number)[], message: string) => {
    const p = at(path);
    diagnostics.push({ file, line: p.line, column: p.column, severity: "error", code: "rule-test", message });
  };

  for (const key of Object.keys(doc)) {
    if (!TOP_KEYS.has(key)) problem([key], `unknown key "${key}" (expected rule_id and [[case]] tables)`);
  }
  const ruleId = doc.rule_id;
  if (ruleId !== undefined && typeof ruleId !== "string") problem(["rule_id"], "rule_id must be a string");
  const rawCases = doc.case;
  if (!Array.isArray(rawCases) || rawCases.length === 0) {
    problem(["case"], "no [[case]] tables: a test file needs at least one case");
    return { diagnostics };
  }

  const cases: TestCase[] = [];
  const names = new Set<string>();
  rawCases.forEach((raw, i) => {
    const path = ["case", i];
    const c = raw as Record<string, unknown>;
    const before = diagnostics.length;
    for (const key of Object.keys(c)) {
      if (!CASE_KEYS.has(key))
        problem([...path, key], `unknown key "${key}" in a case (expected ${[...CASE_KEYS].join(", ")})`);
    }
    const name = typeof c.name === "string" && c.name.trim() ? c.name : undefined;
    if (!name) problem(path, "a case needs a name");
    else if (names.has(name)) problem([...path, "name"], `two cases are named "${name}"`);
    else names.add(name);
    if (c.expect !== "alert" && c.expect !== "none")
      problem([...path, "expect"], 'expect must be "alert" or "none"');
    if (c.alerts !== undefined && !(Number.isInteger(c.alerts) && (c.alerts as number) >= 0))
      problem([...path, "alerts"], "alerts must be a whole number, 0 or more");
    if (c.expect === "none" && typeof c.alerts === "number" && c.alerts > 0)
      problem([...path, "alerts"], 'expect = "none" with alerts above 0');
    if (c.expect === "alert" && c.alerts === 0)
      problem([...path, "alerts"], 'expect = "alert" with alerts = 0');

    let events: JsonEvent[] | undefined;
    let eventsFile: string | undefined;
    if (c.events !== undefined && c.events_file !== undefined) {
      problem([...path, "events_file"], "a case has events or events_file, not both");
    } else if (c.events !== undefined) {
      if (!Array.isArray(c.events) || c.events.some((e) => !isObject(e)))
        problem([...path, "events"], "events must be an array of tables (one per event)");
      else events = c.events as JsonEvent[];
    } else if (typeof c.events_file === "string") {
      // named as the test file is, so that diagnostics read alike
      eventsFile = isAbsolute(c.events_file) ? c.events_file : join(dirname(file), c.events_file);
      events = readEventsFile(file, eventsFile, diagnostics, () => at([...path, "events_file"]));
    } else if (c.events_file !== undefined) {
      problem([...path, "events_file"], "events_file must be a path (relative to the test file)");
    } else {
      problem(path, "a case needs events or events_file");
    }

    let sequences: number[][] | undefined;
    if (c.sequences !== undefined) {
      const ok =
        Array.isArray(c.sequences) &&
        c.sequences.every(
          (s) =>
            Array.isArray(s) && s.length > 0 && s.every((n) => Number.isInteger(n) && (n as number) >= 0),
        );
      if (!ok) problem([...path, "sequences"], "sequences must be arrays of event indexes, e.g. [[0, 2]]");
      else {
        sequences = c.sequences as number[][];
        const count = events?.length ?? Number.POSITIVE_INFINITY;
        const beyond = sequences.flat().find((n) => n >= count);
        if (beyond !== undefined)
          problem([...path, "sequences"], `sequences name event ${beyond}, but the case has ${count} events`);
        if (c.expect === "none" && sequences.length)
          problem([...path, "sequences"], 'expect = "none" with sequences expected');
      }
    }
    if (diagnostics.length > before || !events || !name) return;
    cases.push({
      name,
      expect: c.expect as "alert" | "none",
      alerts: c.alerts as number | undefined,
      sequences,
      events: events.map((e, n) => withTimestamp(e, n)),
      ...(eventsFile !== undefined && { eventsFile }),
      line: at(path).line,
    });
  });
  if (diagnostics.length) return { diagnostics };
  const stem = basename(file).slice(0, -TEST_FILE_SUFFIX.length);
  return { test: { file, ruleId: ruleId as string | undefined, stem, cases }, diagnostics };
}

/** How much is read from a test or events file that is a device or a pipe, which has no size to check. */
const MAX_SPECIAL_FILE_BYTES = 64 * 1024 * 1024;

const NOT_UTF8 =
  "a byte here is not UTF-8, and test files are UTF-8: it reads as U+FFFD, not as what was meant";

/** A file's text, and where its first byte that is not UTF-8 is, if one is. */
function readTestText(path: string): { text: string; malformed?: { line: number; column: number } } {
  const bytes = statSync(path).isFile() ? readFileSync(path) : readFileAtMost(path, MAX_SPECIAL_FILE_BYTES);
  if (bytes === undefined)
    throw new Error(`not a regular file, and more than the ${MAX_SPECIAL_FILE_BYTES} bytes read from one`);
  const text = bytes.toString("utf8");
  const at = malformedUtf8At(bytes, text);
  return at === undefined ? { text } : { text, malformed: positionIn(lineStartsOf(text), at) };
}

function readEventsFile(
  testFile: string,
  path: string,
  diagnostics: Diagnostic[],
  where: () => { line: number; column: number },
): JsonEvent[] | undefined {
  let text: string;
  try {
    const read = readTestText(path);
    if (read.malformed) {
      diagnostics.push({
        file: path,
        ...read.malformed,
        severity: "error",
        code: "rule-test",
        message: NOT_UTF8,
      });
      return undefined;
    }
    text = read.text;
  } catch (e) {
    const p = where();
    const reason = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message;
    diagnostics.push({
      ...p,
      file: testFile,
      severity: "error",
      code: "rule-test",
      message: `events_file ${path}: ${reason}`,
    });
    return undefined;
  }
  const events: JsonEvent[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line.trim()) continue;
    const problem = (column: number, reason: string) =>
      diagnostics.push({
        file: path,
        line: i + 1,
        column,
        severity: "error",
        code: "rule-test",
        message: reason,
      });
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      const { offset, reason } = explainJsonError(line, e);
      problem((offset ?? 0) + 1, `events_file: ${reason}`);
      return undefined;
    }
    if (!isObject(value)) {
      problem(
        line.length - line.trimStart().length + 1,
        "events_file: not a JSON object (one event per line)",
      );
      return undefined;
    }
    events.push(value);
  }
  return events;
}

function withTimestamp(event: JsonEvent, index: number): JsonEvent {
  if ("@timestamp" in event) return event;
  return { "@timestamp": new Date(BASE_TIME + index * 1000).toISOString(), ...event };
}

function isObject(value: unknown): value is JsonEvent {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
