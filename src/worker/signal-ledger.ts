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

/** Windows remembered by one worker; more and the memory starts afresh (it only saves round trips). */
const REMEMBERED_WINDOWS = 4_096;

/**
 * Each worker remembers the windows it read or wrote: a write then needs no read first (one round
 * trip), and a window it saw full refuses at once. A window only grows, to its limit, so what a
 * worker saw full stays full; a stale revision fails the compare-and-set and is read again.
 */
export function kvSignalLedger(kv: KV): SignalLedger {
  const seen = new Map<string, { revision: number; admitted: string[] }>();
  return {
    async admit(ruleId, window, matchId, limit) {
      const key = ledgerKey(ruleId, window);
      let known = seen.get(key);
      for (;;) {
        if (!known) {
          const entry = await kv.get(key);
          known =
            entry?.operation === "PUT"
              ? { revision: entry.revision, admitted: admittedIds(entry.string()) }
              : { revision: 0, admitted: [] };
        }
        if (known.admitted.includes(matchId)) return true;
        if (known.admitted.length >= limit) {
          remember(seen, key, known);
          return false;
        }
        const admitted = [...known.admitted, matchId];
        try {
          const value = JSON.stringify(admitted);
          // revision 0: no live record (none yet, or expired): create fails if one appeared since
          const revision =
            known.revision === 0 ? await kv.create(key, value) : await kv.update(key, value, known.revision);
          remember(seen, key, { revision, admitted });
          return true;
        } catch (error) {
          // another partition wrote the window first: read it again
          if (!isCompareAndSetFailure(error)) throw error;
          known = undefined;
        }
      }
    },
  };
}

function remember<T>(seen: Map<string, T>, key: string, value: T): void {
  if (seen.size >= REMEMBERED_WINDOWS && !seen.has(key)) seen.clear();
  seen.set(key, value);
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
