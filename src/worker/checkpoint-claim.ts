/**
 * Taking a partition's checkpoint over: the first write of a new owner. It copies the former
 * owner's position and stamps its own epoch, by compare-and-set on the revision it read, so from
 * this write on every checkpoint of the former owner fails (it is fenced out), and a newer owner
 * than this one is noticed here.
 */
import type { KV } from "@nats-io/kv";
import { type CheckpointRecord, encodeRecord, parseRecord } from "../nats/records.ts";
import { errorText, isCompareAndSetFailure } from "./compare-and-set.ts";

export interface ClaimedCheckpoint {
  /** the former owner's checkpoint; undefined for a partition never checkpointed */
  previous: CheckpointRecord | undefined;
  /** the claim as written */
  record: CheckpointRecord;
  /** the revision the next checkpoint must compare-and-set on */
  revision: number;
}

export class CheckpointFenced extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckpointFenced";
  }
}

export async function claimCheckpoint(
  checkpoints: KV,
  key: string,
  epoch: number,
  worker: string,
): Promise<ClaimedCheckpoint> {
  const entry = await checkpoints.get(key);
  const live = entry !== null && entry.operation === "PUT";
  const previous = live ? readCheckpoint(entry.value, key) : undefined;
  if (previous && previous.epoch > epoch)
    throw new CheckpointFenced(
      `${key}: the checkpoint belongs to epoch ${previous.epoch}, newer than ${epoch}`,
    );
  const record: CheckpointRecord = { ...(previous ?? { seq: 0, storedAtMs: 0 }), epoch, worker };
  try {
    const revision =
      live && entry
        ? await checkpoints.update(key, encodeRecord(record), entry.revision)
        : await checkpoints.create(key, encodeRecord(record));
    return { previous, record, revision };
  } catch (error) {
    if (isCompareAndSetFailure(error))
      throw new CheckpointFenced(
        `${key}: another owner wrote the checkpoint while it was claimed (${errorText(error)})`,
      );
    throw error;
  }
}

/** A checkpoint as stored; what is not one is an error naming the key. */
export function readCheckpoint(value: Uint8Array, key: string): CheckpointRecord {
  let record: Partial<CheckpointRecord> | undefined;
  try {
    record = parseRecord<Partial<CheckpointRecord>>(value);
  } catch (error) {
    throw new Error(`the checkpoint ${key} is not JSON: ${errorText(error)}`);
  }
  const whole = (n: unknown) => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
  if (
    !record ||
    typeof record !== "object" ||
    !whole(record.seq) ||
    !whole(record.storedAtMs) ||
    !whole(record.epoch)
  )
    throw new Error(`the checkpoint ${key} lacks a whole seq, storedAtMs or epoch`);
  const out: CheckpointRecord = {
    seq: record.seq!,
    storedAtMs: record.storedAtMs!,
    epoch: record.epoch!,
    worker: typeof record.worker === "string" ? record.worker : "",
  };
  if (typeof record.snapshot === "string") out.snapshot = record.snapshot;
  if (typeof record.ruleSetHash === "string") out.ruleSetHash = record.ruleSetHash;
  return out;
}
