import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { Worker } from "node:worker_threads";
import type { Event } from "../eql/field-access.ts";
import { type Codec, CorruptStreamError, decompress, detectCodec, MAGIC_BYTES } from "../io/decompress.ts";
import {
  DEFAULT_MAX_LINE,
  DecodeError,
  type DecodeProblem,
  lineTooLong,
  type ReadOptions,
  type ReadStats,
  readEventsFromStream,
  STDIN_NAME,
} from "../io/event-source.ts";
import { StoredLines } from "../io/stored-lines.ts";
import type { ExecutableRule } from "../rules/rule-set.ts";
import type { EventOrigin, SelectedEvent } from "./detection-engine.ts";
import type { BlockRequest, BlockResult, MatchWorkerData, WorkerRule } from "./match-worker.ts";

/**
 * Batch input through worker threads: each worker reads ranges of a plain NDJSON file itself
 * (see readLineRange; a compressed one the main thread cuts into blocks of whole lines and
 * hands out); workers decode, prefilter and match the lines (see
 * match-worker.ts) and answer with the lines some rule can use, the rules selected for each
 * and the hits of its sequence rules. The main thread takes the answers in block order and
 * passes each line on as its bytes, its rules and those hits, so correlation sees exactly
 * the events, in exactly the order, of a single-threaded read, and parses only the events
 * some rule needs whole. Inputs that are not NDJSON (a JSON array, pretty-printed objects)
 * are read on the main thread.
 */
export interface WorkerInputOptions {
  workers: number;
  prefilter: boolean;
  strict?: boolean;
  onProblem: (problem: DecodeProblem) => void;
  maxLineBytes?: number;
  /** bytes per block; small values exist for tests of block boundaries */
  blockBytes?: number;
  /** what `-` reads, when not process.stdin itself (the caller may have read its start already) */
  stdin?: AsyncIterable<Buffer>;
}

const DEFAULT_BLOCK = 1 << 20;
/**
 * Blocks handed out and not yet taken back, per worker: enough to keep each busy while the
 * main thread waits on the oldest block (answers are taken in order), and a bound. Each block
 * cut by the main thread carries its bytes (1 MiB); a range of a file only its place, and its
 * answer only the lines some rule can use, so more of those go out: they keep the workers busy
 * through much of a pause of the main thread (writing held sequence events to disk can take a
 * second; 32 blocks are about 0.4 s of a worker's time on cloud_defend events).
 */
const IN_FLIGHT_PER_WORKER = 6;
const RANGES_IN_FLIGHT_PER_WORKER = 32;

export async function* eventsThroughWorkers(
  paths: readonly string[],
  rules: readonly ExecutableRule[],
  options: WorkerInputOptions,
  stats: ReadStats,
): AsyncGenerator<InputEvent> {
  const pool = new WorkerPool(options.workers, rules, {
    rules: rules.map(workerRule),
    prefilter: options.prefilter,
    maxLineBytes: options.maxLineBytes,
  });
  try {
    for (const path of paths) yield* readSource(path, pool, options, stats);
  } finally {
    await pool.close();
  }
}

function workerRule(rule: ExecutableRule): WorkerRule {
  return {
    query: rule.query.source.body,
    eventCategoryField: rule.query.eventCategoryField,
    timestampField: rule.query.timestampField,
    tiebreakerField: rule.query.tiebreakerField,
    index: rule.rule.index as readonly string[] | undefined,
    categories: rule.query.categories,
    shape: rule.query.shape,
  };
}

/**
 * What the workers pass on: an event some rule can use with the rules selected for it, or,
 * from an input the main thread read itself (not NDJSON), an event the engine selects for.
 */
export type InputEvent = { event: Event; origin: EventOrigin; text?: string } | SelectedEvent;

