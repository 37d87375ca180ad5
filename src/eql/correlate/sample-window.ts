import type { JoinKey } from "./join-key.ts";
import { samplesOf } from "./sample-collector.ts";

interface Entry<T> {
  item: T;
  time: bigint;
  /** arrival number: names the entry in a reported sample's signature */
  serial: number;
}

interface Bucket<T> {
  key: JoinKey;
  /** per term, the events samples are made of, in arrival order */
  held: Entry<T>[][];
  /** per term, the latest events that came while `held` was full: they take its place as it empties */
  spare: Entry<T>[][];
  /** signatures (entry serials) of the samples reported while their entries are held */
  reported: Set<string>;
  /** the key changed since its samples were last looked at */
  touched: boolean;
}

export interface WindowedSample<T> {
  key: JoinKey;
  items: T[];
}

/**
 * The samples of an unbounded stream, as a rule scheduled every few minutes over the last
 * `windowNs` of events finds them: each run reports, per key, the first samples among the
 * events of its window, and a run's repeat of an earlier run's sample is the same alert. A
 * stream cannot wait for runs, so a sample is reported as soon as it exists, and another only
 * when the events it is made of leave the window (event time: the newest event's, less
 * `windowNs`) and later ones take their place. A key with nothing left in the window is forgotten.
 *
 * Per key and term, as many events are held as distinct samples can use (the batch
 * collector's bound), the first to come, so a sample stays the same while its events are in
 * the window, as a run's first sample does; the latest of those that came while they were
 * held are kept aside, as many again, to take their place. An event older than the window is
 * not taken.
 */
export class SampleWindow<T> {
  private readonly buckets = new Map<string, Bucket<T>>();
  private readonly touched: Bucket<T>[] = [];
  private readonly perTerm: number;
  private newest: bigint | undefined;
  private sweptAt: bigint | undefined;
  private serials = 0;
  /** the entry of the event being added: one per event, whatever terms and keys it is added under */
  private last: Entry<T> | undefined;
  droppedKeys = 0;

  constructor(
    private readonly termCount: number,
    private readonly perKey: number,
    private readonly windowNs: bigint,
    private readonly maxKeys = Number.POSITIVE_INFINITY,
  ) {
    this.perTerm = perKey * termCount;
  }

  get keys(): number {
    return this.buckets.size;
  }

  /**
   * Moves event time to `time` (an event without one is taken at the newest time seen).
   * Every eighth of a window, every key loses the events that left it, so one that gets no
   * new event still changes, and `takeNew` reports what its remaining events make.
   * Returns the event's time, or undefined when it is older than the window.
   */
  advance(time: bigint | null): bigint | undefined {
    const at = time ?? this.newest ?? 0n;
    if (this.newest === undefined || at > this.newest) this.newest = at;
    const start = this.newest - this.windowNs;
    if (at < start) return undefined;
    this.sweptAt ??= this.newest;
    if (this.newest - this.sweptAt >= this.windowNs / 8n) {
      this.sweptAt = this.newest;
      for (const [id, bucket] of this.buckets) {
        this.expire(bucket, start);
        if (bucket.held.every((entries) => entries.length === 0)) this.buckets.delete(id);
      }
    }
    return at;
  }

  add(key: JoinKey, term: number, item: T, time: bigint): void {
    let bucket = this.buckets.get(key.id);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) {
        this.droppedKeys++;
        return;
      }
      const lists = () => Array.from({ length: this.termCount }, (): Entry<T>[] => []);
      bucket = { key, held: lists(), spare: lists(), reported: new Set(), touched: false };
      this.buckets.set(key.id, bucket);
    }
    this.expire(bucket, (this.newest ?? time) - this.windowNs);
    if (this.last?.item !== item) this.last = { item, time, serial: this.serials++ };
    const entry = this.last;
    const held = bucket.held[term];
    const spare = bucket.spare[term];
    // a multi-valued key can name the same key twice for one event
    if (held.includes(entry) || spare.includes(entry)) return;
    if (held.length < this.perTerm) {
      held.push(entry);
      this.touch(bucket);
      return;
    }
    spare.push(entry);
    if (spare.length > this.perTerm) spare.shift();
  }

  /** The samples not reported yet of the keys that changed since the last call. */
  takeNew(): WindowedSample<T>[] {
    const out: WindowedSample<T>[] = [];
    for (const bucket of this.touched.splice(0)) {
      bucket.touched = false;
      for (const entries of samplesOf(bucket.held, this.perKey)) {
        // the key's samples reported still hold their events: the first samples may be others
        // now (an event that fits two terms came), but another only comes as those events leave
        if (bucket.reported.size >= this.perKey) break;
        const signature = entries.map((e) => e.serial).join(",");
        if (bucket.reported.has(signature)) continue;
        bucket.reported.add(signature);
        out.push({ key: bucket.key, items: entries.map((e) => e.item) });
      }
    }
    return out;
  }

  private touch(bucket: Bucket<T>): void {
    if (bucket.touched) return;
    bucket.touched = true;
    this.touched.push(bucket);
  }

  /**
   * Drops the bucket's events older than `start`, and the reported samples they were in;
   * spare events take the places freed.
   */
  private expire(bucket: Bucket<T>, start: bigint): void {
    const inWindow = (e: Entry<T>) => e.time >= start;
    let changed = false;
    for (let t = 0; t < this.termCount; t++) {
      if (bucket.spare[t].length > 0 && !bucket.spare[t].every(inWindow))
        bucket.spare[t] = bucket.spare[t].filter(inWindow);
      if (bucket.held[t].every(inWindow)) continue;
      const held = bucket.held[t].filter(inWindow);
      const spare = bucket.spare[t];
      while (held.length < this.perTerm && spare.length > 0) held.push(spare.shift()!);
      bucket.held[t] = held;
      changed = true;
    }
    if (!changed) return;
    this.touch(bucket);
    if (bucket.reported.size === 0) return;
    const held = new Set(bucket.held.flatMap((entries) => entries.map((e) => String(e.serial))));
    for (const signature of bucket.reported) {
      if (!signature.split(",").every((s) => held.has(s))) bucket.reported.delete(signature);
    }
  }
}
