import type { Statement } from "./ast.ts";
import { prepareQuery } from "./compile-query.ts";
import type { EventPredicate } from "./compiler.ts";
import { FieldEvaluationError, type QueryCompiler } from "./compiler.ts";
import { searchSamples } from "./correlate/sample-search.ts";
import { searchSequences } from "./correlate/sequence-search.ts";
import { type SpillBudget, SpillError } from "./correlate/spill.ts";
import { type Event, type FieldGetter, someValue } from "./field-access.ts";
import { type EsMapping, schemaFromMappings } from "./mapping.ts";
import { mappingOfDocument } from "./mapping-document.ts";
import { compareOrder, type OrderKey } from "./ordering.ts";
import {
  applyLimits,
  mergeSelections,
  type ResultWindow,
  resultWindow,
  WindowSelection,
} from "./result-window.ts";
import type { Schema } from "./schema.ts";
import type { Scalar } from "./types.ts";

export interface EqlIndex {
  name: string;
  /** an Elasticsearch mapping (`{ properties: ... }`); fields absent from it are mapped from the data */
  mapping?: EsMapping;
  events: Iterable<Event> | AsyncIterable<Event>;
}

export interface EqlSearchRequest {
  query: string;
  size?: number;
  result_position?: "head" | "tail";
  timestamp_field?: string;
  tiebreaker_field?: string;
  event_category_field?: string;
  max_samples_per_key?: number;
  allow_partial_search_results?: boolean;
  allow_partial_sequence_results?: boolean;
}

export interface EqlHit {
  _index: string;
  _id: string;
  _source: Event;
}

export interface EqlMissingHit {
  _index: string;
  _id: string;
  missing: true;
}

export interface EqlSequence {
  join_keys?: Scalar[];
  events: Array<EqlHit | EqlMissingHit>;
}

export interface ShardFailure {
  index: string;
  reason: { type: string; reason: string };
}

export interface EqlSearchResponse {
  is_partial: boolean;
  is_running: false;
  took: number;
  timed_out: false;
  hits: {
    total: { value: number; relation: "eq" };
    events?: EqlHit[];
    sequences?: EqlSequence[];
  };
  shard_failures?: ShardFailure[];
}

/**
 * An event read from JSON text may carry that text under this key (`eqlite query` sets it). A
 * sequence or sample search then holds the text, rather than the parsed event, several times its
 * size, for every event it keeps until the input ends, and a sequence search writes the text as
 * it is when it spills; the event is parsed again only if it is returned. A returned hit's
 * `_source` carries it too, so that it can be printed as it was read (see cli/hit-json.ts).
 */
export const EVENT_TEXT: unique symbol = Symbol("eqlite event text");

export type EventWithText = Event & { [EVENT_TEXT]?: string };

/**
 * An event may carry its position in its index under this key, when events before it were
 * left out unread (`eqlite query` skips lines no term can match, see line-prefilter.ts): a
 * hit's `_id` is that position, as if every event had been read.
 */
export const EVENT_POSITION: unique symbol = Symbol("eqlite event position");

export type EventWithPosition = Event & { [EVENT_POSITION]?: number };

/** What a search keeps of an event it may return: its text when it carries it (EVENT_TEXT). */
export const heldEvent = (event: Event): Event | string => (event as EventWithText)[EVENT_TEXT] ?? event;

/** One event of the search input with its place in EQL's order. */
export interface Candidate extends OrderKey {
  index: string;
  id: string;
  /** the event, or the JSON text it was read from (see EVENT_TEXT) */
  event: Event | string;
}

/** What the event, sequence and sample searches share: the indices, compiled per index. */
export interface SearchInput {
  statement: Statement;
  indices: Array<{ name: string; events: Iterable<Event> | AsyncIterable<Event>; compiler: QueryCompiler }>;
  request: Required<
    Pick<EqlSearchRequest, "size" | "result_position" | "timestamp_field" | "event_category_field">
  > &
    EqlSearchRequest;
}

/** How a search runs, beyond what Elasticsearch's request says. */
export interface EqlSearchOptions {
  /**
   * Sequence queries: past this budget, the events held to be put in time order are written to
   * disk in sorted runs (see spill.ts) and merged when the input ends; the caller closes the
   * budget, which removes them. The events must be JSON values, as events read from JSON are.
   */
  spill?: SpillBudget;
  /**
   * Sequence queries: told, when the search ends, how many partial sequences it dropped because
   * it held its most open (evicted, or missing-event hits past their buffer); never called when
   * none. Elasticsearch's answer has no place for it, yet each may be a sequence missed.
   */
  onDropped?: (partials: number) => void;
}

/**
 * Runs an EQL query over events the way Elasticsearch's `_eql/search` does and
 * answers in the same shape. `input` is either indices (each with an optional
 * mapping) or a plain (async) iterable of events.
 */
