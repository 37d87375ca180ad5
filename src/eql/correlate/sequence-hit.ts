import type { SequenceQuery } from "../ast.ts";
import type { QueryCompiler } from "../compiler.ts";
import type { Event } from "../field-access.ts";
import { firstScalar } from "../search.ts";
import type { Scalar } from "../types.ts";
import type { JoinKey } from "./join-key.ts";
import { compileSequenceTerms } from "./sequence-search.ts";

/**
 * All a sequence needs of an event until the sequence completes: the terms (and `until`) it
 * matches with its keys for each, and its place in time. Plain data, so that it can be read
 * where the event was parsed (a match worker) and sent to where sequences run, which then
 * holds the event's text and parses it only if its sequence completes.
 */
export interface SequenceHit {
  terms: Array<JoinKey[] | undefined>;
  until: JoinKey[] | undefined;
  /** null: the event has no usable timestamp, and takes part in no sequence */
  timestamp: bigint | null;
  tiebreaker: Scalar;
}

/** Reads an event's hit, or null when it matches no term and no `until`. It throws what evaluation throws. */
export type SequenceHitReader = (event: Event) => SequenceHit | null;

export function sequenceHitReader(
  compiler: QueryCompiler,
  query: SequenceQuery,
  options: { timestampField?: string; tiebreakerField?: string },
): SequenceHitReader {
  const matchTerms = compileSequenceTerms(compiler, query);
  const timestamp = compiler.fieldGetterByName(options.timestampField ?? "@timestamp");
  const readDate = compiler.dateReader(options.timestampField ?? "@timestamp");
  const tiebreaker = options.tiebreakerField ? compiler.fieldGetterByName(options.tiebreakerField) : null;
  return (event) => {
    const matched = matchTerms(event);
    if (!matched) return null;
    return {
      terms: matched.terms,
      until: matched.until,
      timestamp: readDate(firstScalar(timestamp(event))),
      tiebreaker: tiebreaker ? firstScalar(tiebreaker(event)) : null,
    };
  };
}

/**
 * A hit as a match worker sends it: its keys as one JSON text. A batch holds every hit until
 * its input ends; as objects, the keys of one hit are a score of small objects and strings,
 * which the main thread's collector copies each time it moves them, while a string is one
 * object, and text is also what a worker writes faster than the structured clone copies a
 * graph. The keys are read back when the event is released to its sequences.
 */
export interface PackedSequenceHit {
  /**
   * JSON of `[terms, until]`: a term the event does not match (and no `until`) as null, a key
   * of strings as its id (see PackedKey)
   */
  keys: string;
  timestamp: bigint | null;
  tiebreaker: Scalar;
}

export function packSequenceHit(hit: SequenceHit): PackedSequenceHit {
  return {
    keys: JSON.stringify([hit.terms.map(packKeys), packKeys(hit.until)]),
    timestamp: hit.timestamp,
    tiebreaker: hit.tiebreaker,
  };
}

/** The keys of a packed hit, as the hit had them. */
export function unpackKeys(keys: string): Pick<SequenceHit, "terms" | "until"> {
  const [terms, until] = JSON.parse(keys) as [Array<PackedKey[] | null>, PackedKey[] | null];
  return { terms: terms.map(unpackTermKeys), until: unpackTermKeys(until) };
}

/**
 * A key as it is packed: almost every key is made of strings (`process.entity_id`, `host.id`),
 * and then its id, each value behind an `s`, says all its values too; written alone, it halves
 * the text a batch holds for every candidate until its input ends.
 */
type PackedKey = string | JoinKey;

const packKeys = (keys: JoinKey[] | undefined): PackedKey[] | null =>
  keys === undefined ? null : keys.map((key) => (isStringKey(key) ? key.id : key));

const unpackTermKeys = (keys: PackedKey[] | null): JoinKey[] | undefined =>
  keys === null ? undefined : keys.map((key) => (typeof key === "string" ? stringKey(key) : key));

const SEPARATOR = 0;
const STRING = 0x73; // "s"

/** A key whose id is each value, a string, behind an `s`, joined by NULs (see join-key.ts). */
function isStringKey({ id, values }: JoinKey): boolean {
  if (values.length === 0) return false;
  let at = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    // a value holding the separator would read back as more values than it was
    if (typeof value !== "string" || value.includes("\u0000")) return false;
    if (i > 0 && id.charCodeAt(at++) !== SEPARATOR) return false;
    if (id.charCodeAt(at) !== STRING || !id.startsWith(value, at + 1)) return false;
    at += 1 + value.length;
  }
  return at === id.length;
}

const stringKey = (id: string): JoinKey => ({
  id,
  values: id.split("\u0000").map((part) => part.slice(1)),
});