async function* readSource(
  path: string,
  pool: WorkerPool,
  options: WorkerInputOptions,
  stats: ReadStats,
): AsyncGenerator<InputEvent> {
  const blockBytes = options.blockBytes ?? DEFAULT_BLOCK;
  const maxLine = options.maxLineBytes ?? DEFAULT_MAX_LINE;
  // stdin is cut into blocks by the main thread, as a compressed file is
  const fromStdin = path === "-";
  const name = fromStdin ? STDIN_NAME : path;
  const input = fromStdin
    ? (options.stdin ?? process.stdin)
    : createReadStream(path, { highWaterMark: DEFAULT_BLOCK });
  const chunks = decompress(input)[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headBytes = 0;
  // The first line decides: one JSON object on it means NDJSON, cut into blocks.
  let ndjson: boolean | undefined;
  try {
    while (ndjson === undefined) {
      const next = await chunks.next();
      if (next.done) break;
      head.push(next.value);
      headBytes += next.value.length;
      ndjson = startsAsNdjson(Buffer.concat(head, headBytes), maxLine);
    }
  } catch (error) {
    if (!(error instanceof CorruptStreamError)) throw error;
    ndjson = false;
  }
  const file = fromStdin ? undefined : await stat(path);
  const plain = ndjson === true && file?.isFile() === true && (await codecOf(path)) === "none";
  const lines = plain && file ? new StoredLines(path, file) : undefined;
  const source = new BlockOrder(name, pool.rules, options, stats, lines);
  if (plain && file) {
    // a plain file: the workers read their ranges of it themselves (a pipe is read as it comes)
    await chunks.return(undefined);
    const size = file.size;
    stats.bytes += size;
    for (let start = 0; start < size; start += blockBytes) {
      source.push(pool.range(path, start, Math.min(size, start + blockBytes)));
      while (source.size > pool.size * RANGES_IN_FLIGHT_PER_WORKER) yield* source.take();
    }
    while (source.size > 0) yield* source.take();
    return;
  }
  stats.bytes += headBytes;
  if (ndjson !== true) {
    // the main thread's reader: every format, with its own reports of what is wrong
    const replay = (async function* () {
      yield* head;
      for (;;) {
        const next = await chunks.next();
        if (next.done) return;
        stats.bytes += next.value.length;
        yield next.value;
      }
    })();
    const readOptions: ReadOptions = { strict: options.strict, onProblem: options.onProblem, keepText: true };
    const sourceStats = { events: 0, skipped: 0, problems: 0, bytes: 0, inputBytes: 0 };
    for await (const { event, source, line, text } of readEventsFromStream(
      replay,
      name,
      readOptions,
      sourceStats,
    ))
      yield { event, origin: { source, line }, text };
    stats.events += sourceStats.events;
    stats.problems += sourceStats.problems;
    return;
  }

  // decompressed NDJSON: the main thread cuts it into blocks of whole lines
  let pending: Buffer[] = head;
  let pendingBytes = headBytes;
  let skippingLongLine = false;
  const cut = (final: boolean) => {
    let buf = Buffer.concat(pending, pendingBytes);
    if (skippingLongLine) {
      const nl = buf.indexOf(10);
      if (nl < 0) {
        pending = [];
        pendingBytes = 0;
        return;
      }
      buf = buf.subarray(nl + 1);
      skippingLongLine = false;
    }
    const last = final ? buf.length - 1 : buf.lastIndexOf(10);
    if (last < 0) {
      if (buf.length > maxLine) {
        // a line too long to hold: reported in its place, its bytes dropped until it ends
        source.push(tooLong(name, maxLine));
        skippingLongLine = true;
        buf = Buffer.alloc(0);
      }
      pending = buf.length ? [buf] : [];
      pendingBytes = buf.length;
      return;
    }
    source.push(pool.decode(name, buf.subarray(0, last + 1)));
    const rest = buf.subarray(last + 1);
    pending = rest.length ? [rest] : [];
    pendingBytes = rest.length;
  };

  try {
    for (;;) {
      if (pendingBytes >= blockBytes || skippingLongLine) cut(false);
      while (source.size > pool.size * IN_FLIGHT_PER_WORKER) yield* source.take();
      const next = await chunks.next();
      if (next.done) break;
      stats.bytes += next.value.length;
      pending.push(next.value);
      pendingBytes += next.value.length;
    }
  } catch (error) {
    if (!(error instanceof CorruptStreamError)) throw error;
    if (pendingBytes > 0) cut(true);
    while (source.size > 0) yield* source.take();
    source.problem(error.message);
    return;
  }
  if (pendingBytes > 0) cut(true);
  while (source.size > 0) yield* source.take();
}

async function codecOf(path: string): Promise<Codec> {
  const file = await open(path);
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(MAGIC_BYTES), 0, MAGIC_BYTES, 0);
    return detectCodec(buffer.subarray(0, bytesRead));
  } finally {
    await file.close();
  }
}

/**
 * The blocks of one source handed out, answered in the order they were handed out: their
 * problems reported and their lines passed on, numbered from the source's first line.
 */
class BlockOrder {
  private readonly queue: Array<Promise<BlockResult> | BlockResult> = [];
  private nextLine = 1;

  constructor(
    private readonly path: string,
    private readonly rules: readonly ExecutableRule[],
    private readonly options: WorkerInputOptions,
    private readonly stats: ReadStats,
    /** the lines of a plain file, which workers pass on as their places in it */
    private readonly lines?: StoredLines,
  ) {}

  get size(): number {
    return this.queue.length;
  }

  push(result: Promise<BlockResult> | BlockResult): void {
    this.queue.push(result);
  }

