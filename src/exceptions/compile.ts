/**
 * Exception items compiled into predicates over JSON events, with the meaning
 * Kibana gives them when it turns them into an Elasticsearch filter
 * (kibana-engine.md §6): entries ANDed, items ORed, and the whole applied
 * negated, so an excepted event never reaches the rule. For sequences that
 * means per event: an excepted event cannot take part in a sequence.
 *
 * eqlite has no index mapping, so each entry is read as it behaves on a
 * `keyword` field, the type of nearly every field exceptions are written on.
 */
import { compileFieldGetter, type Event, hasSomeValue, someValue } from "../eql/field-access.ts";
import { compileWildcardQuery } from "../eql/wildcard-query.ts";
import {
  type Diagnostic,
  describeItem,
  diagnosticAt,
  type ExceptionEntry,
  type ExceptionItem,
  type NestedInnerEntry,
} from "./model.ts";
import type { ListValue, ValueList } from "./value-lists.ts";

export type EventPredicate = (event: Event) => boolean;

/** An item that can never apply (expired): excepts nothing. */
const NEVER: EventPredicate = () => false;

/** The filter of a rule without exceptions: every event goes on to the rule. */
export const KEEP_ALL: EventPredicate = () => true;

/** An item that cannot be applied: a value list that is not loaded, a list type Kibana does not apply. */
export class ExceptionCompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExceptionCompileError";
  }
}

export interface CompileOptions {
  /** value lists by id, for `list` entries */
  valueLists?: ReadonlyMap<string, ValueList>;
  /**
   * The time items' `expire_time` is compared with: Kibana uses the start of the
   * rule's run, so a replay of a past window should pass that window's `now`.
   * Default: the time of compilation.
   */
  now?: Date | number;
}

/**
 * "This event is excepted by the item": its entries ANDed, restricted to its
 * `os_types`. An expired item excepts nothing.
 *
 * @throws ExceptionCompileError when the item cannot be applied
 */
export function compileExceptionItem(item: ExceptionItem, options: CompileOptions = {}): EventPredicate {
  if (isExpired(item, options.now)) return NEVER;
  // Kibana's schema forbids it, and an item without entries would except every event.
  if (item.entries.length === 0) throw new ExceptionCompileError("it has no entries");
  const entries = item.entries.map((entry, i) => {
    try {
      return compileEntry(entry, options);
    } catch (error) {
      if (error instanceof ExceptionCompileError)
        throw new ExceptionCompileError(`entries[${i}]: ${error.message}`);
      throw error;
    }
  });
  const all = allOf(entries);
  const os = osTypeTest(item.os_types);
  return os === null ? all : (event) => os(event) && all(event);
}

export function isExpired(
  item: Pick<ExceptionItem, "expire_time">,
  now: Date | number = Date.now(),
): boolean {
  if (item.expire_time === undefined) return false;
  // An unreadable time compares false, so the item stays, as in Kibana (loaders reject such items anyway).
  return Date.parse(item.expire_time) < +now;
}

function compileEntry(entry: ExceptionEntry, options: CompileOptions): EventPredicate {
  const included = compileIncluded(entry, options);
  // `excluded` is Kibana's must_not: "the field is NOT ...", which holds when the field is absent.
  return entry.operator === "excluded" ? (event) => !included(event) : included;
}

function compileIncluded(entry: ExceptionEntry, options: CompileOptions): EventPredicate {
  if (entry.type === "nested") return compileNested(entry.field, entry.entries, options);
  if (entry.type === "list") {
    const list = valueListFor(entry.list, options);
    return anyValue(entry.field, (v) => list.has(v));
  }
  return compileScalarEntry(entry);
}

function compileScalarEntry(entry: NestedInnerEntry): EventPredicate {
  switch (entry.type) {
    case "match": {
      // match_phrase on a keyword field: exact and case-sensitive.
      const want = entry.value;
      return anyValue(entry.field, (v) => termText(v) === want);
    }
    case "match_any": {
      const wanted = new Set(entry.value);
      return anyValue(entry.field, (v) => wanted.has(termText(v)));
    }
    case "wildcard": {
      // Case-sensitive, as a wildcard query on a keyword field. Kibana's query is
      // case-insensitive on `wildcard`-typed fields (and Endpoint's `.caseless`
      // ones), but eqlite has no mapping to tell the field types apart, so it
      // keeps the keyword reading everywhere: an `included` entry (the usual
      // kind) then excepts no more than Kibana would, so eqlite errs towards alerting.
      const matches = compileWildcardQuery(entry.value);
      return anyValue(entry.field, (v) => matches(termText(v)));
    }
    case "exists": {
      const get = compileFieldGetter(entry.field);
      return (event) => hasSomeValue(get(event));
    }
  }
}

/**
 * Some object of the array at `field` satisfies every inner entry by itself, as an
 * Elasticsearch `nested` query does: `[{a:1,b:2},{a:3,b:4}]` does not match a=1 and b=4.
 */
function compileNested(field: string, entries: NestedInnerEntry[], options: CompileOptions): EventPredicate {
  const get = compileFieldGetter(field);
  const inner = allOf(entries.map((entry) => compileEntry(entry, options)));
  return (event) => someObject(get(event), inner);
}

function someObject(raw: unknown, test: EventPredicate): boolean {
  // An explicit stack: events are untrusted, and arrays nested 100,000 deep must not overflow the call stack.
  const pending = [raw];
  while (pending.length > 0) {
    const value = pending.pop();
    if (Array.isArray(value)) for (let i = value.length - 1; i >= 0; i--) pending.push(value[i]);
    else if (value !== null && typeof value === "object" && test(value as Event)) return true;
  }
  return false;
}

