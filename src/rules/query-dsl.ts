/**
 * The part of Elasticsearch's query DSL that a rule's `filters` are written in, compiled into
 * a predicate over JSON events: match_phrase, match, term, terms, range, exists, bool,
 * match_all and match_none. A query the predicate could not answer as Elasticsearch does
 * (query_string, wildcard, regexp, script, nested, a terms lookup, date math...) is refused
 * with a QueryDslError, never guessed at: the caller decides what running without it means.
 *
 * eqlite has no index mapping, so every field is read as a `keyword` field, the type nearly
 * every filter a Kibana user clicks is on: match_phrase and match compare the whole value,
 * exactly and case-sensitively, as they do on a keyword field (on an analysed `text` field
 * Elasticsearch would match a phrase inside the value). A field's values match if any one does.
 *
 * Rule files are untrusted: only own properties are read, nesting and size are bounded,
 * and nothing is built from the input's keys but Sets and Maps.
 */
import { foldAscii } from "../eql/case-fold.ts";
import { compileFieldGetter, type Event, hasSomeValue, someValue } from "../eql/field-access.ts";
import { parseDateWithFormat, parseTimestamp } from "../eql/timestamp.ts";
import type { DocumentPath } from "./position-map.ts";

export type EventTest = (event: Event) => boolean;

/** Bool queries nested deeper than this are refused; Elasticsearch's own limit is lower (20 by default). */
export const MAX_QUERY_DEPTH = 32;
/** Clauses in one query at most: Elasticsearch's historical `max_clause_count`. */
export const MAX_QUERY_CLAUSES = 4096;
/** Values of one terms query at most: Elasticsearch's `index.max_terms_count` default. */
export const MAX_TERMS = 65_536;

export type QueryProblemKind = "unsupported" | "malformed";

/** A query, or a part of one, that cannot be evaluated: `path` is where it is in the rule. */
export class QueryDslError extends Error {
  constructor(
    readonly kind: QueryProblemKind,
    readonly path: DocumentPath,
    message: string,
  ) {
    super(message);
    this.name = "QueryDslError";
  }
}

type Raw = Record<string, unknown>;
type Scalar = string | number | boolean;

const isRaw = (v: unknown): v is Raw => v !== null && typeof v === "object" && !Array.isArray(v);
const own = (o: Raw, key: string): unknown => (Object.hasOwn(o, key) ? o[key] : undefined);
const isScalar = (v: unknown): v is Scalar =>
  typeof v === "string" || (typeof v === "number" && Number.isFinite(v)) || typeof v === "boolean";
/** A number or boolean as a keyword field indexes it: its JSON text. */
const termText = (v: Scalar): string => (typeof v === "string" ? v : String(v));

/** Options that change how much a clause scores, or name it in a response: not what it matches. */
const COSMETIC = new Set(["boost", "_name"]);

/**
 * Compiles one query (the `query` of a Kibana filter, say). `path` is where the query is in
 * the rule, for the errors' paths.
 *
 * @throws QueryDslError when some part of it cannot be evaluated or is not a query
 */
export function compileQueryDsl(query: unknown, path: DocumentPath): EventTest {
  return new QueryDslCompiler().compile(query, path);
}

/** Compiles queries that share one bound on their clauses: the parts of one filter. */
export class QueryDslCompiler {
  private clauses = 0;

  compile(query: unknown, path: DocumentPath): EventTest {
    return this.query(query, path, 0);
  }

