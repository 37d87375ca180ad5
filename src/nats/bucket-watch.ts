import type { KV, KvWatchEntry } from "@nats-io/kv";
import { KvWatchInclude } from "@nats-io/kv";

/**
 * A watch of a bucket — each key's last record, then every change — that knows when it has
 * caught up: it delivers in the bucket's order, so once the record that was the bucket's newest
 * just after the watch began has come, every key of that moment has. `keys()` is no such
 * snapshot: while keys are written it yields them again, and once ran on past 30 s (46 keys
 * of a three-worker members bucket).
 */
export interface BucketWatch {
  entries: AsyncIterable<KvWatchEntry> & { stop(): void };
  /** the bucket held nothing when the watch began: it is caught up already */
  empty: boolean;
  /** whether, with this entry, the watch has caught up with the bucket as it began */
  caughtUp(entry: KvWatchEntry): boolean;
}

export async function watchBucket(bucket: KV): Promise<BucketWatch> {
  const entries = await bucket.watch({ include: KvWatchInclude.LastValue });
  const { state } = (await bucket.status()).streamInfo;
  return {
    entries,
    empty: state.messages === 0,
    caughtUp: (entry) => entry.revision >= state.last_seq,
  };
}
