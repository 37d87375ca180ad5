/**
 * `max_signals` across a deployment. A rule alerts at most `max_signals` matches per
 * `interval`, as each scheduled run of it in Kibana does. Every partition's engine holds to
 * that on its own, so without a shared count P partitions could alert P times as many.
 *
 * The ledger is a KV bucket: per rule and window, the ids of the matches admitted. Admitting is
 * idempotent (a match admitted before, replayed by a successor or sent again, is admitted
 * again, and its alert is stored once under its id), and a compare-and-set keeps two partitions
 * from both taking the last place. A worker that admits a match and dies before publishing it
 * leaves the place taken; its successor replays the match and publishes it under that place.
 */
import { createHash } from "node:crypto";
import type { KV } from "@nats-io/kv";
import { isCompareAndSetFailure } from "./compare-and-set.ts";

export interface SignalLedger {
  /** Whether the match may alert: true for one of the window's first `limit`, or one already admitted. */
  admit(ruleId: string, window: number, matchId: string, limit: number): Promise<boolean>;
}

/** A KV key holds `[-/_=.a-zA-Z0-9]`; a rule id may hold anything, so it is hashed. */
export function ledgerKey(ruleId: string, window: number): string {
  return `${createHash("sha256").update(ruleId).digest("hex").slice(0, 32)}.${window}`;
}

export function kvSignalLedger(kv: KV): SignalLedger {
  return {
    async admit(ruleId, window, matchId, limit) {
      const key = ledgerKey(ruleId, window);
      for (;;) {
        const entry = await kv.get(key);
        const live = entry?.operation === "PUT";
        const admitted = live ? admittedIds(entry.string()) : [];
        if (admitted.includes(matchId)) return true;
        if (admitted.length >= limit) return false;
        const value = JSON.stringify([...admitted, matchId]);
        try {
          if (live) await kv.update(key, value, entry.revision);
          else await kv.create(key, value);
          return true;
        } catch (error) {
          // another partition wrote the window first: read it again
          if (!isCompareAndSetFailure(error)) throw error;
        }
      }
    },
  };
}

/** What a window holds; anything else (written by hand, or by another version) starts afresh. */
function admittedIds(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value) && value.every((id) => typeof id === "string")) return value;
  } catch {
    // not JSON: replaced by the next admission
  }
  return [];
}
