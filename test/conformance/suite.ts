/**
 * The Elasticsearch EQL conformance suite, reproduced without Elasticsearch:
 * which spec files run against which indices, how the data is loaded, and how a
 * response is judged. The rules follow shared/reference/eql-conformance.md.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseToml } from "smol-toml";
import { parseMappingFile } from "../../src/eql/mapping.ts";
import type { EqlIndex, EqlSearchRequest, EqlSearchResponse } from "../../src/eql/search.ts";

// ---------------------------------------------------------------------------
// the engine contract (src/eql/search.ts)

export type Event = Record<string, unknown>;
export type SearchIndex = EqlIndex;
export type SearchRequest = EqlSearchRequest;
export type ResultPosition = "head" | "tail";

/** What judging reads of a response; looser than EqlSearchResponse so tests can build one by hand. */
export interface ResponseHit {
  _index?: string;
  _id?: string;
  _source?: Record<string, unknown>;
  missing?: boolean;
}

export type SearchResponse = Pick<EqlSearchResponse, "is_partial" | "shard_failures"> & {
  hits: {
    total: { value: number; relation: string };
    events?: ResponseHit[];
    sequences?: Array<{ join_keys?: unknown[]; events: ResponseHit[] }>;
  };
};
export type SearchFn = (indices: SearchIndex[], request: SearchRequest) => Promise<SearchResponse>;

// ---------------------------------------------------------------------------
// where the suite lives

/** The repository root, two levels above this file. */
export function projectRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
}

export function defaultSuiteDir(): string {
  return path.resolve(projectRoot(), "../shared/conformance/elasticsearch-eql");
}

// ---------------------------------------------------------------------------
// the Java test classes: spec files → indices → tiebreaker and id field

export interface TestClass {
  name: string;
  files: readonly string[];
  indices: readonly string[];
  tiebreaker?: string;
  idField: string;
}

export const TEST_CLASSES: readonly TestClass[] = [
  {
    name: "EqlSpecTestCase",
    files: ["test_queries.toml", "additional_test_queries.toml", "test_queries_date.toml"],
    indices: ["endgame-140"],
    tiebreaker: "serial_event_id",
    idField: "serial_event_id",
  },
  {
    name: "EqlDateNanosSpecTestCase",
    files: ["test_queries_date_nanos.toml", "test_queries.toml"],
    indices: ["endgame-140-nanos"],
    tiebreaker: "serial_event_id",
    idField: "serial_event_id",
  },
  {
    name: "EqlExtraSpecTestCase",
    files: ["test_extra.toml"],
    indices: ["extra"],
    tiebreaker: "sequence",
    idField: "sequence",
  },
  {
    name: "EqlMissingEventsSpecTestCase",
    files: ["test_missing_events.toml"],
    indices: ["missing-events"],
    tiebreaker: "sequence",
    idField: "sequence",
  },
  {
    name: "EqlSampleTestCase",
    files: ["test_sample.toml"],
    indices: ["sample1", "sample2", "sample3"],
    idField: "id",
  },
  {
    name: "EqlSampleMultipleEntriesTestCase",
    files: ["test_sample_multi.toml"],
    indices: ["sample-multi"],
    idField: "id",
  },
  {
    name: "EqlSpecFailingShardsTestCase",
    files: ["test_failing_shards.toml"],
    indices: ["endgame-140", "endgame-shard-failures"],
    tiebreaker: "serial_event_id",
    idField: "serial_event_id",
  },
];

/** Elasticsearch's DataLoader order; also the order events are numbered in. */
export const LOAD_ORDER = [
  "endgame-140",
  "extra",
  "endgame-140-nanos",
  "sample1",
  "sample2",
  "sample3",
  "missing-events",
  "sample-multi",
  "endgame-shard-failures",
] as const;

interface IndexSource {
  /** `data/<data>.data`; the mapping is always `data/<index>.mapping` */
  data: string;
  transform?: (event: Event) => Event;
}

