/**
 * The records eqlite keeps in JetStream key-value buckets, shared by workers and `eqlite status`.
 * Keys: `p<partition>` for a host partition, `global` for the rules whose join keys are not
 * host-scoped (they read every partition).
 */

export const GLOBAL_PARTITION = "global";

export type PartitionId = number | typeof GLOBAL_PARTITION;

export function partitionKey(partition: PartitionId): string {
  return partition === GLOBAL_PARTITION ? GLOBAL_PARTITION : `p${partition}`;
}

export function parsePartitionKey(key: string): PartitionId | undefined {
  if (key === GLOBAL_PARTITION) return GLOBAL_PARTITION;
  const match = /^p(\d+)$/.exec(key);
  return match ? Number(match[1]) : undefined;
}

/**
 * A lease: who owns a partition. The bucket's TTL expires it unless renewed; the revision at
 * which it was created is the ownership epoch.
 */
export interface LeaseRecord {
  worker: string;
  /** ms since the epoch when this owner took the partition */
  since: number;
}

/**
 * How far a partition has been processed: every alert implied by the events up to `seq` is
 * durable in the alerts stream. Written with compare-and-set; the write is the fencing token that
 * stops a stalled former owner.
 */
export interface CheckpointRecord {
  /** the last events-stream sequence whose alerts are durable */
  seq: number;
  /** the stream's store time of that message (ms): where a replay by time starts from */
  storedAtMs: number;
  /** the lease revision of the owner that wrote it */
  epoch: number;
  worker: string;
  /** the object-store name of a state snapshot taken at `seq`, when one was */
  snapshot?: string;
  /** the rule-set hash the snapshot was taken with: another rule set cannot use it */
  ruleSetHash?: string;
}

/** The durable consumer of one ownership epoch: a new owner never reuses the old one's. */
export function consumerName(partition: PartitionId, epoch: number): string {
  return `${partition === GLOBAL_PARTITION ? "global" : `part-${partition}`}-e${epoch}`;
}

export function parseRecord<T>(value: Uint8Array | undefined | null): T | undefined {
  if (!value || value.length === 0) return undefined;
  return JSON.parse(Buffer.from(value).toString("utf8")) as T;
}

export function encodeRecord(record: LeaseRecord | CheckpointRecord): Uint8Array {
  return Buffer.from(JSON.stringify(record), "utf8");
}
