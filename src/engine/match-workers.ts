import { createReadStream } from "node:fs";
import { Worker } from "node:worker_threads";
import type { Event } from "../eql/field-access.ts";
import { CorruptStreamError, decompress } from "../io/decompress.ts";
import {
  DecodeError,
  type DecodeProblem,
  type ReadOptions,
  type ReadStats,
  readEventsFromStream,
} from "../io/event-source.ts";
import type { ExecutableRule } from "../rules/rule-set.ts";
import type { EventOrigin, SelectedEvent } from "./detection-engine.ts";
import type { BlockRequest, BlockResult, Candidate, MatchWorkerData, WorkerRule } from "./match-worker.ts";

/**
 * Batch input through worker threads: the main thread cuts each NDJSON file into blocks of
 * whole lines and hands them out; workers decode, prefilter and match them (see
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
}

const DEFAULT_BLOCK = 1 << 20;
const DEFAULT_MAX_LINE = 16 << 20;
/** blocks handed out and not yet taken back, per worker: enough to keep each busy, and a bound */
const IN_FLIGHT_PER_WORKER = 3;

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
  };
}

/**
 * What the workers pass on: an event some rule can use with the rules selected for it, or,
 * from an input the main thread read itself (not NDJSON), an event the engine selects for.
 */
export type InputEvent = { event: Event; origin: EventOrigin; text?: string } | SelectedEvent;

/** A block handed out, and its bytes: the lines its answer names are read from them. */
interface Pending {
  result: Promise<BlockResult> | BlockResult;
  block?: Buffer;
}

async function* readSource(
  path: string,
  pool: WorkerPool,
  options: WorkerInputOptions,
  stats: ReadStats,
): AsyncGenerator<InputEvent> {
  const blockBytes = options.blockBytes ?? DEFAULT_BLOCK;
  const maxLine = options.maxLineBytes ?? DEFAULT_MAX_LINE;
  const chunks = decompress(createReadStream(path, { highWaterMark: DEFAULT_BLOCK }))[Symbol.asyncIterator]();
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
      stats.bytes += next.value.length;
      ndjson = startsAsNdjson(Buffer.concat(head, headBytes), maxLine);
    }
  } catch (error) {
    if (!(error instanceof CorruptStreamError)) throw error;
    ndjson = false;
  }
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
      path,
      readOptions,
      sourceStats,
    ))
      yield { event, origin: { source, line }, text };
    stats.events += sourceStats.events;
    stats.problems += sourceStats.problems;
    return;
  }

  const queue: Pending[] = [];
  let nextLine = 1;
  const take = function* ({ result, block }: { result: BlockResult; block?: Buffer }) {
    for (const problem of result.problems) {
      const placed = { ...problem, line: problem.line + nextLine - 1 };
      stats.problems++;
      if (options.strict) throw new DecodeError(placed);
      options.onProblem(placed);
    }
    stats.events += result.events;
    stats.skipped += result.skipped;
    const texts = heldTexts(result.candidates, block);
    for (let i = 0; i < result.candidates.length; i++) {
      const { line, rules, hits } = result.candidates[i];
      yield {
        origin: { source: path, line: line + nextLine - 1 },
        text: texts[i],
        rules: rules.map((position) => pool.rules[position]),
        hits,
      };
    }
    nextLine += result.lines;
  };

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
        queue.push({ result: tooLong(path, maxLine) });
        skippingLongLine = true;
        buf = Buffer.alloc(0);
      }
      pending = buf.length ? [buf] : [];
      pendingBytes = buf.length;
      return;
    }
    const block = buf.subarray(0, last + 1);
    queue.push({ result: pool.decode(path, block), block });
    const rest = buf.subarray(last + 1);
    pending = rest.length ? [rest] : [];
    pendingBytes = rest.length;
  };

  try {
    for (;;) {
      if (pendingBytes >= blockBytes || skippingLongLine) cut(false);
      while (queue.length > pool.size * IN_FLIGHT_PER_WORKER) yield* take(await settled(queue.shift()!));
      const next = await chunks.next();
      if (next.done) break;
      stats.bytes += next.value.length;
      pending.push(next.value);
      pendingBytes += next.value.length;
    }
  } catch (error) {
    if (!(error instanceof CorruptStreamError)) throw error;
    if (pendingBytes > 0) cut(true);
    while (queue.length > 0) yield* take(await settled(queue.shift()!));
    const placed = { source: path, line: nextLine, reason: error.message };
    stats.problems++;
    if (options.strict) throw new DecodeError(placed);
    options.onProblem(placed);
    return;
  }
  if (pendingBytes > 0) cut(true);
  while (queue.length > 0) yield* take(await settled(queue.shift()!));
}

async function settled(pending: Pending): Promise<{ result: BlockResult; block?: Buffer }> {
  return { result: await pending.result, block: pending.block };
}

/**
 * The candidates' texts as the engine holds them: UTF-8 bytes, copied out of the block into
 * one buffer of their own, so that a held line keeps alive its own bytes and not its block's.
 */
function heldTexts(candidates: readonly Candidate[], block: Buffer | undefined): Uint8Array[] {
  let size = 0;
  for (const c of candidates) if ("start" in c) size += c.end - c.start;
  const held = Buffer.allocUnsafeSlow(size);
  let at = 0;
  return candidates.map((c) => {
    if (!("start" in c)) return Buffer.from(c.text, "utf8");
    const from = at;
    at += block!.copy(held, at, c.start, c.end);
    return held.subarray(from, at);
  });
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
    problems: [{ source, line: 1, reason: `line longer than ${maxLine / (1 << 20)} MiB; skipped` }],
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

/** Workers taking blocks in turn; each answer resolves the promise its block was given. */
class WorkerPool {
  private readonly workers: Worker[];
  private readonly waiting = new Map<number, { resolve(r: BlockResult): void; reject(e: unknown): void }>();
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

  decode(source: string, block: Buffer): Promise<BlockResult> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    // a copy the worker owns: its memory moves to the worker instead of being copied again
    const bytes = new Uint8Array(block.length);
    bytes.set(block);
    const request: BlockRequest = { id, source, bytes };
    return new Promise<BlockResult>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.workers[id % this.workers.length].postMessage(request, [bytes.buffer]);
    });
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