export const INDEX_SOURCES: Readonly<Record<string, IndexSource>> = {
  "endgame-140": { data: "endgame-140", transform: timestampToUnixMillis },
  "endgame-140-nanos": { data: "endgame-140", transform: timestampToUnixNanos },
  "endgame-shard-failures": { data: "endgame-shard-failures", transform: timestampToUnixMillis },
  extra: { data: "extra" },
  "missing-events": { data: "missing-events" },
  sample1: { data: "sample1" },
  sample2: { data: "sample2" },
  sample3: { data: "sample3" },
  "sample-multi": { data: "sample-multi" },
};

/**
 * Specs that cannot apply to a single-process engine, each with the reason
 * written out. They are reported as "not applicable", never hidden.
 */
export const NOT_APPLICABLE: Readonly<Record<string, string>> = {};

/**
 * Specs where eqlite and the suite disagree and the cause is not yet understood,
 * keyed `name @ index`, each with what is known. They stay failures in the report
 * (with this text); the node:test run marks them todo instead of failing, and fails
 * once one of them starts passing so this table cannot go stale.
 */
export const UNRESOLVED: Readonly<Record<string, string>> = {};

/**
 * Corrections Elasticsearch made to a spec after the copy in ../shared was taken,
 * applied to the query text at load time and reported in the output. Each names
 * the upstream change.
 */
export const ERRATA: ReadonlyArray<{ spec: string; from: string; to: string; why: string }> = [
  {
    spec: "sequencesOnDifferentEventTypes7",
    from: "maxspan=500ms",
    to: "maxspan=50ms",
    why:
      "elastic/elasticsearch PR #76953 (nanosecond sequences) started running test_queries.toml on the " +
      "date_nanos copy of the data, where FILETIME ticks read as nanoseconds shrink spans 100x (these " +
      "sequences span 50.23-50.86 ms there, 5.0-5.1 s on millisecond data), and changed this spec to 50ms " +
      "so that it rejects them on both copies; the ../shared copy predates that change",
  },
];

/** The query with its errata applied, and the errata that applied. */
export function applyErrata(name: string, query: string): { query: string; applied: string[] } {
  const applied: string[] = [];
  let text = query;
  for (const e of ERRATA) {
    if (e.spec === name && text.includes(e.from)) {
      text = text.replace(e.from, e.to);
      applied.push(`${e.from} → ${e.to}: ${e.why}`);
    }
  }
  return { query: text, applied };
}

export const unresolvedReason = (result: { spec: { name: string }; group: string }): string | undefined =>
  UNRESOLVED[`${result.spec.name} @ ${result.group.split(" @ ").pop()}`];

// ---------------------------------------------------------------------------
// JSON data files: `//` comments and integers beyond 2^53

/** Index just past the string literal that starts at `start` (a `"`). */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
  return i + 1;
}

/** Elasticsearch's JSON parser accepts `//` line comments (missing-events.data has `////test2`). */
export function stripJsonLineComments(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      const end = stringEnd(text, i);
      out += text.slice(i, end);
      i = end;
    } else if (text[i] === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
    } else {
      out += text[i++];
    }
  }
  return out;
}

const BIGINT_MARK = "\u0000bigint:";
const NUMBER_TOKEN = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;

/**
 * JSON.parse, except that integers a double cannot hold exactly come back as
 * bigint: the endgame FILETIME timestamps have 18 digits, and the nanosecond
 * transform needs every one of them.
 */
export function parseJsonPreservingBigIntegers(text: string): unknown {
  let marked = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      const end = stringEnd(text, i);
      marked += text.slice(i, end);
      i = end;
    } else if (c === "-" || (c >= "0" && c <= "9")) {
      NUMBER_TOKEN.lastIndex = i;
      const m = NUMBER_TOKEN.exec(text);
      const token = m ? m[0] : c;
      const integral = m !== null && m[1] === undefined && m[2] === undefined;
      marked += integral && !Number.isSafeInteger(Number(token)) ? `"\\u0000bigint:${token}"` : token;
      i += token.length;
    } else {
      marked += c;
      i++;
    }
  }
  return JSON.parse(marked, (_key, value) =>
    typeof value === "string" && value.startsWith(BIGINT_MARK)
      ? BigInt(value.slice(BIGINT_MARK.length))
      : value,
  );
}