  private query(query: unknown, path: DocumentPath, depth: number): EventTest {
    if (!isRaw(query)) throw malformed(path, "a query must be an object");
    const keys = Object.keys(query);
    if (keys.length !== 1)
      throw malformed(
        path,
        keys.length === 0
          ? "an empty query object"
          : `a query object holds one query, not ${keys.length} (${keys.join(", ")})`,
      );
    if (++this.clauses > MAX_QUERY_CLAUSES)
      throw malformed(path, `more than ${MAX_QUERY_CLAUSES} clauses, more than Elasticsearch accepts`);
    const [kind] = keys;
    const body = query[kind];
    const at = [...path, kind];
    switch (kind) {
      case "match_all":
        onlyOptions(body, at, COSMETIC);
        return ALL;
      case "match_none":
        onlyOptions(body, at, COSMETIC);
        return NONE;
      case "match_phrase":
        return this.phrase(body, at, MATCH_PHRASE_OPTIONS);
      case "match":
        return this.phrase(body, at, MATCH_OPTIONS);
      case "term":
        return term(body, at);
      case "terms":
        return terms(body, at);
      case "exists":
        return exists(body, at);
      case "range":
        return range(body, at);
      case "bool":
        return this.bool(body, at, depth);
      default:
        throw unsupported(at, `a ${kind} query cannot be evaluated outside Elasticsearch`);
    }
  }

  /** match_phrase, and match read as a phrase: the whole value, as on a keyword field. */
  private phrase(body: unknown, at: DocumentPath, options: ReadonlyMap<string, OptionCheck>): EventTest {
    const [field, spec] = singleField(body, at);
    let value: unknown = spec;
    if (isRaw(spec)) {
      checkOptions(spec, [...at, field], options, "query");
      value = own(spec, "query");
    }
    if (!isScalar(value)) throw malformed([...at, field], "the value must be a string, number or boolean");
    const want = termText(value);
    return anyValue(field, (v) => termText(v) === want);
  }

  private bool(body: unknown, at: DocumentPath, depth: number): EventTest {
    if (depth >= MAX_QUERY_DEPTH) throw malformed(at, `bool queries nest deeper than ${MAX_QUERY_DEPTH}`);
    if (!isRaw(body)) throw malformed(at, "bool takes an object");
    const group = (name: string) => {
      const v = own(body, name);
      if (v === undefined) return [];
      const list = Array.isArray(v) ? v : [v];
      const where = Array.isArray(v) ? (i: number) => [...at, name, i] : () => [...at, name];
      return list.map((q, i) => this.query(q, where(i), depth + 1));
    };
    for (const key of Object.keys(body)) {
      if (!BOOL_KEYS.has(key)) throw malformed([...at, key], `bool has no option ${JSON.stringify(key)}`);
    }
    const must = [...group("must"), ...group("filter")];
    const should = group("should");
    const mustNot = group("must_not");
    const minimum = minimumShouldMatch(own(body, "minimum_should_match"), should.length, must.length, [
      ...at,
      "minimum_should_match",
    ]);
    return (event) => {
      for (const q of must) if (!q(event)) return false;
      for (const q of mustNot) if (q(event)) return false;
      if (minimum === 0) return true;
      let matched = 0;
      for (const q of should) if (q(event) && ++matched >= minimum) return true;
      return false;
    };
  }
}

const ALL: EventTest = () => true;
const NONE: EventTest = () => false;

const BOOL_KEYS = new Set(["must", "filter", "should", "must_not", "minimum_should_match", "boost", "_name"]);

/**
 * How many `should` clauses must match. Elasticsearch's default: one when the bool has no
 * must or filter clause, none otherwise. A count above the clauses there are matches nothing.
 */
function minimumShouldMatch(raw: unknown, should: number, required: number, at: DocumentPath): number {
  if (raw === undefined) return should > 0 && required === 0 ? 1 : 0;
  let n: number;
  const text = typeof raw === "number" ? String(raw) : raw;
  if (typeof text !== "string") throw malformed(at, "minimum_should_match takes a number or a percentage");
  const count = /^(-?)(\d+)$/.exec(text.trim());
  const percent = /^(-?)(\d+(?:\.\d+)?)%$/.exec(text.trim());
  if (count) n = count[1] ? should - Number(count[2]) : Number(count[2]);
  else if (percent) {
    const part = Math.floor((should * Number(percent[2])) / 100);
    n = percent[1] ? should - part : part;
  } else throw unsupported(at, `minimum_should_match ${JSON.stringify(raw)} cannot be evaluated`);
  // a negative count leaves at least none to match; more than there are, Lucene matches nothing
  return Math.max(0, n);
}