function valueListFor(ref: { id: string; type: string }, options: CompileOptions): ValueList {
  if (ref.type !== "keyword" && ref.type !== "ip" && ref.type !== "ip_range")
    throw new ExceptionCompileError(
      `value list "${ref.id}" is of type ${ref.type}; Kibana does not apply such exceptions to EQL rules, nor does eqlite`,
    );
  const list = options.valueLists?.get(ref.id);
  if (list === undefined) throw new ExceptionCompileError(`value list "${ref.id}" is not loaded`);
  // The entry's type decides how Kibana queries the values; a list of another type would be misread.
  if (list.type !== ref.type)
    throw new ExceptionCompileError(
      `the entry expects a value list of type ${ref.type}, but "${ref.id}" (${list.source}) is ${list.type}`,
    );
  return list;
}

function anyValue(field: string, test: (v: ListValue) => boolean): EventPredicate {
  const get = compileFieldGetter(field);
  return (event) => someValue(get(event), test);
}

/** A number or boolean as the term a keyword field indexes for it: its JSON text. */
function termText(v: ListValue): string {
  return typeof v === "string" ? v : String(v);
}

function allOf(predicates: EventPredicate[]): EventPredicate {
  if (predicates.length === 1) return predicates[0];
  return (event) => {
    for (const p of predicates) if (!p(event)) return false;
    return true;
  };
}

function anyOf(predicates: EventPredicate[]): EventPredicate {
  if (predicates.length === 0) return NEVER;
  if (predicates.length === 1) return predicates[0];
  return (event) => {
    for (const p of predicates) if (p(event)) return true;
    return false;
  };
}

/**
 * `os_types` adds "and the host runs one of these": Endpoint writes the OS to
 * `host.os.name` (queried through its lower-cased `.caseless` sub-field), Beats
 * and Agent integrations to `host.os.type`; Kibana accepts either.
 */
function osTypeTest(osTypes: readonly string[] | undefined): EventPredicate | null {
  if (osTypes === undefined || osTypes.length === 0) return null;
  const exact = new Set(osTypes);
  const caseless = new Set(osTypes.map((os) => os.toLowerCase()));
  const type = compileFieldGetter("host.os.type");
  const name = compileFieldGetter("host.os.name");
  return (event) =>
    someValue(type(event), (v) => exact.has(termText(v))) ||
    someValue(name(event), (v) => caseless.has(termText(v).toLowerCase()));
}

export interface CompileListOptions extends CompileOptions {
  /**
   * Where problems go. Items that cannot be applied are reported here and left
   * out, the others still apply; without it the first problem is thrown.
   */
  diagnostics?: Diagnostic[];
  /**
   * Shared between the rules of a run so an item used by many rules is compiled,
   * and reported, once. `null` marks an item that could not be compiled.
   */
  cache?: Map<ExceptionItem, EventPredicate | null>;
}

/** "This event is excepted by one of the items" (items ORed). */
export function compileExceptionList(
  items: readonly ExceptionItem[],
  options: CompileListOptions = {},
): EventPredicate {
  const predicates: EventPredicate[] = [];
  for (const item of new Set(items)) {
    const p = compileCached(item, options);
    if (p !== null && p !== NEVER) predicates.push(p);
  }
  return anyOf(predicates);
}

function compileCached(item: ExceptionItem, options: CompileListOptions): EventPredicate | null {
  const cached = options.cache?.get(item);
  if (cached !== undefined) return cached;
  let predicate: EventPredicate | null;
  try {
    predicate = compileExceptionItem(item, options);
    if (predicate === NEVER && options.diagnostics)
      options.diagnostics.push(
        diagnosticAt(
          "warning",
          item.origin,
          `${describeItem(item)} expired at ${item.expire_time}; not applied`,
        ),
      );
  } catch (error) {
    if (!(error instanceof ExceptionCompileError)) throw error;
    const message = `${describeItem(item)}: ${error.message}; the item is not applied`;
    if (!options.diagnostics) throw new ExceptionCompileError(message);
    options.diagnostics.push(diagnosticAt("error", item.origin, message));
    predicate = null;
  }
  options.cache?.set(item, predicate);
  return predicate;
}

/**
 * The exception filter of one rule, from the items of every list it uses: true
 * when the event goes on to the rule (no item excepts it), as `Array.filter`
 * reads a predicate. A rule without exceptions gets KEEP_ALL, which callers may
 * compare against to skip the call.
 */
export function exceptionFilter(
  lists: ReadonlyArray<readonly ExceptionItem[]>,
  options: CompileListOptions = {},
): EventPredicate {
  const excepted = compileExceptionList(lists.flat(), options);
  return excepted === NEVER ? KEEP_ALL : (event) => !excepted(event);
}

/**
 * Each rule's exception filter, by rule_id, from the items attached to it: compiled when first
 * asked for, an item shared by many rules once (give `options.cache`); undefined for a rule
 * that keeps every event, so that callers skip the call.
 */
export function exceptionFiltersByRule(
  byRule: ReadonlyMap<string, readonly ExceptionItem[]>,
  options: CompileListOptions,
): (ruleId: string) => EventPredicate | undefined {
  return (ruleId) => {
    const keep = exceptionFilter([byRule.get(ruleId) ?? []], options);
    return keep === KEEP_ALL ? undefined : keep;
  };
}
