import type { OrderKey } from "../ordering.ts";
import type { JoinKey } from "./join-key.ts";
import { unpackKeys } from "./sequence-hit.ts";
import type { TermHit } from "./sequence-runner.ts";
import type { SpillCodec } from "./spill.ts";

type Ordered = OrderKey & { timestamp: bigint };

/** A held event whose keys are still the JSON text a match worker sent (see PackedSequenceHit). */
export interface PackedTermHit<T> {
  item: T;
  order: Ordered;
  keys: string;
}

/** A sequence's event while it waits to be put in order: its keys read, or still text. */
export type HeldTermHit<T> = TermHit<T> | PackedTermHit<T>;

/** The hit as its sequences take it: packed keys are read now. */
export function unpackTermHit<T>(hit: HeldTermHit<T>): TermHit<T> {
  if (!("keys" in hit)) return hit;
  return { item: hit.item, order: hit.order, ...unpackKeys(hit.keys) };
}

/**
 * A sequence's held event as JSON, to spill: its order, its keys per term and for `until` (or
 * the text of packed keys, written as it is), and its item, which `item` writes and reads back
 * (knowing the order, which a search's candidate carries too).
 */
export function termHitCodec<T>(item: {
  encode(item: T): unknown;
  decode(value: unknown, order: Ordered): T;
}): SpillCodec<HeldTermHit<T>> {
  return {
    // JSON writes undefined in an array as null: read back as undefined
    encode: (hit) => [
      String(hit.order.timestamp),
      hit.order.tiebreaker,
      hit.order.arrival,
      "keys" in hit ? hit.keys : hit.terms,
      "keys" in hit ? null : (hit.until ?? null),
      item.encode(hit.item),
    ],
    decode(value) {
      const [timestamp, tiebreaker, arrival, terms, until, encoded] = value as [
        string,
        OrderKey["tiebreaker"],
        number,
        Array<JoinKey[] | null> | string,
        JoinKey[] | null,
        unknown,
      ];
      const order = { timestamp: BigInt(timestamp), tiebreaker, arrival };
      const held = item.decode(encoded, order);
      if (typeof terms === "string") return { order, keys: terms, item: held };
      return {
        order,
        terms: terms.map((keys) => keys ?? undefined),
        until: until ?? undefined,
        item: held,
      };
    },
  };
}
