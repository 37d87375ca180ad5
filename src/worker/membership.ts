/**
 * Which workers are alive, and what each runs. Every worker writes its record under its own
 * key of the members bucket every TTL/3; the bucket's TTL removes a worker that stopped
 * writing, so the live members are the bucket's keys. The record is also what `eqlite status`
 * shows: the partitions owned, the rule set's hash, and how its rules were split.
 */
import type { KV } from "@nats-io/kv";
import { isPut, watchBucket } from "../nats/bucket-read.ts";
import type { PlanSummary } from "./rule-plan.ts";

export interface MemberRecord {
  worker: string;
  /** ms since the epoch: when the process started */
  since: number;
  /** ms since the epoch: this beat */
  beatAt: number;
  pid: number;
  hostname: string;
  /** eqlite's version */
  version: string;
  partitions: number;
  /** partition keys (`p<n>`, `global`) this worker runs now */
  owned: string[];
  /** static ownership (`--own`), in its compact form; absent when assignment is automatic */
  own?: string;
  /** the rules it runs: hash, count, the host/global split and the snapshotted (long) rules */
  rules: PlanSummary;
  /** what its engines hold now: events waiting for order (released by newer events or an idle tick), open partial sequences */
  holding?: { buffered: number; openSequences: number };
  /** what the worker has done since it started */
  counters: { events: number; alerts: number; suppressed: number; bad: number; fenced: number };
}

/** KV keys allow `[-/_=.a-zA-Z0-9]`; worker names are made of those. */
export const WORKER_ID = /^[-_=.a-zA-Z0-9]+$/;

export class Membership {
  /** per worker, when its last beat was seen (ms, this process's clock) */
  private readonly seen = new Map<string, number>();
  private watching: { stop(): void } | undefined;

  constructor(
    private readonly members: KV,
    private readonly worker: string,
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    if (!WORKER_ID.test(worker))
      throw new RangeError(`worker id "${worker}": only letters, digits and - _ = . are allowed`);
  }

  /**
   * Reads the members, then follows their changes (see watchBucket); resolves once they are
   * known. A listing of the keys first left a starting worker waiting while the others beat. An
   * expired key leaves no trace in a watch (the bucket just drops it), so a member counts as
   * live for one TTL after its last beat was seen, as the bucket would keep it.
   */
  async follow(onChange: () => void, onError: (error: unknown) => void): Promise<void> {
    const watch = await watchBucket(this.members);
    this.watching = watch;
    for (const record of watch.current)
      if (WORKER_ID.test(record.key) && isPut(record)) this.seen.set(record.key, this.clock());
    void (async () => {
      for await (const entry of watch.changes) {
        if (!WORKER_ID.test(entry.key)) continue;
        const was = this.seen.has(entry.key);
        if (isPut(entry)) this.seen.set(entry.key, this.clock());
        else this.seen.delete(entry.key);
        if (was !== isPut(entry)) onChange();
      }
    })().catch(onError);
  }

  stop(): void {
    this.watching?.stop();
  }

  async beat(record: MemberRecord): Promise<void> {
    await this.members.put(this.worker, Buffer.from(JSON.stringify(record), "utf8"));
  }

  /** Workers with a beat seen within the TTL, this one included, sorted. */
  live(): string[] {
    const now = this.clock();
    const found = new Set<string>([this.worker]);
    for (const [worker, at] of this.seen) if (now - at < this.ttlMs) found.add(worker);
    return [...found].sort();
  }

  async leave(): Promise<void> {
    this.stop();
    await this.members.delete(this.worker);
  }
}

/** A member record read back (by `eqlite status`, or a test); undefined when unreadable. */
export function parseMemberRecord(value: Uint8Array | null | undefined): MemberRecord | undefined {
  if (!value || value.length === 0) return undefined;
  try {
    const record = JSON.parse(Buffer.from(value).toString("utf8")) as MemberRecord;
    return record && typeof record === "object" && typeof record.worker === "string" ? record : undefined;
  } catch {
    return undefined;
  }
}
