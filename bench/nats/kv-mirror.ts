/**
 * The latest record under every key of a KV bucket (leases, checkpoints), kept up to date by a
 * watch, with the moment each change reached the benchmark. Watching instead of polling keeps the
 * benchmark's requests off the two cores the workers are measured on, and dates a change to
 * when it happened rather than to the next poll.
 */
import type { KV, KvEntry } from "@nats-io/kv";
import { isPut, watchBucket } from "../../src/nats/bucket-read.ts";
import { parseRecord } from "../../src/nats/records.ts";

export interface Mirrored<T> {
  record: T;
  /** the bucket's revision of this value */
  revision: number;
  /** Date.now() when the watch delivered it */
  seenAt: number;
}

export class KvMirror<T> {
  readonly entries = new Map<string, Mirrored<T>>();
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly stopWatch: () => void) {}

  static async open<T>(kv: KV): Promise<KvMirror<T>> {
    const watch = await watchBucket(kv);
    const mirror = new KvMirror<T>(() => watch.stop());
    const take = (entry: KvEntry) => {
      const record = isPut(entry) ? parseRecord<T>(entry.value) : undefined;
      // a clean handover deletes its lease; an expired one (bucket TTL) just stops being renewed
      if (record === undefined) mirror.entries.delete(entry.key);
      else mirror.entries.set(entry.key, { record, revision: entry.revision, seenAt: Date.now() });
    };
    for (const entry of watch.current) take(entry);
    void (async () => {
      for await (const entry of watch.changes) {
        take(entry);
        for (const wake of [...mirror.waiters]) wake();
      }
    })();
    return mirror;
  }

  get(key: string): T | undefined {
    return this.entries.get(key)?.record;
  }

  /**
   * Resolves with Date.now() at the first change after which `holds()` is true (or now, if it
   * already is); rejects after `timeoutMs`, naming `what`.
   */
  until(holds: () => boolean, timeoutMs: number, what: string): Promise<number> {
    if (holds()) return Promise.resolve(Date.now());
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!holds()) return;
        finish();
        resolve(Date.now());
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${what}: not within ${timeoutMs} ms`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  stop(): void {
    this.stopWatch();
  }
}
