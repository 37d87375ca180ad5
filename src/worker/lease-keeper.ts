/**
 * The leases a worker holds, one KV key per partition. A lease is created only where the key
 * is absent (or expired, or deleted by a clean handover); its revision at creation is the
 * ownership epoch. It is renewed by compare-and-set on the last revision every TTL/3, on its own
 * timer: rule evaluation yields to the event loop often enough never to starve it. A renewal
 * refused by compare-and-set means someone else owns the partition now: the holder is told at
 * once (`onLost`) and must stop without acknowledging anything.
 */
import type { KV } from "@nats-io/kv";
import type { Logger } from "pino";
import { encodeRecord, type LeaseRecord, type PartitionId, partitionKey } from "../nats/records.ts";
import { errorText, isCompareAndSetFailure } from "./compare-and-set.ts";

export interface Lease {
  partition: PartitionId;
  key: string;
  /** the lease's revision at creation: names this ownership's consumer and stamps its checkpoints */
  epoch: number;
  /** the revision last written: the next renewal's expected revision */
  revision: number;
  record: LeaseRecord;
  /** wall clock (ms) when the last successful write was sent */
  writtenAt: number;
  /** why the renewals since then failed, when they did (NATS away, no leader) */
  renewalError?: string;
}

export class LeaseKeeper {
  private readonly held = new Map<string, Lease>();
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;

  constructor(
    private readonly leases: KV,
    private readonly worker: string,
    private readonly ttlMs: number,
    private readonly logger: Logger,
    private readonly onLost: (lease: Lease, reason: string) => void,
    private readonly clock: () => number = Date.now,
  ) {}

  get size(): number {
    return this.held.size;
  }

  has(partition: PartitionId): boolean {
    return this.held.has(partitionKey(partition));
  }

  get(partition: PartitionId): Lease | undefined {
    return this.held.get(partitionKey(partition));
  }

  start(): void {
    this.timer ??= setInterval(() => void this.renewAll(), Math.max(100, Math.floor(this.ttlMs / 3)));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Whether the lease is surely still ours: written less than most of a TTL ago. Past that, the
   * bucket may have expired it and another worker may own the partition, so nothing more may be
   * acknowledged or checkpointed under it (a stalled process resuming finds out here first).
   */
  fresh(partition: PartitionId): boolean {
    const lease = this.held.get(partitionKey(partition));
    return lease !== undefined && this.clock() - lease.writtenAt < this.ttlMs * 0.8;
  }

  /**
   * Why the lease is not fresh, for the fence it causes: renewals NATS did not take (an outage,
   * an election) are not a stalled process, and the operator looks elsewhere for each.
   */
  staleReason(partition: PartitionId): string {
    const error = this.held.get(partitionKey(partition))?.renewalError;
    return error === undefined
      ? "the lease was not renewed within its TTL (the process stalled?)"
      : `the lease could not be renewed within its TTL: NATS did not take the renewals (${error})`;
  }

  /**
   * Creates the lease if nobody holds it; undefined when someone does, this worker included: a
   * lease it still holds is one a runner that ended has not given back yet (`release` and
   * `settle` wait out a renewal in flight, which NATS away can hold for seconds). Handing that
   * one out would give a new runner the old one's epoch, and with it the old one's consumer.
   */
  async acquire(partition: PartitionId): Promise<Lease | undefined> {
    const key = partitionKey(partition);
    if (this.held.has(key)) return undefined;
    const record: LeaseRecord = { worker: this.worker, since: this.clock() };
    const writtenAt = this.clock();
    let revision: number;
    try {
      revision = await this.leases.create(key, encodeRecord(record));
    } catch (error) {
      if (isCompareAndSetFailure(error)) return undefined;
      throw new Error(`creating the lease ${key} failed: ${errorText(error)}`);
    }
    const lease: Lease = { partition, key, epoch: revision, revision, record, writtenAt };
    this.held.set(key, lease);
    return lease;
  }

  /** Renews every lease held; runs on the keeper's timer, one round at a time. */
  renewAll(): Promise<void> {
    this.renewing ??= this.renewRound().finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  /** Deletes the lease (after a clean handover), so a successor need not wait for its TTL. */
  async release(partition: PartitionId): Promise<void> {
    const key = partitionKey(partition);
    // a renewal in flight would move the revision the delete expects
    await this.renewing;
    const lease = this.held.get(key);
    if (!lease) return;
    this.held.delete(key);
    try {
      await this.leases.delete(key, { previousSeq: lease.revision });
    } catch (error) {
      // someone took it already, or the write failed: either way the TTL ends it
      this.logger.warn(
        { partition: key, err: errorText(error) },
        "releasing the lease failed; it expires by itself",
      );
    }
  }

  /**
   * After its partition was fenced (for a stale lease or a lost checkpoint): finds out whether
   * the lease is still ours with one more compare-and-set. Lost: reported through `onLost`.
   * Still ours (nobody took it while this worker stalled): given back, so the next takeover
   * starts a new epoch. Either way this worker holds it no more.
   */
  async settle(partition: PartitionId): Promise<void> {
    const key = partitionKey(partition);
    await this.renewing;
    const lease = this.held.get(key);
    if (!lease) return;
    this.held.delete(key);
    let revision: number;
    try {
      revision = await this.leases.update(key, encodeRecord(lease.record), lease.revision);
    } catch (error) {
      if (isCompareAndSetFailure(error))
        this.onLost(lease, `the lease renewal's compare-and-set failed (${errorText(error)})`);
      return;
    }
    await this.leases.delete(key, { previousSeq: revision }).catch(() => undefined);
  }

  private async renewRound(): Promise<void> {
    await Promise.all([...this.held.values()].map((lease) => this.renew(lease)));
  }

  private async renew(lease: Lease): Promise<void> {
    const writtenAt = this.clock();
    try {
      const revision = await this.leases.update(lease.key, encodeRecord(lease.record), lease.revision);
      if (this.held.get(lease.key) !== lease) return;
      lease.revision = revision;
      lease.writtenAt = writtenAt;
      lease.renewalError = undefined;
    } catch (error) {
      if (this.held.get(lease.key) !== lease) return;
      if (isCompareAndSetFailure(error)) {
        this.held.delete(lease.key);
        this.onLost(lease, `the lease renewal's compare-and-set failed (${errorText(error)})`);
        return;
      }
      const age = this.clock() - lease.writtenAt;
      lease.renewalError = errorText(error);
      this.logger.warn(
        { partition: lease.key, ageMs: age, err: errorText(error) },
        "renewing the lease failed; retrying",
      );
      if (age >= this.ttlMs) {
        this.held.delete(lease.key);
        this.onLost(lease, `the lease could not be renewed for ${age} ms, past its TTL`);
      }
    }
  }
}
