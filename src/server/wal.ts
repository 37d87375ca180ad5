import { type FileHandle, open, readdir, readFile, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { makeDirectory } from "../io/make-directory.ts";
import { decodeCheckpoint, encodeCheckpoint } from "./wal-checkpoint.ts";
import {
  decodePayload,
  decodeRecord,
  decodeSegmentHeader,
  encodePayload,
  encodeRecord,
  encodeSegmentHeader,
  RECORD_HEADER_BYTES,
  SEGMENT_HEADER_BYTES,
} from "./wal-record.ts";

/**
 * The write-ahead log of `eqlite serve`: accepted events are on disk before the
 * sender hears "accepted", so a crash loses nothing that was acknowledged.
 *
 * Contract
 *
 * - `append(batch)` resolves once the batch is written and fdatasync'd; the HTTP
 *   layer answers only then. Appends arriving while a write is under way are
 *   written together and share one fdatasync (group commit). Each event gets a
 *   seq: consecutive, starting at 1, increasing across restarts. A seq that was
 *   never acknowledged (its write was torn by a crash) may be given again.
 * - `checkpoint(seq)` durably records that no event below `seq` will ever be
 *   needed again; segments holding only such events are deleted. For
 *   correlation this is *not* "the last event processed": the caller passes the
 *   lowest seq still needed, i.e. the smallest of
 *     - the seq of the oldest event held by an open partial sequence or sample,
 *       or waiting in a reorder buffer (the engine must be able to rebuild that
 *       state by replaying from it),
 *     - the lowest seq whose alerts are not yet written by every sink,
 *     - the next seq the engine has not processed.
 *   Replay after a crash starts at the checkpoint, so events after it that were
 *   processed before the crash are processed again: their alerts have the same
 *   ids (kibana.alert.uuid) and the store keeps the first copy, the webhook's
 *   receiver de-duplicates. A checkpoint never moves back; a lower one is a no-op.
 * - `replay(fromSeq)` yields `{seq, event}` in seq order from the checkpoint (or
 *   `fromSeq`) to the last acknowledged event.
 * - Opening the log recovers from a crash: a torn record at the end of the newest
 *   segment (a `kill -9` or a power cut mid-write) is cut off and reported in
 *   `recovery` and to `onProblem`; it was never acknowledged. Damage anywhere
 *   else (bit rot) is reported while replaying: a damaged record is skipped and
 *   the records after it are read when its length still leads to one (else the
 *   rest of that segment is skipped); so are seqs that no segment holds (a
 *   segment removed, or cut at a record's end). Neither ever throws. A damaged
 *   record followed by whole ones is never taken for a torn tail: it is kept.
 *   A checkpoint file that is damaged (its checksum says so) or missing while
 *   segments were deleted is reported at open, and replay starts at the oldest
 *   segment: too much replayed only repeats alerts, too little loses events.
 * - The log is bounded: an append that would take it past `maxBytes` is refused
 *   with WalFullError (the HTTP layer answers 429) until a checkpoint frees
 *   segments; a batch larger than a segment is refused with
 *   WalBatchTooLargeError (413).
 * - One process per directory: nothing here locks it.
 *
 * Layout: `<dir>/<first seq, 20 digits>.wal` segments (format in wal-record.ts),
 * each sealed once the next group commit would take it past `segmentBytes` (so
 * none is larger), and
 * `<dir>/checkpoint` (`{"seq":N,"crc32":C}`, see wal-checkpoint.ts), replaced atomically by rename.
 */

export interface WalOptions {
  /** the log's directory, usually `<data-dir>/wal`; created when missing */
  dir: string;
  /** a segment is sealed once the next write would take it past this size (default 64 MiB) */
  segmentBytes?: number;
  /** the most the segments may hold together (default 1 GiB, at least twice `segmentBytes`) */
  maxBytes?: number;
  /** called for every problem found while opening (also listed in `recovery`) or replaying */
  onProblem?: (problem: WalProblem) => void;
}

export interface WalProblem {
  /** torn-tail: a record cut by a crash, removed; corrupt: damaged bytes skipped while replaying;
   *  missing: events asked for that are no longer in the log (before its oldest segment, or between two
   *  segments); checkpoint: a checkpoint file missing behind deleted segments, or damaged (see wal-checkpoint.ts) */
  kind: "torn-tail" | "corrupt" | "missing" | "checkpoint";
  message: string;
  segment?: string;
  offset?: number;
  bytes?: number;
}

export interface SeqRange {
  firstSeq: number;
  lastSeq: number;
}

export interface WalEntry<T = unknown> {
  seq: number;
  event: T;
}

export interface WalStats {
  nextSeq: number;
  checkpoint: number;
  segments: number;
  bytes: number;
  maxBytes: number;
  appends: number;
  events: number;
  /** fdatasync calls for appends: fewer than appends when group commit shared them */
  syncs: number;
  deletedSegments: number;
  /** appends refused because the log could not be written (a failed write, or a broken segment) */
  failedAppends: number;
}

export class WalError extends Error {
  constructor(
    message: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "WalError";
  }
}

/** The log is at its size bound: retry once the pipeline has caught up (HTTP 429). */
export class WalFullError extends WalError {
  constructor(
    readonly usedBytes: number,
    readonly batchBytes: number,
    readonly maxBytes: number,
    checkpoint: number,
    nextSeq: number,
  ) {
    super(
      `the write-ahead log is full: ${usedBytes} of ${maxBytes} bytes used, a batch of ${batchBytes} bytes does not fit ` +
        `(checkpoint at seq ${checkpoint}, next seq ${nextSeq}); space is freed when the pipeline checkpoints past whole segments`,
      "WAL_FULL",
    );
    this.name = "WalFullError";
  }
}

/** A batch that can never fit in a segment (HTTP 413). */
export class WalBatchTooLargeError extends WalError {
  constructor(
    readonly batchBytes: number,
    readonly maxBatchBytes: number,
  ) {
    super(
      `a batch of ${batchBytes} bytes is larger than a WAL segment (${maxBatchBytes} bytes); send smaller batches`,
      "WAL_BATCH_TOO_LARGE",
    );
    this.name = "WalBatchTooLargeError";
  }
}

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_BYTES = 1024 * 1024 * 1024;
/** The longest record ever read back: anything longer is damage (a segment is never larger). */
const MAX_RECORD_PAYLOAD = 1024 * 1024 * 1024;
/** One group commit writes at most this much, so a burst does not become one giant write. */
const MAX_GROUP_BYTES = 16 * 1024 * 1024;
const READ_CHUNK = 1024 * 1024;
const SEGMENT_NAME = /^(\d{20})\.wal$/;
const CHECKPOINT_FILE = "checkpoint";

interface Segment {
  firstSeq: number;
  path: string;
  /** bytes durably written: only grows after fdatasync, so readers never see a write in progress */
  size: number;
}

interface PendingAppend {
  payload: Buffer;
  count: number;
  bytes: number;
  resolve: (range: SeqRange) => void;
  reject: (error: Error) => void;
}

export const segmentName = (firstSeq: number): string => `${String(firstSeq).padStart(20, "0")}.wal`;

export class WriteAheadLog {
  /** problems found and repaired while opening: torn tails, an unreadable checkpoint */
  readonly recovery: WalProblem[] = [];
  private readonly dir: string;
  private readonly segmentBytes: number;
  private readonly maxBytes: number;
  private readonly onProblem?: (problem: WalProblem) => void;
  private segments: Segment[] = [];
  private handle!: FileHandle;
  private nextSeq = 1;
  private checkpointSeq = 1;
  private diskBytes = 0;
  private queuedBytes = 0;
  /** the size of the last batch refused because the log was full; cleared by an append */
  private refusedBytes: number | undefined;
  private queue: PendingAppend[] = [];
  private committing: Promise<void> | null = null;
  private checkpointChain: Promise<void> = Promise.resolve();
  /** set when the active segment is in an unknown state; every later append fails with it */
  private failure: WalError | null = null;
  private closed = false;
  /** problems are listed in `recovery` only while opening; later ones go to onProblem alone */
  private opening = true;
  private counters = { appends: 0, events: 0, syncs: 0, deletedSegments: 0, failedAppends: 0 };

  private constructor(options: WalOptions) {
    this.dir = options.dir;
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.maxBytes = options.maxBytes ?? Math.max(DEFAULT_MAX_BYTES, 2 * this.segmentBytes);
    this.onProblem = options.onProblem;
    if (
      !Number.isSafeInteger(this.segmentBytes) ||
      this.segmentBytes < 64 ||
      this.segmentBytes > MAX_RECORD_PAYLOAD
    )
      throw new RangeError(`WAL segmentBytes must be an integer from 64 to ${MAX_RECORD_PAYLOAD}`);
    if (!Number.isSafeInteger(this.maxBytes) || this.maxBytes < 2 * this.segmentBytes)
      throw new RangeError(
        `WAL maxBytes (${this.maxBytes}) must be at least twice segmentBytes (${this.segmentBytes}), ` +
          "or a full log could never free a segment",
      );
  }

  /** Opens (or creates) the log in `options.dir`, repairing a torn tail; see `recovery`. */
  static async open(options: WalOptions): Promise<WriteAheadLog> {
    const wal = new WriteAheadLog(options);
    await wal.recover();
    wal.opening = false;
    return wal;
  }

  get stats(): WalStats {
    return {
      nextSeq: this.nextSeq,
      checkpoint: this.checkpointSeq,
      segments: this.segments.length,
      bytes: this.diskBytes,
      maxBytes: this.maxBytes,
      ...this.counters,
    };
  }

  /**
   * Why no append can succeed any more (a segment that could not be started, or cut back after
   * a failed write), until the log is opened again; null while appends may succeed.
   */
  get broken(): WalError | null {
    return this.failure;
  }

  /**
   * Whether the log is full: the last batch it refused as too big for what is left would still
   * not fit, and none has been appended since. Checkpoints that free segments end it without any
   * new append, so a load balancer that stops sending while it is full does not keep it full.
   */
  get full(): boolean {
    return (
      this.refusedBytes !== undefined &&
      this.diskBytes + this.queuedBytes + this.refusedBytes + SEGMENT_HEADER_BYTES > this.maxBytes
    );
  }

  /** The seq the next appended event will get; `nextSeq - 1` is the last acknowledged one. */
  get next(): number {
    return this.nextSeq;
  }

  /** The lowest seq still needed, as last recorded by `checkpoint`. */
  get checkpointed(): number {
    return this.checkpointSeq;
  }

  /** Writes a batch durably; resolves with the seqs its events got. */
  append(batch: readonly unknown[]): Promise<SeqRange> {
    if (this.closed)
      return Promise.reject(new WalError(`the write-ahead log in ${this.dir} is closed`, "WAL_CLOSED"));
    if (this.failure) {
      this.counters.failedAppends++;
      return Promise.reject(this.failure);
    }
    if (!Array.isArray(batch) || batch.length === 0)
      return Promise.reject(new TypeError("a WAL batch is a non-empty array of events"));
    let payload: Buffer;
    try {
      payload = encodePayload(batch);
    } catch (error) {
      return Promise.reject(error);
    }
    const bytes = RECORD_HEADER_BYTES + payload.length;
    if (bytes > this.segmentBytes - SEGMENT_HEADER_BYTES)
      return Promise.reject(new WalBatchTooLargeError(bytes, this.segmentBytes - SEGMENT_HEADER_BYTES));
    const used = this.diskBytes + this.queuedBytes;
    // Counting a segment header too: the batch may be the first of a new segment.
    if (used + bytes + SEGMENT_HEADER_BYTES > this.maxBytes) {
      this.refusedBytes = bytes;
      return Promise.reject(new WalFullError(used, bytes, this.maxBytes, this.checkpointSeq, this.nextSeq));
    }
    this.refusedBytes = undefined;
    this.queuedBytes += bytes;
    return new Promise((resolve, reject) => {
      this.queue.push({ payload, count: batch.length, bytes, resolve, reject });
      this.startCommitting();
    });
  }

  /**
   * Records durably that events below `seq` are no longer needed (see the
   * contract above) and deletes the segments that hold only such events.
   */
  checkpoint(seq: number): Promise<void> {
    if (!Number.isSafeInteger(seq) || seq < 1)
      return Promise.reject(new RangeError(`a checkpoint is a seq (an integer from 1), not ${seq}`));
    if (seq > this.nextSeq)
      return Promise.reject(
        new RangeError(`checkpoint ${seq} is beyond the log: the next seq to be appended is ${this.nextSeq}`),
      );
    const run = this.checkpointChain.then(() => this.writeCheckpoint(seq));
    this.checkpointChain = run.catch(() => {});
    return run;
  }

  /**
   * The acknowledged events from `fromSeq` (default: the checkpoint) to the end
   * as the log stood when replay began, in seq order. Damage is reported through
   * `onProblem` and skipped, never thrown.
   */
  async *replay(fromSeq: number = this.checkpointSeq): AsyncGenerator<WalEntry> {
    // A snapshot: appends made while replaying are not part of this replay.
    const segments = this.segments.map((s) => ({ ...s }));
    const oldest = segments[0]?.firstSeq ?? this.nextSeq;
    if (fromSeq < oldest)
      this.report({
        kind: "missing",
        message: `replay from seq ${fromSeq} asked for events that are no longer in the log; it starts at seq ${oldest}`,
      });
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i];
      const following = segments[i + 1];
      if (following && following.firstSeq <= fromSeq) continue;
      yield* this.replaySegment(segment, fromSeq, following?.firstSeq);
    }
  }

  /** Finishes the appends already made, then releases the files. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.committing) await this.committing;
    await this.checkpointChain;
    await this.handle.close().catch(() => {});
  }

  private async recover(): Promise<void> {
    makeDirectory(this.dir);
    const names = await readdir(this.dir);
    for (const name of names) if (name.endsWith(".tmp")) await unlink(join(this.dir, name)).catch(() => {});
    const found: Segment[] = [];
    for (const name of names) {
      const match = SEGMENT_NAME.exec(name);
      if (!match) continue;
      const path = join(this.dir, name);
      const handle = await open(path, "r");
      const { size } = await handle.stat().finally(() => handle.close());
      found.push({ firstSeq: Number(match[1]), path, size });
    }
    found.sort((a, b) => a.firstSeq - b.firstSeq);
    this.segments = found;
    this.diskBytes = found.reduce((sum, s) => sum + s.size, 0);
    this.checkpointSeq = await this.readCheckpoint(found[0]?.firstSeq ?? 1);

    if (found.length === 0) {
      this.nextSeq = this.checkpointSeq;
      await this.startSegment(this.nextSeq);
    } else {
      this.nextSeq = await this.recoverTail(found[found.length - 1]);
      this.handle = await open(found[found.length - 1].path, "r+");
    }
    // Segments before the checkpoint are left over when a crash came between recording it and deleting them.
    await this.deleteBefore(this.checkpointSeq);
    if (this.nextSeq < this.checkpointSeq) {
      // Only possible when segments were removed by hand: seqs must not be given twice, so skip ahead.
      this.report({
        kind: "missing",
        message: `the log ends at seq ${this.nextSeq - 1} but its checkpoint is ${this.checkpointSeq}; continuing from the checkpoint`,
      });
      this.nextSeq = this.checkpointSeq;
      await this.handle.close();
      await this.startSegment(this.nextSeq);
    }
  }

  private async readCheckpoint(fallback: number): Promise<number> {
    const path = join(this.dir, CHECKPOINT_FILE);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      // Segments are deleted only behind a checkpoint written first: a log without one starts at seq 1.
      if (fallback > 1)
        this.report({
          kind: "checkpoint",
          message: `${path} is missing, yet the oldest segment starts at seq ${fallback}: the checkpoint file was removed (then nothing is lost) or so were the segments before it (then their events are); replaying from seq ${fallback}`,
        });
      return fallback;
    }
    const read = decodeCheckpoint(text);
    if ("seq" in read) return read.seq;
    // Replaying too much only repeats work whose alerts are de-duplicated; losing events would be worse.
    this.report({
      kind: "checkpoint",
      message: `${path} is damaged (${read.damage}: ${JSON.stringify(text.slice(0, 60))}); replaying from the oldest segment, seq ${fallback}`,
    });
    return fallback;
  }

  /**
   * Finds the end of the newest segment's whole records, cuts anything after it
   * and returns the next seq. A header cut short (the process died while creating
   * the segment) is written again; so is a damaged one, from the file's name,
   * which names the same seq.
   */
  private async recoverTail(segment: Segment): Promise<number> {
    const handle = await open(segment.path, "r+");
    try {
      const headerOk =
        decodeSegmentHeader(await readAt(handle, 0, SEGMENT_HEADER_BYTES)) === segment.firstSeq;
      let end = SEGMENT_HEADER_BYTES;
      let nextSeq = segment.firstSeq;
      if (segment.size < SEGMENT_HEADER_BYTES) {
        if (segment.size > 0)
          this.report({
            kind: "torn-tail",
            message: `${segment.path}: header cut short at ${segment.size} bytes, written again`,
            segment: segment.path,
            offset: 0,
            bytes: segment.size,
          });
      } else {
        for await (const item of readRecords(handle, SEGMENT_HEADER_BYTES, segment.size, segment.firstSeq)) {
          if (item.kind === "damaged") {
            // kept, not cut: the records after it were acknowledged; replay steps over it too
            this.report(damagedRecord(segment.path, item));
            continue;
          }
          if (item.kind === "stop") {
            this.report({
              kind: "torn-tail",
              message:
                `${segment.path}: the last ${segment.size - end} bytes (from offset ${end}, seq ${nextSeq}) ` +
                `are not a whole record (${item.reason}); a write cut short by a crash, removed`,
              segment: segment.path,
              offset: end,
              bytes: segment.size - end,
            });
            break;
          }
          end = item.end;
          nextSeq = item.firstSeq + item.count;
        }
        if (!headerOk)
          this.report({
            kind: "corrupt",
            message: `${segment.path}: damaged segment header, written again`,
            segment: segment.path,
            offset: 0,
            bytes: SEGMENT_HEADER_BYTES,
          });
      }
      if (!headerOk || end !== segment.size) {
        if (end < segment.size) await handle.truncate(end);
        if (!headerOk) await writeFully(handle, [encodeSegmentHeader(segment.firstSeq)], 0);
        await handle.datasync();
        this.diskBytes += end - segment.size;
        segment.size = end;
      }
      return nextSeq;
    } finally {
      await handle.close();
    }
  }

  private startCommitting(): void {
    if (this.committing) return;
    this.committing = this.commitQueued().finally(() => {
      this.committing = null;
      if (this.queue.length > 0) this.startCommitting();
    });
  }

  private async commitQueued(): Promise<void> {
    // Appends made in the same turn of the event loop join the first group.
    await Promise.resolve();
    // A group fits in one segment, so segments never grow past segmentBytes.
    const maxGroup = Math.min(MAX_GROUP_BYTES, this.segmentBytes - SEGMENT_HEADER_BYTES);
    while (this.queue.length > 0) {
      let take = 0;
      let bytes = 0;
      while (take < this.queue.length && (take === 0 || bytes + this.queue[take].bytes <= maxGroup)) {
        bytes += this.queue[take].bytes;
        take++;
      }
      await this.commitGroup(this.queue.splice(0, take), bytes);
    }
  }

  private refuse(group: PendingAppend[], error: WalError): void {
    this.counters.failedAppends += group.length;
    for (const p of group) p.reject(error);
  }

  private async commitGroup(group: PendingAppend[], bytes: number): Promise<void> {
    if (this.failure) {
      this.queuedBytes -= bytes;
      this.refuse(group, this.failure);
      return;
    }
    let active = this.segments[this.segments.length - 1];
    if (active.size > SEGMENT_HEADER_BYTES && active.size + bytes > this.segmentBytes) {
      try {
        await this.handle.close();
        await this.startSegment(this.nextSeq);
        active = this.segments[this.segments.length - 1];
      } catch (error) {
        this.failure = new WalError(
          `could not start a new WAL segment in ${this.dir}: ${(error as Error).message}`,
          "WAL_FAILED",
          { cause: error },
        );
        this.queuedBytes -= bytes;
        this.refuse(group, this.failure);
        return;
      }
    }
    const buffers: Buffer[] = [];
    const ranges: SeqRange[] = [];
    let seq = this.nextSeq;
    for (const p of group) {
      buffers.push(...encodeRecord(seq, p.count, p.payload));
      ranges.push({ firstSeq: seq, lastSeq: seq + p.count - 1 });
      seq += p.count;
    }
    const start = active.size;
    try {
      await writeFully(this.handle, buffers, start);
      await this.handle.datasync();
    } catch (error) {
      const failed = new WalError(
        `could not write ${group.length} batch(es) to ${active.path}: ${(error as Error).message}`,
        "WAL_WRITE_FAILED",
        { cause: error },
      );
      // Cut what may have been written, so the segment ends with whole records again.
      await this.handle
        .truncate(start)
        .then(() => this.handle.datasync())
        .catch((cause) => {
          this.failure = new WalError(
            `${active.path} is in an unknown state after a failed write: ${(cause as Error).message}`,
            "WAL_FAILED",
            { cause },
          );
        });
      this.queuedBytes -= bytes;
      this.refuse(group, failed);
      return;
    }
    active.size = start + bytes;
    this.diskBytes += bytes;
    this.queuedBytes -= bytes;
    this.nextSeq = seq;
    this.counters.syncs++;
    this.counters.appends += group.length;
    for (let i = 0; i < group.length; i++) {
      this.counters.events += group[i].count;
      group[i].resolve(ranges[i]);
    }
  }

  /** Creates the segment starting at `firstSeq` and makes it the one appended to. */
  private async startSegment(firstSeq: number): Promise<void> {
    const segment = await this.createSegment(firstSeq);
    this.segments.push(segment);
    this.handle = await open(segment.path, "r+");
  }

  private async createSegment(firstSeq: number): Promise<Segment> {
    const path = join(this.dir, segmentName(firstSeq));
    const handle = await open(path, "wx");
    try {
      await writeFully(handle, [encodeSegmentHeader(firstSeq)], 0);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    // The new name must survive a crash too, or acknowledged records could vanish with it.
    await syncDirectory(this.dir);
    this.diskBytes += SEGMENT_HEADER_BYTES;
    return { firstSeq, path, size: SEGMENT_HEADER_BYTES };
  }

  private async writeCheckpoint(seq: number): Promise<void> {
    if (seq <= this.checkpointSeq) return;
    const path = join(this.dir, CHECKPOINT_FILE);
    const tmp = `${path}.tmp`;
    const handle = await open(tmp, "w");
    try {
      await writeFully(handle, [Buffer.from(encodeCheckpoint(seq))], 0);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
    await syncDirectory(this.dir);
    this.checkpointSeq = seq;
    await this.deleteBefore(seq);
  }

  /** Deletes the segments whose events are all below `seq`; the segment appended to is never deleted. */
  private async deleteBefore(seq: number): Promise<void> {
    while (this.segments.length > 1 && this.segments[1].firstSeq <= seq) {
      const oldest = this.segments[0];
      try {
        await unlink(oldest.path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT")
          throw new WalError(
            `could not delete ${oldest.path}: ${(error as Error).message}`,
            "WAL_DELETE_FAILED",
            {
              cause: error,
            },
          );
      }
      this.segments.shift();
      this.diskBytes -= oldest.size;
      this.counters.deletedSegments++;
    }
  }

  private async *replaySegment(
    segment: Segment,
    fromSeq: number,
    followingSeq: number | undefined,
  ): AsyncGenerator<WalEntry> {
    let handle: FileHandle;
    try {
      handle = await open(segment.path, "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      this.report({
        kind: "missing",
        message: `${segment.path} was deleted while replaying (a checkpoint past the replay)`,
        segment: segment.path,
      });
      return;
    }
    try {
      // The header only repeats the file's name: records after a damaged one are still read.
      if (decodeSegmentHeader(await readAt(handle, 0, SEGMENT_HEADER_BYTES)) !== segment.firstSeq)
        this.report({
          kind: "corrupt",
          message: `${segment.path}: damaged segment header; reading its records anyway`,
          segment: segment.path,
          offset: 0,
          bytes: SEGMENT_HEADER_BYTES,
        });
      let expected = segment.firstSeq;
      for await (const item of readRecords(handle, SEGMENT_HEADER_BYTES, segment.size, segment.firstSeq)) {
        if (item.kind === "damaged") {
          expected = item.next;
          if (item.next > fromSeq) this.report(damagedRecord(segment.path, item));
          continue;
        }
        if (item.kind === "stop") {
          const lost = followingSeq === undefined ? "" : ` (seqs ${expected} to ${followingSeq - 1})`;
          this.report({
            kind: "corrupt",
            message: `${segment.path}: damaged record at offset ${item.offset} (${item.reason}); the rest of the segment is skipped${lost}`,
            segment: segment.path,
            offset: item.offset,
            bytes: segment.size - item.offset,
          });
          return;
        }
        expected = item.firstSeq + item.count;
        if (expected <= fromSeq) continue;
        let events: unknown[];
        try {
          events = decodePayload(item.payload, item.count).map((line) => JSON.parse(line));
        } catch (error) {
          // The checksum matched, so the writer wrote this: reported all the same, never thrown.
          this.report({
            kind: "corrupt",
            message: `${segment.path}: record of seqs ${item.firstSeq} to ${expected - 1} is unreadable (${(error as Error).message}); skipped`,
            segment: segment.path,
          });
          continue;
        }
        for (let i = 0; i < events.length; i++) {
          const seq = item.firstSeq + i;
          if (seq >= fromSeq) yield { seq, event: events[i] };
        }
      }
      // Whole, yet ending before the next segment begins: what was between is in no file (a
      // segment removed by hand, or cut short at a record's end).
      const from = Math.max(expected, fromSeq);
      if (followingSeq !== undefined && from < followingSeq)
        this.report({
          kind: "missing",
          message: `${segment.path} ends at seq ${expected - 1} but the next segment starts at seq ${followingSeq}: seqs ${from} to ${followingSeq - 1} are in no segment and are not replayed`,
          segment: segment.path,
          offset: segment.size,
        });
    } finally {
      await handle.close();
    }
  }

  private report(problem: WalProblem): void {
    if (this.opening) this.recovery.push(problem);
    this.onProblem?.(problem);
  }
}

function damagedRecord(path: string, item: Extract<ScanItem, { kind: "damaged" }>): WalProblem {
  return {
    kind: "corrupt",
    message: `${path}: damaged record at offset ${item.offset} (${item.reason}); seqs ${item.lost} to ${item.next - 1} are skipped, the records after it are read`,
    segment: path,
    offset: item.offset,
    bytes: item.bytes,
  };
}

type ScanItem =
  | { kind: "record"; firstSeq: number; count: number; payload: Buffer; end: number }
  /** a record whose bytes are damaged, followed by a whole one: seqs `lost` to `next - 1` are gone */
  | { kind: "damaged"; offset: number; bytes: number; reason: string; lost: number; next: number }
  | { kind: "stop"; offset: number; reason: string };

/**
 * The whole records of a segment between `start` and `end`, read a chunk at a
 * time; ends with a "stop" item at the first bytes that are not a whole record.
 * A damaged record is stepped over ("damaged") when its length still leads to a
 * whole record: a write cut by a crash is the last thing in a file, so what
 * follows a damaged record was written, and acknowledged, after it.
 */
async function* readRecords(
  handle: FileHandle,
  start: number,
  end: number,
  firstSeq: number,
): AsyncGenerator<ScanItem> {
  let chunk: Buffer = Buffer.alloc(0);
  let chunkStart = start;
  let offset = start;
  let seq = firstSeq;
  while (offset < end) {
    const decoded = decodeRecord(chunk, offset - chunkStart, seq, MAX_RECORD_PAYLOAD);
    if (decoded.kind === "invalid") {
      const next = await recordAfter(handle, chunk, offset - chunkStart, offset, end, seq);
      if (!next) {
        yield { kind: "stop", offset, reason: decoded.reason };
        return;
      }
      yield {
        kind: "damaged",
        offset,
        bytes: next.at - offset,
        reason: decoded.reason,
        lost: seq,
        next: next.seq,
      };
      chunk = Buffer.alloc(0);
      chunkStart = offset = next.at;
      seq = next.seq;
      continue;
    }
    if (decoded.kind === "incomplete") {
      if (end - offset < decoded.needed) {
        yield { kind: "stop", offset, reason: `${end - offset} of ${decoded.needed} bytes present` };
        return;
      }
      chunk = await readAt(handle, offset, Math.min(end - offset, Math.max(READ_CHUNK, decoded.needed)));
      chunkStart = offset;
      if (chunk.length < decoded.needed) {
        yield { kind: "stop", offset, reason: "the file ended early" };
        return;
      }
      continue;
    }
    offset += decoded.size;
    seq += decoded.count;
    yield {
      kind: "record",
      firstSeq: decoded.firstSeq,
      count: decoded.count,
      payload: decoded.payload,
      end: offset,
    };
  }
}

/**
 * Where the record after a damaged one starts, when the damaged record's length leads to a
 * whole record with a later seq (its own checksum vouches for it); undefined otherwise.
 */
async function recordAfter(
  handle: FileHandle,
  chunk: Buffer,
  at: number,
  offset: number,
  end: number,
  seq: number,
): Promise<{ at: number; seq: number } | undefined> {
  if (chunk.length - at < RECORD_HEADER_BYTES) return undefined;
  const next = offset + RECORD_HEADER_BYTES + chunk.readUInt32LE(at);
  if (next + RECORD_HEADER_BYTES > end) return undefined;
  const header = await readAt(handle, next, RECORD_HEADER_BYTES);
  if (header.length < RECORD_HEADER_BYTES) return undefined;
  const length = header.readUInt32LE(0);
  if (length > MAX_RECORD_PAYLOAD || next + RECORD_HEADER_BYTES + length > end) return undefined;
  const claimed = Number(header.readBigUInt64LE(8));
  if (claimed <= seq) return undefined;
  const record = await readAt(handle, next, RECORD_HEADER_BYTES + length);
  const decoded = decodeRecord(record, 0, claimed, MAX_RECORD_PAYLOAD);
  return decoded.kind === "record" ? { at: next, seq: claimed } : undefined;
}

/** Up to `length` bytes at `position`; fewer only at the end of the file. */
async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** A vectored write that goes on after partial writes (the kernel takes at most IOV_MAX buffers at once). */
async function writeFully(handle: FileHandle, buffers: Buffer[], position: number): Promise<void> {
  let pending = buffers;
  let at = position;
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending, at);
    if (bytesWritten === 0) throw new Error(`no progress writing at offset ${at}`);
    at += bytesWritten;
    let left = bytesWritten;
    let i = 0;
    while (i < pending.length && left >= pending[i].length) left -= pending[i++].length;
    pending = pending.slice(i);
    if (left > 0) pending[0] = pending[0].subarray(left);
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