/** A clause on one field, `{field: value-or-options}`, whose other keys may only be boost and _name. */
function singleField(
  body: unknown,
  at: DocumentPath,
  extra: ReadonlySet<string> = new Set(),
): [string, unknown] {
  if (!isRaw(body)) throw malformed(at, "it takes an object naming one field");
  const fields = Object.keys(body).filter((k) => !extra.has(k));
  if (fields.length !== 1)
    throw malformed(at, fields.length === 0 ? "no field named" : `one field, not ${fields.length}`);
  const [field] = fields;
  checkFieldName(field, [...at, field]);
  return [field, body[field]];
}

function checkFieldName(field: string, at: DocumentPath): void {
  if (field === "") throw malformed(at, "an empty field name");
  // Elasticsearch expands patterns against the mapping, which eqlite does not have
  if (field.includes("*"))
    throw unsupported(at, `the field pattern ${JSON.stringify(field)} needs a mapping`);
}

/** What an option of a clause may be: allowed as is, or a check of its value. */
type OptionCheck = true | ((value: unknown) => boolean);

const MATCH_PHRASE_OPTIONS: ReadonlyMap<string, OptionCheck> = new Map<string, OptionCheck>([
  ["boost", true],
  ["_name", true],
  // a keyword value is one token: how far apart tokens may be, or what no token means, changes nothing
  ["slop", true],
  ["zero_terms_query", true],
]);

const MATCH_OPTIONS: ReadonlyMap<string, OptionCheck> = new Map<string, OptionCheck>([
  ...MATCH_PHRASE_OPTIONS,
  ["operator", true],
  ["lenient", true],
  ["auto_generate_synonyms_phrase_query", true],
  // Kibana's filters of old wrote phrases as `match` with type phrase
  ["type", (v) => v === "phrase" || v === "boolean"],
  // a fuzziness of 0 (or none) is an exact match; the expansions only matter with one
  ["fuzziness", (v) => v === 0 || v === "0"],
  ["prefix_length", true],
  ["max_expansions", true],
  ["fuzzy_transpositions", true],
]);

/** Every key of `spec` besides `value` must be an option the clause can honour. */
function checkOptions(
  spec: Raw,
  at: DocumentPath,
  options: ReadonlyMap<string, OptionCheck>,
  value: string,
): void {
  for (const key of Object.keys(spec)) {
    if (key === value) continue;
    const check = options.get(key);
    if (check === undefined || (check !== true && !check(spec[key])))
      throw unsupported([...at, key], `the option ${key}: ${JSON.stringify(spec[key])} cannot be evaluated`);
  }
}

function onlyOptions(body: unknown, at: DocumentPath, allowed: ReadonlySet<string>): void {
  if (!isRaw(body)) throw malformed(at, "it takes an object");
  for (const key of Object.keys(body))
    if (!allowed.has(key)) throw malformed([...at, key], `no option ${JSON.stringify(key)}`);
}

function term(body: unknown, at: DocumentPath): EventTest {
  const [field, spec] = singleField(body, at);
  let value: unknown = spec;
  let caseInsensitive = false;
  if (isRaw(spec)) {
    checkOptions(spec, [...at, field], TERM_OPTIONS, "value");
    value = own(spec, "value");
    caseInsensitive = own(spec, "case_insensitive") === true;
  }
  if (!isScalar(value)) throw malformed([...at, field], "the value must be a string, number or boolean");
  const want = termText(value);
  if (!caseInsensitive) return anyValue(field, (v) => termText(v) === want);
  // Elasticsearch's case-insensitive term query folds ASCII letters only (see case-fold.ts)
  const folded = foldAscii(want);
  return anyValue(field, (v) => foldAscii(termText(v)) === folded);
}