  /** The first block's answer, once it has come. */
  async *take(): AsyncGenerator<SelectedEvent> {
    const result = await this.queue.shift()!;
    for (const problem of result.problems) this.problem(problem.reason, problem.line, problem.column);
    this.stats.events += result.events;
    this.stats.skipped += result.skipped;
    const held = Buffer.from(result.held.buffer, result.held.byteOffset, result.held.byteLength);
    for (const { line, start, end, inFile, rules, hits } of result.candidates) {
      yield {
        origin: { source: this.path, line: line + this.nextLine - 1 },
        text: inFile ? this.lines!.line(start, end) : held.subarray(start, end),
        rules: rules.map((position) => this.rules[position]),
        hits,
      };
    }
    this.nextLine += result.lines;
  }

  /** A problem at this line (and column) of the block being taken, or after the last block taken. */
  problem(reason: string, line = 1, column?: number): void {
    const placed: DecodeProblem = { source: this.path, line: line + this.nextLine - 1, reason };
    if (column !== undefined) placed.column = column;
    this.stats.problems++;
    if (this.options.strict) throw new DecodeError(placed);
    this.options.onProblem(placed);
  }
}

/** Whether the input opens with a line holding one JSON object (undefined: the line has not ended yet). */
function startsAsNdjson(head: Buffer, maxLine: number): boolean | undefined {
  let i = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return false;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0d || head[i] === 0x0a))
    i++;
  if (i === head.length) return head.length > maxLine ? false : undefined;
  if (head[i] !== 0x7b) return false;
  const nl = head.indexOf(10, i);
  if (nl < 0) return head.length > maxLine ? false : undefined;
  try {
    const first = JSON.parse(head.toString("utf8", i, nl));
    return first !== null && typeof first === "object" && !Array.isArray(first);
  } catch {
    return false;
  }
}

function tooLong(source: string, maxLine: number): BlockResult {
  return {
    id: -1,
    lines: 1,
    events: 0,
    skipped: 0,
    candidates: [],
    held: new Uint8Array(0),
    problems: [{ source, line: 1, reason: lineTooLong(maxLine) }],
  };
}

/**
 * The worker's module: built JavaScript beside this file, or — running from source through
 * tsx — a small module that registers tsx in the thread first (loader hooks of the main
 * thread do not reach workers on Node 20).
 */
function workerEntry(): URL {
  if (!import.meta.url.endsWith(".ts")) return new URL("./match-worker.js", import.meta.url);
  const entry = new URL("./match-worker.ts", import.meta.url).href;
  const tsx = import.meta.resolve("tsx/esm/api");
  const code = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(entry)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

/** Workers each sent a block when least busy; each answer resolves the promise its block was given. */
class WorkerPool {
  private readonly workers: Worker[];
  private readonly waiting = new Map<
    number,
    { worker: number; resolve(r: BlockResult): void; reject(e: unknown): void }
  >();
  private nextId = 0;
  private failure: unknown;

  /** `rules`: the rules the workers were given, whose positions their answers name */
  constructor(
    size: number,
    readonly rules: readonly ExecutableRule[],
    data: MatchWorkerData,
  ) {
    this.workers = Array.from({ length: Math.max(1, size) }, () => {
      const worker = new Worker(workerEntry(), { workerData: data });
      worker.on("message", (result: BlockResult) => {
        const waiter = this.waiting.get(result.id);
        this.waiting.delete(result.id);
        waiter?.resolve(result);
      });
      worker.on("error", (error) => this.fail(error));
      worker.on("exit", (code) => {
        if (code !== 0) this.fail(new Error(`a match worker exited with code ${code}`));
      });
      return worker;
    });
  }

  get size(): number {
    return this.workers.length;
  }

  /** A block of bytes cut by the main thread: a copy the worker owns (its memory moves there). */
  decode(source: string, block: Buffer): Promise<BlockResult> {
    const bytes = new Uint8Array(block.length);
    bytes.set(block);
    return this.send({ id: this.nextId++, source, bytes }, [bytes.buffer]);
  }

  /** The lines of a file that start in `[start, end)`, read by the worker. */
  range(path: string, start: number, end: number): Promise<BlockResult> {
    return this.send({ id: this.nextId++, source: path, path, start, end }, []);
  }

  private send(request: BlockRequest, transfer: ArrayBuffer[]): Promise<BlockResult> {
    if (this.failure) return Promise.reject(this.failure);
    const worker = this.leastBusy();
    return new Promise<BlockResult>((resolve, reject) => {
      this.waiting.set(request.id, { worker, resolve, reject });
      this.workers[worker].postMessage(request, transfer);
    });
  }

  /**
   * The worker with the fewest blocks sent and not yet answered: blocks differ in cost, and one
   * slow block must not leave a worker with a backlog while another has nothing to do.
   */
  private leastBusy(): number {
    const blocks = this.workers.map(() => 0);
    for (const { worker } of this.waiting.values()) blocks[worker]++;
    return blocks.indexOf(Math.min(...blocks));
  }

  private fail(error: unknown): void {
    this.failure ??= error;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }

  async close(): Promise<void> {
    this.failure ??= new Error("the match workers were closed");
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
