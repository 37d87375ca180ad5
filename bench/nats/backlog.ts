/**
 * Lag under load, as an operator feels it: events the stream has stored that are not yet
 * checkpointed by every partition that reads them (the event's host partition and, when rules
 * run there, the global one), and how long ago the oldest of them was sent. A checkpoint means
 * the event's alerts are durable, so this is "published but not yet safely processed"; it
 * includes the workers' checkpoint cadence (every second, or 2,000 events), by design.
 */
import type { CheckpointRecord } from "../../src/nats/records.ts";
import type { EventFeed } from "./event-feed.ts";
import type { KvMirror } from "./kv-mirror.ts";

export interface BacklogSample {
  /** ms since the sampling started */
  atMs: number;
  events: number;
  /** how long ago the oldest event still behind was sent (0 when none is) */
  behindMs: number;
}

export class Backlog {
  /** stored events before this index are all checkpointed: not looked at again */
  private done = 0;

  constructor(
    private readonly feed: EventFeed,
    private readonly checkpoints: KvMirror<CheckpointRecord>,
    private readonly withGlobal: boolean,
  ) {}

  sample(startedAt: number): BacklogSample {
    const now = Date.now();
    const globalSeq = this.withGlobal ? (this.checkpoints.get("global")?.seq ?? 0) : Number.POSITIVE_INFINITY;
    const seqs = new Map<string, number>();
    const checkpointed = (key: string, seq: number) => {
      let at = seqs.get(key);
      if (at === undefined) {
        at = Math.min(this.checkpoints.get(key)?.seq ?? 0, globalSeq);
        seqs.set(key, at);
      }
      return seq <= at;
    };
    const stored = this.feed.stored;
    while (this.done < stored.length && checkpointed(stored[this.done].key, stored[this.done].seq))
      this.done++;
    let events = 0;
    let oldest = now;
    for (let i = this.done; i < stored.length; i++) {
      const e = stored[i];
      if (checkpointed(e.key, e.seq)) continue;
      events++;
      if (e.sentAt < oldest) oldest = e.sentAt;
    }
    return { atMs: now - startedAt, events, behindMs: now - oldest };
  }
}