const TERM_OPTIONS: ReadonlyMap<string, OptionCheck> = new Map<string, OptionCheck>([
  ["boost", true],
  ["_name", true],
  ["case_insensitive", (v) => typeof v === "boolean"],
]);

function terms(body: unknown, at: DocumentPath): EventTest {
  const [field, values] = singleField(body, at, COSMETIC);
  // `{field: {index, id, path}}` looks the terms up in another document
  if (isRaw(values)) throw unsupported([...at, field], "a terms lookup reads another index");
  if (!Array.isArray(values)) throw malformed([...at, field], "terms takes an array of values");
  if (values.length > MAX_TERMS)
    throw malformed([...at, field], `more than ${MAX_TERMS} terms, more than Elasticsearch accepts`);
  const wanted = new Set<string>();
  values.forEach((v, i) => {
    if (!isScalar(v)) throw malformed([...at, field, i], "each value must be a string, number or boolean");
    wanted.add(termText(v));
  });
  return anyValue(field, (v) => wanted.has(termText(v)));
}

function exists(body: unknown, at: DocumentPath): EventTest {
  if (!isRaw(body)) throw malformed(at, 'exists takes {"field": name}');
  for (const key of Object.keys(body))
    if (key !== "field" && !COSMETIC.has(key))
      throw malformed([...at, key], `no option ${JSON.stringify(key)}`);
  const field = own(body, "field");
  if (typeof field !== "string") throw malformed(at, 'exists takes {"field": name}');
  checkFieldName(field, [...at, "field"]);
  const get = compileFieldGetter(field);
  return (event) => hasSomeValue(get(event));
}

const RANGE_OPTIONS: ReadonlyMap<string, OptionCheck> = new Map<string, OptionCheck>([
  ["boost", true],
  ["_name", true],
  // what Kibana's detection engine sets: the bounds carry their zone, or are UTC
  ["time_zone", (v) => typeof v === "string" && UTC_ZONES.has(v.toUpperCase())],
  ["format", (v) => typeof v === "string"],
  ["include_lower", (v) => typeof v === "boolean"],
  ["include_upper", (v) => typeof v === "boolean"],
  ["gt", true],
  ["gte", true],
  ["lt", true],
  ["lte", true],
  ["from", true],
  ["to", true],
]);

const UTC_ZONES = new Set(["UTC", "Z", "ZULU", "GMT", "+00:00", "ETC/UTC", "UTC+0"]);

interface Bound {
  /** the bound is above the values (lt, lte), not below */
  upper: boolean;
  inclusive: boolean;
  value: Scalar;
  at: DocumentPath;
}

/**
 * A range on numbers or dates. Bounds that are numbers (or numeric strings) compare with
 * values that are, and are epoch milliseconds against values that are dates; bounds that are
 * dates compare as instants with values that read as dates (ISO 8601, or epoch milliseconds).
 * A date without a time, as `lte`/`gt` bound, stands for its last instant, as in Elasticsearch.
 * Date math (`now-1d`, `||/d`) and ranges of strings cannot be evaluated here.
 */