export async function eqlSearch(
  input: EqlIndex[] | Iterable<Event> | AsyncIterable<Event>,
  request: EqlSearchRequest,
  options: EqlSearchOptions = {},
): Promise<EqlSearchResponse> {
  const started = Date.now();
  const req = normalizeRequest(request);
  // a mapping of the wrong shape would type nothing without a word: refused before any event is read
  const list: EqlIndex[] = isIndexList(input)
    ? input.map((index) => (index.mapping ? { ...index, mapping: mappingOfDocument(index.mapping) } : index))
    : [{ name: "events", events: input }];
  const mappings = list.filter((i) => i.mapping).map((i) => i.mapping!);
  // A mapping is completed from the data (dynamic mapping), which needs every event
  // first; without one, events are read once and only the matches are kept.
  const indices = mappings.length ? await materialize(list) : list;
  const allEvents = () => indices.flatMap((i) => i.events as Event[]);
  const schema = mappings.length ? schemaFromMappings(mappings, { dynamicFrom: allEvents() }) : undefined;
  const prepared = prepareQuery(req.query, {
    schema,
    eventCategoryField: req.event_category_field,
    timestampField: req.timestamp_field,
  });
  const search: SearchInput = {
    statement: prepared.statement,
    request: req,
    indices: indices.map((index) => {
      const indexSchema: Schema | undefined = schema
        ? schemaFromMappings(index.mapping ? [index.mapping] : [], { dynamicFrom: index.events as Event[] })
        : undefined;
      const compiler = prepared.compiler(indexSchema, runtimeScriptFields(index.mapping));
      return { name: index.name, events: index.events, compiler };
    }),
  };
  const query = prepared.statement.query;
  const took = () => Date.now() - started;
  if (query.kind === "EventQuery") {
    const { pipes } = prepared.statement;
    const window = resultWindow(pipes, req.size, req.result_position);
    const { hits, total, failures } = await searchEvents(
      search,
      (compiler) => compiler.compileEventQuery(query),
      window,
    );
    const events = applyLimits(hits, pipes, req.size, req.result_position).map(toHit);
    return respond(took(), total, { events }, failures);
  }
  if (query.kind === "SampleQuery") {
    const { sequences, total, failures } = await searchSamples(search, query);
    return respond(took(), total, { sequences }, failures);
  }
  const { sequences, total, failures, dropped } = await searchSequences(search, query, options.spill);
  if (dropped) options.onDropped?.(dropped);
  return respond(took(), total, { sequences }, failures);
}

function respond(
  took: number,
  total: number,
  found: Pick<EqlSearchResponse["hits"], "events" | "sequences">,
  failures: ShardFailure[],
): EqlSearchResponse {
  return {
    is_partial: failures.length > 0,
    is_running: false,
    took,
    timed_out: false,
    hits: { total: { value: total, relation: "eq" }, ...found },
    ...(failures.length ? { shard_failures: failures } : {}),
  };
}

/** A hit read from text keeps it under EVENT_TEXT, for writers that print events as they were read. */
export function toHit(c: Candidate): EqlHit {
  if (typeof c.event !== "string") return { _index: c.index, _id: c.id, _source: c.event };
  const source: Event = JSON.parse(c.event);
  // not enumerable: a caller comparing or copying the event sees the event alone
  Object.defineProperty(source, EVENT_TEXT, { value: c.event });
  return { _index: c.index, _id: c.id, _source: source };
}

/**
 * Filters every index with its own compiled predicate and sorts the matches, keeping only
 * those in `window` (every match when none is given) and counting the rest. An index whose
 * evaluation fails is dropped whole and reported, as a failed shard is.
 */
export async function searchEvents(
  search: SearchInput,
  compile: (compiler: QueryCompiler) => EventPredicate,
  window: ResultWindow = { count: Number.POSITIVE_INFINITY, from: "head" },
): Promise<{ hits: Candidate[]; total: number; failures: ShardFailure[] }> {
  // one selection per index: a failed index's matches go with it, and cannot have pushed out another's
  const selections = new Map<number, WindowSelection<Candidate>>();
  const failures = await eachIndex(
    search,
    (index, indexNumber) => {
      const matches = compile(index.compiler);
      const order = orderKeyReader(index.compiler, search.request);
      const selection = new WindowSelection<Candidate>(window, compareOrder);
      selections.set(indexNumber, selection);
      return (event, arrival, position) => {
        if (matches(event))
          selection.offer({ ...order(event, arrival), index: index.name, id: String(position), event });
      };
    },
    (indexNumber) => selections.delete(indexNumber),
  );
  const kept = [...selections.values()];
  const total = kept.reduce((sum, s) => sum + s.seen, 0);
  return { hits: mergeSelections(kept, window, compareOrder), total, failures };
}

/**
 * Feeds every event of every index, in input order, to a visitor made per index (given its
 * place in the list). An index whose evaluation fails is dropped whole — `dropIndex` takes
 * back what it had contributed — and reported, as Elasticsearch reports a failed shard.
 */
