import { closeSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MinHeap } from "./min-heap.ts";
import { makeSpillDirectory } from "./spill-directory.ts";

/**
 * Sorted runs on disk, for a batch that holds more than memory allows. A batch scan holds every
 * event a sequence term matches until its input ends, since only the end tells it that no older
 * event is still to come; over millions of events that is gigabytes. Past a budget of items held
 * in memory, the largest holders sort what they hold and write it out as a run; at the end each
 * holder merges its runs with what it still holds, and releases everything in the order one sort
 * of the whole would have given. Nothing is dropped, whatever the input's disorder.
 */

/**
 * How an item becomes a JSON value and back. JSON, rather than v8.serialize: several times
 * faster for small arrays of strings and numbers, and an item has nothing else once its bigints
 * are strings and its bytes text.
 */
export interface SpillCodec<T> {
  encode(item: T): unknown;
  decode(value: unknown): T;
}

/** A holder of items that can write them out when the budget is exceeded. */
export interface Spillable {
  /** items held in memory */
  readonly held: number;
  /** writes every item held in memory to disk, as one sorted run */
  spill(): void;
}

export interface SpillStats {
  /** items written to disk */
  items: number;
  runs: number;
  bytes: number;
}

/**
 * Writing or reading a run failed (a full disk, a directory not writable): the batch cannot go
 * on without dropping what it holds, so this ends it rather than one rule.
 */
export class SpillError extends Error {
  constructor(path: string, cause: unknown) {
    super(
      `cannot use ${path} for sequence candidates that do not fit in memory: ${(cause as Error).message ?? cause}`,
      {
        cause,
      },
    );
    this.name = "SpillError";
  }
}

/** Items per serialized chunk: a merge holds one decoded chunk per run. */
const CHUNK_ITEMS = 512;

/**
 * The items all holders of one batch may keep in memory, and where the rest go: a directory
 * of its own under `parent`, made at the first spill and removed by close() (or by a later
 * batch, when this process is killed before it can).
 */
export class SpillBudget {
  /** items held in memory now, by every holder */
  held = 0;
  readonly stats: SpillStats = { items: 0, runs: 0, bytes: 0 };
  private readonly holders = new Set<Spillable>();
  private dir: string | undefined;
  private files = 0;

  constructor(
    readonly limit: number,
    private readonly parent: string = tmpdir(),
  ) {
    if (!(limit >= 1)) throw new RangeError(`a spill budget holds at least one item, not ${limit}`);
  }

  /** Where the runs are written, once something has been. */
  get directory(): string | undefined {
    return this.dir;
  }

  /**
   * `holder` now holds one more item. Over the limit, the largest holders spill until half the
   * limit is held: spills stay few and their runs long.
   */
  hold(holder: Spillable): void {
    this.holders.add(holder);
    if (++this.held <= this.limit) return;
    const largestFirst = [...this.holders].sort((a, b) => b.held - a.held);
    for (const h of largestFirst) {
      if (this.held <= this.limit / 2 || h.held === 0) break;
      h.spill();
    }
  }

  /** `count` items are no longer held in memory: released, or written out. */
  let(count: number): void {
    this.held -= count;
  }

  /** A file for one holder's runs. */
  file<T>(codec: SpillCodec<T>): RunFile<T> {
    try {
      this.dir ??= makeSpillDirectory(this.parent);
    } catch (error) {
      throw new SpillError(this.parent, error);
    }
    return new RunFile(join(this.dir, `${this.files++}.runs`), codec, this.stats);
  }

  /** Removes every run written: the batch is over (or failed). */
  close(): void {
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
    this.holders.clear();
  }
}

/** Where one run's chunks are in its file. */
export type Run = ReadonlyArray<{ offset: number; length: number }>;

/** One holder's runs, appended to one file. */
export class RunFile<T> {
  private fd: number | undefined;
  private size = 0;

  constructor(
    readonly path: string,
    private readonly codec: SpillCodec<T>,
    private readonly stats: SpillStats,
  ) {}

  /** Appends `sorted` as a run. */
  write(sorted: readonly T[]): Run {
    try {
      return this.append(sorted);
    } catch (error) {
      throw new SpillError(this.path, error);
    }
  }

  private append(sorted: readonly T[]): Run {
    this.fd ??= openSync(this.path, "w+", 0o600);
    const run: Array<{ offset: number; length: number }> = [];
    for (let i = 0; i < sorted.length; i += CHUNK_ITEMS) {
      const chunk = sorted.slice(i, i + CHUNK_ITEMS).map((item) => this.codec.encode(item));
      const bytes = Buffer.from(JSON.stringify(chunk));
      for (let written = 0; written < bytes.length; ) {
        written += writeSync(this.fd, bytes, written, bytes.length - written, this.size + written);
      }
      run.push({ offset: this.size, length: bytes.length });
      this.size += bytes.length;
    }
    this.stats.items += sorted.length;
    this.stats.runs++;
    this.stats.bytes += run.reduce((sum, c) => sum + c.length, 0);
    return run;
  }

  /** The items of `run`, in the order written, a chunk in memory at a time. */
  *read(run: Run): Generator<T> {
    for (const { offset, length } of run) {
      const bytes = Buffer.allocUnsafe(length);
      for (let filled = 0; filled < length; ) {
        const n = readSync(this.fd!, bytes, filled, length - filled, offset + filled);
        if (n === 0)
          throw new SpillError(this.path, new Error(`the file ended before byte ${offset + length}`));
        filled += n;
      }
      for (const value of JSON.parse(bytes.toString("utf8")) as unknown[]) yield this.codec.decode(value);
    }
  }

  delete(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.path, { force: true });
  }
}

/** Calls `release` with every item of the sorted `sources`, in `compare` order; ties in source order. */
export function mergeSorted<T>(
  sources: ReadonlyArray<Iterator<T>>,
  compare: (a: T, b: T) => number,
  release: (item: T) => void,
): void {
  const heads = new MinHeap<{ item: T; source: number }>(
    (a, b) => compare(a.item, b.item) || a.source - b.source,
  );
  sources.forEach((s, source) => {
    const next = s.next();
    if (!next.done) heads.push({ item: next.value, source });
  });
  for (let head = heads.peek(); head; head = heads.peek()) {
    release(head.item);
    const next = sources[head.source].next();
    if (next.done) heads.pop();
    else heads.replaceTop({ item: next.value, source: head.source });
  }
}
