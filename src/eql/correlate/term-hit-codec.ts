import type { OrderKey } from "../ordering.ts";
import type { JoinKey } from "./join-key.ts";
import type { TermHit } from "./sequence-runner.ts";
import type { SpillCodec } from "./spill.ts";

type Ordered = OrderKey & { timestamp: bigint };

/**
 * A sequence's held event as JSON, to spill: its order, its keys per term and for `until`,
 * and its item, which `item` writes and reads back (knowing the order, which a search's
 * candidate carries too).
 */
export function termHitCodec<T>(item: {
  encode(item: T): unknown;
  decode(value: unknown, order: Ordered): T;
}): SpillCodec<TermHit<T>> {
  return {
    // JSON writes undefined in an array as null: read back as undefined
    encode: (hit) => [
      String(hit.order.timestamp),
      hit.order.tiebreaker,
      hit.order.arrival,
      hit.terms,
      hit.until ?? null,
      item.encode(hit.item),
    ],
    decode(value) {
      const [timestamp, tiebreaker, arrival, terms, until, encoded] = value as [
        string,
        OrderKey["tiebreaker"],
        number,
        Array<JoinKey[] | null>,
        JoinKey[] | null,
        unknown,
      ];
      const order = { timestamp: BigInt(timestamp), tiebreaker, arrival };
      return {
        order,
        terms: terms.map((keys) => keys ?? undefined),
        until: until ?? undefined,
        item: item.decode(encoded, order),
      };
    },
  };
}
