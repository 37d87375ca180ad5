/**
 * The state of a NATS deployment as `eqlite status` shows it, read without changing anything:
 * the events and alerts streams, and per partition (and `global`) its owner (the lease), its
 * checkpoint and its lag.
 *
 * - The owner's epoch is the lease's revision when it was created; renewals move the revision, so
 *   it is read from what the owner made with it: the per-epoch consumer `part-<p>-e<epoch>` (the
 *   newest one of the partition), else the checkpoint the owner claimed.
 * - Lag is what that consumer has not delivered yet (`num_pending`). Without a consumer it is
 *   estimated from the stream: the last sequence stored on the partition's subject minus the
 *   checkpoint's (stream sequences count every partition's messages, so this is an upper bound),
 *   or, with no checkpoint at all, every message on the subject.
 *
 * Anything missing (no worker ever ran, no stream yet) shows as absent, not as an error.
 */
import {
  type ConsumerInfo,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  jetstreamManager,
  type StreamInfo,
} from "@nats-io/jetstream";
import { type KV, type KvEntry, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { type MemberRecord, parseMemberRecord } from "../worker/membership.ts";
import { isPut, readBucket } from "./bucket-read.ts";
import { listConsumers } from "./consumer-list.ts";
import { DEFAULT_PARTITIONS } from "./partition.ts";
import {
  type CheckpointRecord,
  GLOBAL_PARTITION,
  type LeaseRecord,
  type PartitionId,
  parsePartitionKey,
  parseRecord,
  partitionKey,
} from "./records.ts";
import { deploymentWarnings } from "./status-warnings.ts";
import {
  ALERTS_STREAM,
  CHECKPOINTS_BUCKET,
  EVENTS_STREAM,
  EVENTS_SUBJECTS,
  eventSubject,
  LEASES_BUCKET,
  MEMBERS_BUCKET,
} from "./topology.ts";

export interface StreamSummary {
  name: string;
  messages: number;
  bytes: number;
  firstSeq: number;
  lastSeq: number;
  /** ISO time of the newest message, when there is one */
  lastTime?: string;
  replicas: number;
  /** the node that takes every write, in a cluster */
  leader?: string;
  /** the other nodes holding a copy, and whether they are caught up */
  followers: Array<{ name: string; current: boolean; offline: boolean; lag: number }>;
  maxBytes: number;
  maxAgeMs: number;
}

export interface OwnerStatus {
  worker: string;
  /** ms since the epoch when this owner took the partition */
  since: number;
  /** the lease key's revision now (renewals move it) */
  revision: number;
  /** ms since the lease was last written (created or renewed) */
  renewedAgoMs: number;
}

export interface CheckpointStatus extends CheckpointRecord {
  /** ms since the checkpoint was written */
  writtenAgoMs: number;
}

export interface PartitionStatus {
  partition: PartitionId;
  key: string;
  owner?: OwnerStatus;
  /** the current ownership epoch: of the newest consumer, else of the checkpoint */
  epoch?: number;
  consumer?: { name: string; pending: number; ackPending: number };
  checkpoint?: CheckpointStatus;
  /** messages stored for this partition (its subject; the whole stream for `global`) */
  messages: number;
  lag?: number;
  /** false when the lag is estimated from stream sequences */
  lagExact: boolean;
}

export interface SinkStatus {
  consumer: string;
  pending: number;
  ackPending: number;
  redelivered: number;
}

export interface ClusterStatus {
  /** when it was read (ms since the epoch) */
  at: number;
  server: string;
  partitions: number;
  events?: StreamSummary;
  alerts?: StreamSummary;
  rows: PartitionStatus[];
  workers: MemberRecord[];
  sinks: SinkStatus[];
  /** what looks wrong or could not be read */
  warnings: string[];
}

export interface StatusOptions {
  /** the deployment's partition count; default: what the live workers say, else 64 */
  partitions?: number;
  clock?: () => number;
}

const NS_PER_MS = 1_000_000;
const CONSUMER_NAME = /^(?:part-(\d+)|global)-e(\d+)$/;

export async function readClusterStatus(
  nc: NatsConnection,
  options: StatusOptions = {},
): Promise<ClusterStatus> {
  const clock = options.clock ?? Date.now;
  const warnings: string[] = [];
  const jsm = await jetstreamManager(nc, { timeout: 10_000 });
  const attempt = async <T>(what: string, read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (error) {
      if (isNotFound(error)) return undefined;
      warnings.push(`${what}: ${(error as Error).message ?? error}`);
      return undefined;
    }
  };

  const eventsInfo = await attempt(`reading the stream ${EVENTS_STREAM}`, () =>
    jsm.streams.info(EVENTS_STREAM, { subjects_filter: EVENTS_SUBJECTS }),
  );
  const alertsInfo = await attempt(`reading the stream ${ALERTS_STREAM}`, () =>
    jsm.streams.info(ALERTS_STREAM),
  );
  if (!eventsInfo)
    warnings.push(
      `no stream ${EVENTS_STREAM} yet: no ingest node (eqlite serve --nats) or worker has started on this cluster`,
    );
  const kvm = new Kvm(nc);
  const leases = await attempt("reading the leases", () => liveRecords(jsm, kvm, LEASES_BUCKET));
  const checkpoints = await attempt("reading the checkpoints", () =>
    liveRecords(jsm, kvm, CHECKPOINTS_BUCKET),
  );
  const memberEntries = await attempt("reading the workers", () => liveRecords(jsm, kvm, MEMBERS_BUCKET));
  const workers = [...(memberEntries?.values() ?? [])]
    .map((e) => parseMemberRecord(e.value))
    .filter((m): m is MemberRecord => m !== undefined)
    .sort((a, b) => a.worker.localeCompare(b.worker));
  const consumers = eventsInfo
    ? ((await attempt("listing the events consumers", () => listConsumers(jsm, EVENTS_STREAM))) ?? [])
    : [];
  const sinks = alertsInfo
    ? ((await attempt("listing the alerts consumers", () => listConsumers(jsm, ALERTS_STREAM))) ?? [])
    : [];

  const partitions = options.partitions ?? commonPartitionCount(workers) ?? DEFAULT_PARTITIONS;
  const seen = new Set([...(leases?.keys() ?? []), ...(checkpoints?.keys() ?? [])]);
  for (const key of seen) {
    const p = parsePartitionKey(key);
    if (typeof p === "number" && p >= partitions)
      warnings.push(
        `${key} has a lease or a checkpoint, but the deployment is read as ${partitions} partitions: do the workers use another --partitions?`,
      );
  }
  for (const w of workers)
    if (w.partitions !== partitions)
      warnings.push(`worker ${w.worker} runs ${w.partitions} partitions, not ${partitions}`);

  const newest = newestConsumers(consumers);
  const now = clock();
  // `global` is listed where it runs or ran: unowned with the whole stream as lag would read as an alarm
  const globalKey = partitionKey(GLOBAL_PARTITION);
  const globalRuns = workers.some((w) => w.rules.globalRules > 0) || seen.has(globalKey);
  const ids: PartitionId[] = Array.from({ length: partitions }, (_, p): PartitionId => p);
  if (globalRuns) ids.push(GLOBAL_PARTITION);
  const rows: PartitionStatus[] = [];
  for (const partition of ids) {
    const key = partitionKey(partition);
    const row: PartitionStatus = {
      partition,
      key,
      messages: messagesOf(eventsInfo, partition),
      lagExact: true,
    };
    const lease = leases?.get(key);
    const leaseRecord = lease && parseRecord<LeaseRecord>(lease.value);
    if (lease && leaseRecord)
      row.owner = {
        worker: leaseRecord.worker,
        since: leaseRecord.since,
        revision: lease.revision,
        renewedAgoMs: now - lease.created.getTime(),
      };
    const checkpointEntry = checkpoints?.get(key);
    const checkpoint = checkpointEntry && parseRecord<CheckpointRecord>(checkpointEntry.value);
    if (checkpointEntry && checkpoint)
      row.checkpoint = { ...checkpoint, writtenAgoMs: now - checkpointEntry.created.getTime() };
    const consumer = newest.get(key);
    if (consumer) {
      row.consumer = {
        name: consumer.info.name,
        pending: consumer.info.num_pending,
        ackPending: consumer.info.num_ack_pending,
      };
      row.epoch = consumer.epoch;
      row.lag = consumer.info.num_pending;
    } else {
      row.epoch = checkpoint?.epoch;
      if (!checkpoint) row.lag = row.messages;
      else if (eventsInfo) {
        const last = await attempt(`reading the last message of ${key}`, () => lastSeqOf(jsm, partition));
        if (last !== undefined) {
          row.lag = Math.max(0, last - checkpoint.seq);
          row.lagExact = row.lag === 0;
        }
      }
    }
    rows.push(row);
  }
  warnings.push(...deploymentWarnings(rows, workers));
  return {
    at: now,
    server: nc.getServer(),
    partitions,
    events: eventsInfo && summarize(eventsInfo),
    alerts: alertsInfo && summarize(alertsInfo),
    rows,
    workers,
    sinks: sinks.map((c) => ({
      consumer: c.name,
      pending: c.num_pending,
      ackPending: c.num_ack_pending,
      redelivered: c.num_redelivered,
    })),
    warnings,
  };
}

/** Every live key of a bucket with its entry; undefined when the bucket does not exist. */
async function liveRecords(
  jsm: JetStreamManager,
  kvm: Kvm,
  bucket: string,
): Promise<Map<string, KvEntry> | undefined> {
  try {
    await jsm.streams.info(`KV_${bucket}`);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  const kv: KV = await kvm.open(bucket);
  const entries = new Map<string, KvEntry>();
  for (const record of await readBucket(kv)) if (isPut(record)) entries.set(record.key, record);
  return entries;
}

/** Per partition key, its consumer of the highest epoch: the one the current owner made. */
function newestConsumers(consumers: ConsumerInfo[]): Map<string, { epoch: number; info: ConsumerInfo }> {
  const newest = new Map<string, { epoch: number; info: ConsumerInfo }>();
  for (const info of consumers) {
    const match = CONSUMER_NAME.exec(info.name);
    if (!match) continue;
    const key = match[1] === undefined ? GLOBAL_PARTITION : partitionKey(Number(match[1]));
    const epoch = Number(match[2]);
    if ((newest.get(key)?.epoch ?? -1) < epoch) newest.set(key, { epoch, info });
  }
  return newest;
}

function messagesOf(info: StreamInfo | undefined, partition: PartitionId): number {
  if (!info) return 0;
  if (partition === GLOBAL_PARTITION) return info.state.messages;
  return info.state.subjects?.[eventSubject(partition)] ?? 0;
}

async function lastSeqOf(jsm: JetStreamManager, partition: PartitionId): Promise<number | undefined> {
  if (partition === GLOBAL_PARTITION) return (await jsm.streams.info(EVENTS_STREAM)).state.last_seq;
  try {
    const message = await jsm.streams.getMessage(EVENTS_STREAM, { last_by_subj: eventSubject(partition) });
    return message?.seq ?? 0;
  } catch (error) {
    if (isNotFound(error)) return 0;
    throw error;
  }
}

/** What the live workers agree on, if they do. */
function commonPartitionCount(workers: MemberRecord[]): number | undefined {
  const counts = new Set(workers.map((w) => w.partitions).filter((n) => Number.isInteger(n) && n > 0));
  return counts.size === 1 ? [...counts][0] : undefined;
}

function summarize(info: StreamInfo): StreamSummary {
  const state = info.state;
  return {
    name: info.config.name,
    messages: state.messages,
    bytes: state.bytes,
    firstSeq: state.first_seq,
    lastSeq: state.last_seq,
    lastTime: state.messages > 0 ? state.last_ts : undefined,
    replicas: info.config.num_replicas,
    leader: info.cluster?.leader,
    followers: (info.cluster?.replicas ?? []).map((r) => ({
      name: r.name,
      current: r.current,
      offline: r.offline ?? false,
      lag: r.lag ?? 0,
    })),
    maxBytes: info.config.max_bytes,
    maxAgeMs: info.config.max_age / NS_PER_MS,
  };
}

function isNotFound(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamNotFound ||
      error.code === JetStreamApiCodes.ConsumerNotFound ||
      error.code === JetStreamApiCodes.NoMessageFound)
  );
}