/** The engine gets plain JSON values; integers past 2^53 lose precision here, as in any JSON reader. */
export function bigIntsToNumbers(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value)) return value.map(bigIntsToNumbers);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bigIntsToNumbers(v)]));
  }
  return value;
}

// ---------------------------------------------------------------------------
// the DataLoader's timestamp transforms

const FILETIME_EPOCH_OFFSET_MS = 11_644_473_600_000n;

function integerField(event: Event, key: string): bigint {
  const v = event[key];
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  if (typeof v === "string" && /^-?\d+$/.test(v)) return BigInt(v);
  throw new Error(
    `event has no integer ${key}: ${JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}` : x))}`,
  );
}

function floorDiv(a: bigint, b: bigint): bigint {
  // bigint division truncates toward zero; Java's Math.floorDiv rounds down
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** `timestamp` is a Windows FILETIME (100 ns ticks since 1601); `@timestamp` becomes epoch millis. */
export function timestampToUnixMillis(event: Event): Event {
  const ticks = integerField(event, "timestamp");
  return { ...event, "@timestamp": Number(floorDiv(ticks, 10_000n) - FILETIME_EPOCH_OFFSET_MS) };
}

/**
 * The same FILETIME digits read as nanoseconds since 1970: the first 12 digits
 * are epoch millis, the rest the sub-millisecond fraction.
 */
export function timestampToUnixNanos(event: Event): Event {
  const ticks = integerField(event, "timestamp");
  const digits = ticks.toString();
  const millis = digits.slice(0, 12);
  const fraction = digits.slice(12);
  return {
    ...event,
    "@timestamp": fraction === "000000" ? millis : `${millis}.${fraction}`,
    timestamp: Number(floorDiv(ticks, 1_000_000n)),
  };
}

// ---------------------------------------------------------------------------
// spec files

export type QueryKind = "event" | "sequence" | "sample";

export interface Spec {
  name: string;
  file: string;
  query: string;
  kind: QueryKind;
  /** acceptable flattened id lists; a single list unless the result is non-deterministic */
  expected: number[][];
  joinKeys?: string[];
  size?: number;
  maxSamplesPerKey?: number;
  allowPartialSearchResults?: boolean;
  allowPartialSequenceResults?: boolean;
  expectShardFailures?: boolean;
  /** corrections applied to the query (see ERRATA) */
  errata?: string[];
}

/** TOML has no null, but test_extra.toml writes `join_keys = [null]`: it means a null key, shown "null". */
export function quoteNullJoinKeys(toml: string): string {
  return toml.replace(
    /^(\s*join_keys\s*=\s*)\[([^\]]*)\]/gm,
    (_all, head: string, body: string) =>
      `${head}[${body.replace(/("(?:[^"\\]|\\.)*"|'[^']*')|\bnull\b/g, (_t, quoted?: string) => quoted ?? '"null"')}]`,
  );
}

/** `[1, 2]` is one expected list, `[[1, 2], [3, 4]]` a choice of lists, `[]` no results. */
export function expectedAlternatives(value: unknown): number[][] {
  if (!Array.isArray(value)) throw new Error("expected_event_ids must be an array");
  const isIdList = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === "number");
  if (isIdList(value)) return [value];
  if (value.every(isIdList)) return value;
  throw new Error("Invalid expected_event_ids");
}