function range(body: unknown, at: DocumentPath): EventTest {
  const [field, spec] = singleField(body, at, COSMETIC);
  const where = [...at, field];
  if (!isRaw(spec)) throw malformed(where, "range takes an object of bounds (gt, gte, lt, lte)");
  checkOptions(spec, where, RANGE_OPTIONS, "");
  const bounds: Bound[] = [];
  const add = (key: string, upper: boolean, inclusive: boolean) => {
    const value = own(spec, key);
    if (value === undefined || value === null) return;
    if (!isScalar(value) || typeof value === "boolean")
      throw malformed([...where, key], "a bound must be a number or a date");
    bounds.push({ upper, inclusive, value, at: [...where, key] });
  };
  add("gt", false, false);
  add("gte", false, true);
  add("lt", true, false);
  add("lte", true, true);
  // the older spelling, which Elasticsearch still reads
  add("from", false, own(spec, "include_lower") !== false);
  add("to", true, own(spec, "include_upper") !== false);
  const format = own(spec, "format") as string | undefined;
  const numeric = bounds.map((b) => numberOf(b.value));
  if (format === undefined && numeric.every((n) => n !== null)) {
    const limits = bounds.map((b, i) => ({ ...b, n: numeric[i]! }));
    const asDates = bounds.map((b, i) => ({ ...b, ns: millisToNs(numeric[i]!, b.at) }));
    return anyValue(field, (v) => {
      const n = numberOf(v);
      if (n !== null) return limits.every((b) => within(n, b.n, b));
      // a number against a date field is epoch milliseconds
      const t = typeof v === "string" ? parseTimestamp(v) : null;
      return t !== null && asDates.every((b) => within(t, b.ns, b));
    });
  }
  const instants = bounds.map((b) => ({ ...b, ns: dateBound(b, format) }));
  return anyValue(field, (v) => {
    if (typeof v === "boolean") return false;
    const t = parseTimestamp(v);
    return t !== null && instants.every((b) => within(t, b.ns, b));
  });
}

function within<T extends number | bigint>(value: T, limit: T, bound: Bound): boolean {
  if (bound.upper) return bound.inclusive ? value <= limit : value < limit;
  return bound.inclusive ? value >= limit : value > limit;
}

const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function numberOf(v: Scalar): number | null {
  if (typeof v === "number") return v;
  if (typeof v === "string" && NUMERIC.test(v.trim())) return Number(v);
  return null;
}

function millisToNs(ms: number, at: DocumentPath): bigint {
  const t = parseTimestamp(ms);
  if (t === null) throw malformed(at, `${ms} is not a time`);
  return t;
}

/** A date bound as an instant: `lte`/`gt` round a partial date up to its last millisecond. */
function dateBound(bound: Bound, format: string | undefined): bigint {
  const { value, at } = bound;
  if (typeof value === "number") return millisToNs(value, at);
  const text = value as string;
  if (/now|\|\|/.test(text))
    throw unsupported(at, `the date math ${JSON.stringify(text)} cannot be evaluated`);
  const t = format === undefined ? parseTimestamp(text) : parseDateWithFormat(text, format);
  if (t === null)
    throw unsupported(
      at,
      `${JSON.stringify(text)} is neither a number nor a date: a range of strings cannot be evaluated`,
    );
  const roundsUp = bound.upper === bound.inclusive;
  return roundsUp ? t + roundUpBy(text) : t;
}

const MS = 1_000_000n;

/** What a partial ISO date leaves out, less a millisecond: "2024-01-31" → a day less 1 ms. */
function roundUpBy(text: string): bigint {
  const m =
    /^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2})(?:T(\d{1,2})(?::(\d{1,2})(?::(\d{1,2})([.,]\d+)?)?)?)?)?)?/.exec(
      text,
    );
  if (!m || m[7] !== undefined) return 0n;
  const second = 1000n * MS;
  if (m[6] !== undefined) return second - MS;
  if (m[5] !== undefined) return 60n * second - MS;
  if (m[4] !== undefined) return 3600n * second - MS;
  if (m[3] !== undefined) return 86_400n * second - MS;
  const year = Number(m[1]);
  const start = m[2] === undefined ? Date.UTC(year, 0, 1) : Date.UTC(year, Number(m[2]) - 1, 1);
  const end = m[2] === undefined ? Date.UTC(year + 1, 0, 1) : Date.UTC(year, Number(m[2]), 1);
  return BigInt(end - start) * MS - MS;
}

function anyValue(field: string, test: (v: Scalar) => boolean): EventTest {
  const get = compileFieldGetter(field);
  return (event) => someValue(get(event), test);
}

function malformed(path: DocumentPath, message: string): QueryDslError {
  return new QueryDslError("malformed", path, message);
}

function unsupported(path: DocumentPath, message: string): QueryDslError {
  return new QueryDslError("unsupported", path, message);
}
