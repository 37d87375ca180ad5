import type { KV } from "@nats-io/kv";
import { parsePartitionKey } from "../nats/records.ts";
import { readCheckpoint } from "./checkpoint-claim.ts";

/** How far the host partitions have come: the furthest checkpoint's stream sequence and store time. */
export interface HostProgress {
  seq: number;
  storedAtMs: number;
}

/**
 * The furthest host checkpoint that has passed an event, or undefined when none has (a
 * deployment that has not processed anything yet: the global partition then reads the stream
 * from its start, as the host partitions do).
 *
 * A global partition that has never run starts from here as from a checkpoint: its look-back
 * before it is replayed without alerting, and it alerts on what comes after. A global rule added
 * to a running deployment then starts where the fleet is, instead of alerting on every event
 * the stream still holds.
 */
export async function hostProgress(checkpoints: KV): Promise<HostProgress | undefined> {
  let furthest: HostProgress | undefined;
  for await (const key of await checkpoints.keys()) {
    if (typeof parsePartitionKey(key) !== "number") continue;
    const entry = await checkpoints.get(key);
    if (entry?.operation !== "PUT") continue;
    let record: ReturnType<typeof readCheckpoint>;
    try {
      record = readCheckpoint(entry.value, key);
    } catch {
      continue; // not ours to judge here: its partition's owner reports it
    }
    if (record.seq > 0 && (furthest === undefined || record.seq > furthest.seq))
      furthest = { seq: record.seq, storedAtMs: record.storedAtMs };
  }
  return furthest;
}
