import type { KV, KvEntry, KvWatchEntry } from "@nats-io/kv";
import { Bucket, KvWatchInclude } from "@nats-io/kv";

/**
 * A bucket as it stands and as it changes, read without the server's "last value per key"
 * delivery. Neither `keys()` nor a watch of last values is a snapshot while keys are written:
 * `keys()` yields them again and once ran on past 30 s, and nats-server 2.9 delivered one key's
 * record three times in place of two others' (seen in CI while three members beat).
 */

/** Each key's latest record, deletions included, from the bucket's stream: one get per key. */
export async function readBucket(bucket: KV): Promise<KvEntry[]> {
  if (!(bucket instanceof Bucket)) throw new TypeError("readBucket reads a bucket opened through Kvm");
  const prefix = `${bucket.prefix}.`;
  const { state } = await bucket.jsm.streams.info(bucket.stream, { subjects_filter: `${prefix}>` });
  const keys = Object.keys(state.subjects ?? {}).map((subject) => subject.slice(prefix.length));
  const records = await Promise.all(keys.map((key) => bucket.get(key)));
  return records.filter((record): record is KvEntry => record !== null);
}

export interface BucketWatch {
  /** each key's latest record, deletions included, read just after the watch began */
  current: KvEntry[];
  /** every later record, in the bucket's order, without those `current` holds or passed */
  changes: AsyncIterable<KvWatchEntry>;
  stop(): void;
}

/** Watches for new records first, then reads the bucket: no record falls between the two. */
export async function watchBucket(bucket: KV): Promise<BucketWatch> {
  const updates = await bucket.watch({ include: KvWatchInclude.UpdatesOnly });
  let current: KvEntry[];
  try {
    current = await readBucket(bucket);
  } catch (error) {
    updates.stop();
    throw error;
  }
  const readAt = new Map(current.map((record) => [record.key, record.revision]));
  async function* changes(): AsyncGenerator<KvWatchEntry> {
    for await (const entry of updates) if (entry.revision > (readAt.get(entry.key) ?? 0)) yield entry;
  }
  return { current, changes: changes(), stop: () => updates.stop() };
}

/** Whether a record says its key is there: a put, not a deletion or purge. */
export function isPut(record: KvEntry): boolean {
  return record.operation === "PUT";
}
