/**
 * `eqlite worker` settings, with their defaults. Every worker of a deployment should run with
 * the same partition count, lateness, ingest lag and replay limit: they decide where events
 * live and what a successor replays.
 */
import { hostname } from "node:os";
import type { NatsAccess } from "../nats/connect.ts";
import { DEFAULT_PARTITIONS } from "../nats/partition.ts";
import type { PartitionId } from "../nats/records.ts";
import type { RunnerSettings } from "./partition-runner.ts";

/** `servers`: any node of the cluster will do, the client learns the others */
export interface WorkerSettings extends RunnerSettings, NatsAccess {
  rules: string[];
  exceptions: string[];
  /** this worker's name: its membership key, and what leases and checkpoints record */
  id: string;
  partitions: number;
  /** stream and bucket replicas when this worker creates them (3 on a 3-node cluster) */
  replicas: number;
  /** a lease (and a membership) not renewed within this expires; the buckets' own TTL wins once created */
  leaseTtlMs: number;
  /** static ownership: exactly these partitions (failover then needs another worker listing them) */
  own?: PartitionId[];
  /** alerts published and not yet acknowledged, at most */
  alertsInFlight: number;
  watchRules: boolean;
  reloadDebounceMs: number;
  /** takeovers started at once (each creates a consumer and replays) */
  takeoverConcurrency: number;
}

export const WORKER_DEFAULTS = {
  servers: ["nats://127.0.0.1:4222"],
  partitions: DEFAULT_PARTITIONS,
  replicas: 1,
  leaseTtlMs: 10_000,
  checkpointIntervalMs: 1_000,
  checkpointEvents: 2_000,
  allowedLatenessMs: 2_000,
  idleFlushMs: 500,
  ingestLagMs: 60_000,
  replayLimitMs: 900_000,
  snapshotIntervalMs: 300_000,
  stopTimeoutMs: 15_000,
  maxHeldBytes: 256 * 1024 * 1024,
  pullBatch: 256,
  maxAckPending: 10_000,
  alertsInFlight: 256,
  watchRules: true,
  reloadDebounceMs: 300,
  takeoverConcurrency: 4,
} as const;

export function defaultWorkerId(): string {
  return `${hostname().replace(/[^-_=.a-zA-Z0-9]/g, "_")}-${process.pid}`;
}

/** Settings that cannot work together, named; empty when all is well. */
export function settingsProblems(s: WorkerSettings): string[] {
  const problems: string[] = [];
  if (s.servers.length === 0) problems.push("no NATS server given (--nats or EQLITE_NATS)");
  if (!(s.partitions >= 1 && s.partitions <= 4096)) problems.push("--partitions must be from 1 to 4096");
  if (!(s.leaseTtlMs >= 1000)) problems.push("--lease-ttl must be at least 1000 ms");
  if (s.checkpointIntervalMs >= s.leaseTtlMs)
    problems.push("--checkpoint-interval must be shorter than the lease TTL");
  if (s.checkpointEvents * 2 > s.maxAckPending)
    problems.push("checkpoints must come at least twice per max_ack_pending messages");
  if (s.idleFlushMs <= 0) problems.push("--idle-flush must be positive");
  return problems;
}
