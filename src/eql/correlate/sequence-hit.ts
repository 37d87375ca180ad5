import type { SequenceQuery } from "../ast.ts";
import type { QueryCompiler } from "../compiler.ts";
import type { Event } from "../field-access.ts";
import { firstScalar } from "../search.ts";
import type { Scalar } from "../types.ts";
import { parseDateValue } from "../value-compare.ts";
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
  const format = compiler.fieldFormat(options.timestampField ?? "@timestamp");
  const tiebreaker = options.tiebreakerField ? compiler.fieldGetterByName(options.tiebreakerField) : null;
  return (event) => {
    const matched = matchTerms(event);
    if (!matched) return null;
    return {
      terms: matched.terms,
      until: matched.until,
      timestamp: parseDateValue(firstScalar(timestamp(event)), format),
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
  /** JSON of `[terms, until]`, a term the event does not match (and no `until`) as null */
  keys: string;
  timestamp: bigint | null;
  tiebreaker: Scalar;
}

export function packSequenceHit(hit: SequenceHit): PackedSequenceHit {
  return {
    keys: JSON.stringify([hit.terms, hit.until ?? null]),
    timestamp: hit.timestamp,
    tiebreaker: hit.tiebreaker,
  };
}

/** The keys of a packed hit, as the hit had them. */
export function unpackKeys(keys: string): Pick<SequenceHit, "terms" | "until"> {
  const [terms, until] = JSON.parse(keys) as [Array<JoinKey[] | null>, JoinKey[] | null];
  return { terms: terms.map((k) => k ?? undefined), until: until ?? undefined };
}