export async function eachIndex(
  search: SearchInput,
  visitorFor: (
    index: SearchInput["indices"][number],
    indexNumber: number,
  ) => (event: Event, arrival: number, position: number) => void,
  dropIndex?: (indexNumber: number) => void,
): Promise<ShardFailure[]> {
  const failures: ShardFailure[] = [];
  let arrival = 0;
  for (const [indexNumber, index] of search.indices.entries()) {
    const visit = visitorFor(index, indexNumber);
    let position = 0;
    // Reading errors (a bad file, --strict) propagate; evaluation errors fail the index.
    for await (const event of index.events) {
      if (event === null || typeof event !== "object" || Array.isArray(event)) {
        throw new TypeError(`index [${index.name}]: event #${position + 1} is not a JSON object`);
      }
      position = (event as EventWithPosition)[EVENT_POSITION] ?? position;
      try {
        visit(event, arrival++, position++);
      } catch (error) {
        // a disk that cannot take the spilled events fails the search, not the index
        if (error instanceof SpillError) throw error;
        failures.push(shardFailure(index.name, error));
        dropIndex?.(indexNumber);
        break;
      }
    }
  }
  if (failures.length && search.request.allow_partial_search_results === false) {
    throw new Error(`search failed: ${failures.map((f) => `[${f.index}] ${f.reason.reason}`).join("; ")}`);
  }
  return failures;
}

export function shardFailure(index: string, error: unknown): ShardFailure {
  if (error instanceof FieldEvaluationError || error instanceof Error) {
    return {
      index,
      reason: {
        type: error instanceof FieldEvaluationError ? "script_exception" : "evaluation_exception",
        reason: error.message,
      },
    };
  }
  throw error;
}

/** Reads an event's timestamp and tiebreaker through the index's field mapping. */
export function orderKeyReader(
  compiler: QueryCompiler,
  request: SearchInput["request"],
): (event: Event, arrival: number) => OrderKey {
  const timestamp = compiler.fieldGetterByName(request.timestamp_field);
  const readDate = compiler.dateReader(request.timestamp_field);
  const tiebreaker: FieldGetter | null = request.tiebreaker_field
    ? compiler.fieldGetterByName(request.tiebreaker_field)
    : null;
  return (event, arrival) => ({
    timestamp: readDate(firstScalar(timestamp(event))),
    tiebreaker: tiebreaker ? firstScalar(tiebreaker(event)) : null,
    arrival,
  });
}

export function firstScalar(raw: unknown): Scalar {
  let first: Scalar = null;
  someValue(raw, (v) => {
    first = v;
    return true;
  });
  return first;
}

function normalizeRequest(request: EqlSearchRequest): SearchInput["request"] {
  if (typeof request?.query !== "string") throw new TypeError("request.query must be an EQL query string");
  const size = request.size ?? 10;
  if (!Number.isInteger(size) || size < 0) throw new RangeError("size must be greater than or equal to 0");
  const position = request.result_position ?? "tail";
  if (position !== "head" && position !== "tail") {
    throw new RangeError(`result position needs to be 'head' or 'tail', received '${String(position)}'`);
  }
  const samples = request.max_samples_per_key ?? 1;
  if (!Number.isInteger(samples) || samples < 1)
    throw new RangeError("max_samples_per_key must be greater than 0");
  return {
    ...request,
    size,
    result_position: position,
    timestamp_field: request.timestamp_field ?? "@timestamp",
    event_category_field: request.event_category_field ?? "event.category",
    max_samples_per_key: samples,
  };
}

const isIndexList = (input: unknown): input is EqlIndex[] =>
  Array.isArray(input) &&
  input.length > 0 &&
  input.every((x) => x !== null && typeof x === "object" && typeof x.name === "string" && "events" in x);

async function materialize(list: EqlIndex[]): Promise<Array<EqlIndex & { events: Event[] }>> {
  const out = [];
  for (const index of list) {
    const events: Event[] = [];
    for await (const event of index.events) {
      if (event === null || typeof event !== "object" || Array.isArray(event)) {
        throw new TypeError(`index [${index.name}]: event #${events.length + 1} is not a JSON object`);
      }
      events.push(event);
    }
    out.push({ ...index, events });
  }
  return out;
}

/** Runtime fields defined by a script: eqlite cannot run Painless, so reading them fails in that index. */
function runtimeScriptFields(mapping: EsMapping | undefined): ReadonlySet<string> {
  const runtime = (mapping as { mappings?: EsMapping } | undefined)?.mappings?.runtime ?? mapping?.runtime;
  const names = new Set<string>();
  if (runtime && typeof runtime === "object") {
    for (const [name, def] of Object.entries(runtime)) {
      if (def && typeof def === "object" && "script" in def) names.add(name);
    }
  }
  return names;
}