/** The first word of the query, after leading whitespace and comments. */
export function classifyQuery(query: string): QueryKind {
  const text = query.replace(/^(?:\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*/, "");
  const word = /^[A-Za-z_]+/.exec(text)?.[0].toLowerCase();
  return word === "sequence" ? "sequence" : word === "sample" ? "sample" : "event";
}

export function parseSpecFile(text: string, file: string): Spec[] {
  const doc = parseToml(quoteNullJoinKeys(text));
  if (!Array.isArray(doc.queries)) throw new Error(`${file}: no [[queries]]`);
  return doc.queries.map((raw, i) => toSpec(raw as Record<string, unknown>, file, i));
}

function toSpec(raw: Record<string, unknown>, file: string, index: number): Spec {
  const fail = (what: string) => new Error(`${file}: query #${index + 1}: ${what}`);
  if (typeof raw.name !== "string" || raw.name.trim() === "") throw fail("missing name");
  if (typeof raw.query !== "string") throw fail(`${raw.name}: missing query`);
  const corrected = applyErrata(raw.name.trim(), raw.query.trim());
  const spec: Spec = {
    name: raw.name.trim(),
    file,
    query: corrected.query,
    kind: classifyQuery(raw.query),
    expected: expectedAlternatives(raw.expected_event_ids),
  };
  if (corrected.applied.length) spec.errata = corrected.applied;
  if (Array.isArray(raw.join_keys)) spec.joinKeys = raw.join_keys.map(stringifyJoinKey);
  if (typeof raw.size === "number") spec.size = raw.size;
  if (typeof raw.max_samples_per_key === "number") spec.maxSamplesPerKey = raw.max_samples_per_key;
  if (typeof raw.allow_partial_search_results === "boolean") {
    spec.allowPartialSearchResults = raw.allow_partial_search_results;
  }
  if (typeof raw.allow_partial_sequence_results === "boolean") {
    spec.allowPartialSequenceResults = raw.allow_partial_sequence_results;
  }
  if (typeof raw.expect_shard_failures === "boolean") spec.expectShardFailures = raw.expect_shard_failures;
  return spec;
}

// ---------------------------------------------------------------------------
// loading the suite

/** One spec file as run by one test class, i.e. against one set of indices. */
export interface Group {
  label: string;
  testClass: TestClass;
  file: string;
  specs: Spec[];
}

export interface Suite {
  dir: string;
  groups: Group[];
  /** the engine input for a group's indices, in the class's order */
  inputs(group: Group): SearchIndex[];
}

export function loadIndex(dir: string, name: string): SearchIndex {
  const source = INDEX_SOURCES[name];
  if (!source) throw new Error(`unknown index ${name}`);
  const mapping = parseMappingFile(readFileSync(path.join(dir, "data", `${name}.mapping`), "utf8"));
  const text = stripJsonLineComments(readFileSync(path.join(dir, "data", `${source.data}.data`), "utf8"));
  const parsed = parseJsonPreservingBigIntegers(text);
  if (!Array.isArray(parsed)) throw new Error(`${source.data}.data: not a JSON array`);
  const events = parsed.map(
    (e) => bigIntsToNumbers(source.transform ? source.transform(e as Event) : e) as Event,
  );
  // Frozen so that an engine mutating its input fails loudly instead of leaking into later specs.
  return deepFreeze({ name, mapping, events });
}

export function loadSuite(dir: string = defaultSuiteDir()): Suite {
  if (!existsSync(dir)) throw new Error(`conformance suite not found at ${dir}`);
  const indices = new Map<string, SearchIndex>();
  for (const name of LOAD_ORDER) indices.set(name, loadIndex(dir, name));
  const groups: Group[] = [];
  for (const testClass of TEST_CLASSES) {
    const seen = new Set<string>();
    for (const file of testClass.files) {
      const specs = parseSpecFile(readFileSync(path.join(dir, file), "utf8"), file);
      for (const spec of specs) {
        if (seen.has(spec.name))
          throw new Error(`${testClass.name}: Found a test with the same name: ${spec.name}`);
        seen.add(spec.name);
      }
      groups.push({ label: `${file} @ ${testClass.indices.join(",")}`, testClass, file, specs });
    }
  }
  return {
    dir,
    groups,
    inputs: (group) => group.testClass.indices.map((name) => indices.get(name)!),
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

// ---------------------------------------------------------------------------
// judging a response

/** `_source[idField]` as a long; a missing-event placeholder has no source and counts as -1. */
export function idOf(hit: ResponseHit, idField: string): number | null {
  if (hit.missing === true || hit._source === undefined || hit._source === null) return -1;
  const v = hit._source[idField];
  if (typeof v === "number" && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === "bigint") return Number(v);
  return null;
}

/** Event ids in response order, flattened across sequences and samples; undefined if neither is present. */
export function flattenIds(response: SearchResponse, idField: string): Array<number | null> | undefined {
  const hits = response?.hits;
  if (Array.isArray(hits?.events)) return hits.events.map((h) => idOf(h, idField));
  if (Array.isArray(hits?.sequences))
    return hits.sequences.flatMap((s) => s.events.map((h) => idOf(h, idField)));
  return undefined;
}

/** Java's toString of a join key as the client decodes it: null → "null", numbers in decimal. */
export function stringifyJoinKey(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  return JSON.stringify(value);
}

export function flattenJoinKeys(response: SearchResponse): string[] {
  return (response?.hits?.sequences ?? []).flatMap((s) => (s.join_keys ?? []).map(stringifyJoinKey));
}

const sameList = (a: readonly unknown[], b: readonly unknown[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

export function matchesExpected(actual: ReadonlyArray<number | null>, alternatives: number[][]): boolean {
  return alternatives.some((alt) => sameList(actual, alt));
}

export function reportsShardFailures(response: SearchResponse): boolean {
  return (
    (Array.isArray(response?.shard_failures) && response.shard_failures.length > 0) ||
    response?.is_partial === true
  );
}

export interface Verdict {
  passed: boolean;
  ids?: Array<number | null>;
  joinKeys?: string[];
  shardFailures?: boolean;
  error?: string;
  problems: string[];
}

export function judgeResponse(spec: Spec, response: SearchResponse, idField: string): Verdict {
  const problems: string[] = [];
  const verdict: Verdict = { passed: false, problems };
  const ids = flattenIds(response, idField);
  if (ids === undefined) problems.push("No events or sequences found");
  else {
    verdict.ids = ids;
    if (ids.includes(null)) problems.push(`a returned event has no numeric ${idField}`);
    if (!matchesExpected(ids, spec.expected)) problems.push("event ids differ");
  }
  if (spec.joinKeys && spec.joinKeys.length > 0) {
    verdict.joinKeys = flattenJoinKeys(response);
    if (!sameList(verdict.joinKeys, spec.joinKeys)) problems.push("join keys differ");
  }
  if (spec.expectShardFailures !== undefined) {
    verdict.shardFailures = reportsShardFailures(response);
    if (verdict.shardFailures !== spec.expectShardFailures) {
      problems.push(
        spec.expectShardFailures ? "expected shard failures, none reported" : "unexpected shard failures",
      );
    }
  }
  verdict.passed = problems.length === 0;
  return verdict;
}

/** Thrown errors: query errors carry a position; anything else is an engine crash, so show where. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const e = err as Error & { line?: unknown };
  if (typeof e.line === "number") return `${e.name}: ${e.message}`;
  const frame = e.stack
    ?.split("\n")
    .find((l) => l.trimStart().startsWith("at "))
    ?.trim();
  return `${e.name}: ${e.message}${frame ? ` (${frame})` : ""}`;
}

// ---------------------------------------------------------------------------
// running a spec

export function buildRequest(spec: Spec, testClass: TestClass, position: ResultPosition): SearchRequest {
  const request: SearchRequest = {
    query: spec.query,
    event_category_field: "event.category",
    timestamp_field: "@timestamp",
    size: spec.size ?? 50,
    result_position: position,
    max_samples_per_key: spec.maxSamplesPerKey ?? 1,
  };
  if (testClass.tiebreaker !== undefined) request.tiebreaker_field = testClass.tiebreaker;
  if (spec.allowPartialSearchResults !== undefined) {
    request.allow_partial_search_results = spec.allowPartialSearchResults;
  }
  if (spec.allowPartialSequenceResults !== undefined) {
    request.allow_partial_sequence_results = spec.allowPartialSequenceResults;
  }
  return request;
}

export interface PositionOutcome extends Verdict {
  position: ResultPosition;
}

export type Status = "passed" | "failed" | "not_applicable";

export interface SpecResult {
  group: string;
  spec: Spec;
  status: Status;
  /** why the spec does not apply (status not_applicable) */
  reason?: string;
  outcomes: PositionOutcome[];
  failedPositions: ResultPosition[];
}

/** Every spec must give the same answer for head and tail, as ES picks one at random. */
export const POSITIONS: readonly ResultPosition[] = ["head", "tail"];

export async function runSpec(suite: Suite, group: Group, spec: Spec, search: SearchFn): Promise<SpecResult> {
  const reason = NOT_APPLICABLE[spec.name];
  if (reason !== undefined) {
    return { group: group.label, spec, status: "not_applicable", reason, outcomes: [], failedPositions: [] };
  }
  const outcomes: PositionOutcome[] = [];
  for (const position of POSITIONS) {
    const request = buildRequest(spec, group.testClass, position);
    try {
      const response = await search(suite.inputs(group), request);
      outcomes.push({ position, ...judgeResponse(spec, response, group.testClass.idField) });
    } catch (err) {
      outcomes.push({ position, passed: false, error: describeError(err), problems: ["the search threw"] });
    }
  }
  const failedPositions = outcomes.filter((o) => !o.passed).map((o) => o.position);
  return {
    group: group.label,
    spec,
    status: failedPositions.length === 0 ? "passed" : "failed",
    outcomes,
    failedPositions,
  };
}

// ---------------------------------------------------------------------------
// describing results

export const oneLine = (query: string): string => query.replace(/\s+/g, " ").trim();

const formatIds = (ids: ReadonlyArray<number | null>): string =>
  `[${ids.map((id) => String(id)).join(", ")}]`;

export const formatExpected = (alternatives: number[][]): string => alternatives.map(formatIds).join(" or ");

function formatOutcome(o: PositionOutcome): string {
  if (o.error !== undefined) return `error: ${o.error}`;
  const parts = [o.ids ? formatIds(o.ids) : o.problems.join("; ")];
  if (o.joinKeys) parts.push(`join keys ${JSON.stringify(o.joinKeys)}`);
  if (o.shardFailures !== undefined) parts.push(`shard failures reported: ${o.shardFailures}`);
  return parts.join(", ");
}

/** A failure report: spec, query, expectation, and per failing position what came back. */
export function formatFailure(result: SpecResult): string {
  const { spec } = result;
  const lines = [
    `${spec.name} (${result.group}) [${spec.kind}] failed with result_position ${result.failedPositions.join(" and ")}`,
    `  query:    ${oneLine(spec.query)}`,
    `  expected: ${formatExpected(spec.expected)}`,
  ];
  if (spec.joinKeys && spec.joinKeys.length > 0)
    lines.push(`  join keys expected: ${JSON.stringify(spec.joinKeys)}`);
  if (spec.expectShardFailures !== undefined)
    lines.push(`  shard failures expected: ${spec.expectShardFailures}`);
  const unresolved = unresolvedReason(result);
  if (unresolved) lines.push(`  unresolved: ${unresolved}`);
  const failed = result.outcomes.filter((o) => !o.passed);
  const same = failed.length > 1 && failed.every((o) => formatOutcome(o) === formatOutcome(failed[0]));
  for (const o of same ? [failed[0]] : failed) {
    const label = same ? "actual:  " : `actual (${o.position}):`;
    lines.push(`  ${label} ${formatOutcome(o)}`);
    const extra = o.problems.filter((p) => p !== "event ids differ" && p !== "the search threw");
    if (extra.length > 0 && o.ids) lines.push(`    (${extra.join("; ")})`);
  }
  return lines.join("\n");
}

/** One line for a result that is not asserted (yet). */
export function formatSummaryLine(result: SpecResult): string {
  if (result.status === "not_applicable") return `not applicable: ${result.reason}`;
  if (result.status === "passed") return `passed: ${formatExpected(result.spec.expected)}`;
  return `FAILED\n${formatFailure(result)}`;
}
