/**
 * Events from files and streams: NDJSON, a JSON array, or JSON objects (pretty-printed or not),
 * optionally gzip or zstd compressed, with every malformed record reported as `file:line: reason`.
 *
 * The hot path is NDJSON: split Buffers on `\n` with `indexOf`, decode only complete lines
 * (so a UTF-8 character split across chunks is never decoded in halves) and `JSON.parse` each.
 * Multi-line JSON goes through a small structural scanner that finds each record's bytes and
 * start line, then hands the record to `JSON.parse` as well.
 */
import { createReadStream } from "node:fs";
import { nestsTooDeep } from "../engine/json-tree.ts";
import { visibleLine } from "../eql/terminal-text.ts";
import { CorruptStreamError, decompress, readAll } from "./decompress.ts";
import { fileChunks } from "./file-chunks.ts";
import { tooDeepDocumentMessage } from "./json-depth.ts";
import { explainJsonError, lineColumnAt } from "./json-error.ts";
import type { LineFilter } from "./line-filter.ts";

export interface SourceEvent {
  event: Record<string, unknown>;
  /** the file path, or `"<stdin>"` */
  source: string;
  /** 1-based line of the event's first line */
  line: number;
  /** the JSON text the event was parsed from (a line, or a multi-line record), when asked for */
  text?: string;
  /**
   * With a line filter: the lines of this source it skipped before this event, which a reader
   * numbering events (`eqlite query`'s hit ids) counts as events.
   */
  skippedBefore?: number;
}

export interface DecodeProblem {
  source: string;
  line: number;
  column?: number;
  reason: string;
}

export interface ReadOptions {
  /** throw `DecodeError` on the first problem instead of reporting it and going on */
  strict?: boolean;
  onProblem?: (problem: DecodeProblem) => void;
  /** longest NDJSON line; longer lines are reported and skipped, never buffered. Default 16 MiB. */
  maxLineBytes?: number;
  /** longest multi-line JSON value (a pretty-printed object, one element of an array). Default 512 MiB. */
  maxDocumentBytes?: number;
  /** read size for files; small values exist for tests of chunk boundaries. Default 1 MiB. */
  highWaterMark?: number;
  /**
   * The raw-line prefilter: NDJSON lines holding one `{...}` object that it rejects are
   * counted in `skipped` and never parsed (nor checked: a malformed line it rejects is not
   * reported). The first line of each source always goes the full way.
   */
  lineFilter?: LineFilter;
  /**
   * Events carry the JSON text they were parsed from (`text`): a consumer that holds events
   * for long may hold the text instead and parse it again when needed.
   */
  keepText?: boolean;
}

export interface ReadStats {
  events: number;
  /** lines the prefilter decided no rule can match: neither parsed nor counted in `events` */
  skipped: number;
  problems: number;
  /** decoded (decompressed) bytes */
  bytes: number;
  /** bytes read from the sources, before decompression */
  inputBytes: number;
}

export interface EventReader {
  events: AsyncGenerator<SourceEvent>;
  /** live counters, final once `events` is exhausted */
  stats: ReadStats;
}

export class DecodeError extends Error {
  readonly problem: DecodeProblem;

  constructor(problem: DecodeProblem) {
    super(formatProblem(problem));
    this.name = "DecodeError";
    this.problem = problem;
  }
}

/**
 * `file:line: reason`, or `file:line:column: reason` when the column is known. The file's name is
 * untrusted too: a directory walk finds names that the host the bundle came from chose.
 */
export function formatProblem(problem: DecodeProblem): string {
  const column = problem.column === undefined ? "" : `:${problem.column}`;
  return `${visibleLine(problem.source)}:${problem.line}${column}: ${visibleLine(problem.reason)}`;
}

export const format = formatProblem;

export const STDIN_NAME = "<stdin>";
const MiB = 1024 * 1024;
export const DEFAULT_MAX_LINE = 16 * MiB;
const DEFAULT_MAX_DOCUMENT = 512 * MiB;
const DEFAULT_HIGH_WATER_MARK = MiB;

export function createEventReader(paths: string[], options: ReadOptions = {}): EventReader {
  const stats = emptyStats();
  const sources = paths.map((path) => ({
    name: path === "-" ? STDIN_NAME : path,
    open: () => (path === "-" ? process.stdin : fileChunks(path, highWaterMark(options))),
  }));
  return { events: decodeSources(sources, options, stats), stats };
}

/** The events of every path in order; `"-"` is stdin. */
export function readEvents(paths: string[], options: ReadOptions = {}): AsyncGenerator<SourceEvent> {
  return createEventReader(paths, options).events;
}

/** The events of one byte stream (stdin, an HTTP body, a test's Readable). */
export function readEventsFromStream(
  stream: AsyncIterable<Buffer | Uint8Array | string>,
  name: string,
  options: ReadOptions = {},
  stats: ReadStats = emptyStats(),
): AsyncGenerator<SourceEvent> {
  return decodeSources([{ name, open: () => stream }], options, stats);
}

/** A whole file (decompressed, `-` for stdin) parsed as one JSON value: mappings, settings and the like. */
export async function readJsonDocument(path: string, options: ReadOptions = {}): Promise<unknown> {
  const name = path === "-" ? STDIN_NAME : path;
  const max = options.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT;
  const stream =
    path === "-" ? process.stdin : createReadStream(path, { highWaterMark: highWaterMark(options) });
  let bytes: Buffer | undefined;
  try {
    bytes = await readAll(asBuffers(stream, undefined), max);
  } catch (error) {
    if (error instanceof CorruptStreamError)
      throw new DecodeError({ source: name, line: 1, reason: error.message });
    throw error;
  }
  if (bytes === undefined)
    throw new DecodeError({ source: name, line: 1, reason: tooLarge("JSON document", max) });
  const start = hasBom(bytes) ? 3 : 0;
  const text = bytes.toString("utf8", start);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DecodeError(jsonProblem(name, text, error, 1, 1));
  }
  if (nestsTooDeep(value)) {
    throw new DecodeError({ source: name, line: 1, reason: tooDeepDocumentMessage("the document") });
  }
  return value;
}

interface NamedSource {
  name: string;
  open: () => AsyncIterable<Buffer | Uint8Array | string>;
}

// One generator for all sources: each extra generator layer costs a promise per event.
async function* decodeSources(
  sources: Iterable<NamedSource>,
  options: ReadOptions,
  stats: ReadStats,
): AsyncGenerator<SourceEvent> {
  const strict = options.strict === true;
  const onProblem = options.onProblem;
  const limits: Limits = {
    maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE,
    maxDocumentBytes: options.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT,
  };
  for (const source of sources) {
    const decoder = new EventDecoder(source.name, limits, options.lineFilter, stats, {
      keepText: options.keepText === true,
      lazy: true,
    });
    const out = decoder.out;
    let corrupt: CorruptStreamError | undefined;
    try {
      for await (const chunk of decompress(asBuffers(source.open(), stats))) {
        stats.bytes += chunk.length;
        decoder.push(chunk);
        // Lines are parsed as they are reached, and `out` is emptied before the next chunk:
        // a chunk's bytes stay as they are until then.
        for (let k = 0; k < out.length; k++) {
          const found = out[k];
          const item = found instanceof PendingLine ? decoder.decode(found) : found;
          if (isProblem(item)) deliver(item, stats, strict, onProblem);
          else {
            stats.events++;
            yield item;
          }
        }
        out.length = 0;
      }
    } catch (error) {
      if (!(error instanceof CorruptStreamError)) throw error;
      corrupt = error;
    }
    if (corrupt === undefined) decoder.end();
    else decoder.abort(corrupt.message);
    for (const found of out) {
      const item = found instanceof PendingLine ? decoder.decode(found) : found;
      if (isProblem(item)) deliver(item, stats, strict, onProblem);
      else {
        stats.events++;
        yield item;
      }
    }
    out.length = 0;
  }
}

function deliver(
  problem: DecodeProblem,
  stats: ReadStats,
  strict: boolean,
  onProblem: ((p: DecodeProblem) => void) | undefined,
): void {
  stats.problems++;
  if (strict) throw new DecodeError(problem);
  onProblem?.(problem);
}

async function* asBuffers(
  stream: AsyncIterable<Buffer | Uint8Array | string>,
  stats: ReadStats | undefined,
): AsyncGenerator<Buffer> {
  for await (const chunk of stream) {
    const buf =
      typeof chunk === "string"
        ? Buffer.from(chunk, "utf8")
        : Buffer.isBuffer(chunk)
          ? chunk
          : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (stats !== undefined) stats.inputBytes += buf.length;
    yield buf;
  }
}

const emptyStats = (): ReadStats => ({ events: 0, skipped: 0, problems: 0, bytes: 0, inputBytes: 0 });
const highWaterMark = (options: ReadOptions): number => options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
const isProblem = (item: SourceEvent | DecodeProblem): item is DecodeProblem =>
  (item as SourceEvent).event === undefined;

/**
 * A block of whole NDJSON lines cut from inside a file (a worker's share), decoded alone with
 * line numbers from `firstLine`: `visit` gets each event (with its text) or problem in turn,
 * one line parsed at a time, and where the event's line lies in `buf` — `[start, end)`, or
 * -1 for a last line without its `\n`, which the decoder joined into a buffer of its own.
 * The first line gets no special treatment: the caller has seen the file begin as NDJSON.
 */
export function decodeNdjsonBlock(
  buf: Buffer,
  source: string,
  firstLine: number,
  options: { lineFilter?: LineFilter; maxLineBytes?: number },
  visit: (item: SourceEvent | DecodeProblem, start: number, end: number) => void,
): { skipped: number; lines: number } {
  const stats = emptyStats();
  const limits: Limits = {
    maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE,
    maxDocumentBytes: DEFAULT_MAX_DOCUMENT,
  };
  const decoder = new EventDecoder(source, limits, options.lineFilter, stats, {
    keepText: true,
    lazy: true,
    block: { firstLine },
  });
  decoder.push(buf);
  decoder.end();
  for (const found of decoder.out) {
    if (!(found instanceof PendingLine)) visit(found, -1, -1);
    else if (found.buf !== buf) visit(decoder.decode(found), -1, -1);
    else visit(decoder.decode(found), found.start, found.end);
  }
  return { skipped: stats.skipped, lines: decoder.nextLine - firstLine };
}

export const isDecodeProblem = isProblem;

// ---------------------------------------------------------------------------------------------
// The decoder: a push-based state machine, so it works on any sequence of chunks.

interface Limits {
  maxLineBytes: number;
  maxDocumentBytes: number;
}

/** Decoding modes */
const DETECT = 0; // before the first non-whitespace byte
const NDJSON = 1; // one record per line
const SCAN = 2; // multi-line JSON values, found by the structural scanner

/** What kind of record the scanner is inside */
const NONE = 0;
const CONTAINER = 1; // an object or an array
const STRING = 2;
const SCALAR = 3; // a number, true, false, null or junk

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const BOM = [0xef, 0xbb, 0xbf];

/**
 * An NDJSON line found in a chunk and not parsed yet: the reader parses it when it reaches
 * it. Parsing a whole chunk's lines at once would keep hundreds of events alive together,
 * long enough for the garbage collector to copy them out of the young generation.
 */
class PendingLine {
  constructor(
    readonly buf: Buffer,
    readonly start: number,
    readonly end: number,
    readonly line: number,
    /** with a line filter: the lines of the source it skipped before this one */
    readonly skippedBefore: number | undefined,
  ) {}
}

/** A first line that failed to parse alone and may open a pretty-printed object. */
interface Candidate {
  text: string;
  line: number;
  error: unknown;
}

class EventDecoder {
  /** events and problems, in input order, for the caller to drain after each push */
  readonly out: (SourceEvent | DecodeProblem | PendingLine)[] = [];
  private readonly source: string;
  private readonly limits: Limits;
  private mode = DETECT;
  /** the line the next byte belongs to */
  private line = 1;
  /** stream offset of the current chunk, to recognise a byte order mark */
  private offset = 0;
  /** bytes of the current line that came before the current chunk, for columns */
  private columnBase = 0;

  // NDJSON: the start of a line whose end has not arrived yet
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private skippingLine = false;
  private firstLineMayOpenDocument = false;
  private candidate: Candidate | undefined;

  // SCAN: structure outside the record, and the record being collected
  private depth = 0;
  private recordDepth = 0;
  private inArray = false;
  private arrayLine = 0;
  private inString = false;
  private escaped = false;
  private kind = NONE;
  private pieces: Buffer[] = [];
  private recordBytes = 0;
  private recordLine = 0;
  private recordColumn = 0;
  private recordOversized = false;
  /** the record is the first-line candidate: if it never completes, the input was NDJSON after all */
  private recordIsCandidate = false;

  constructor(
    source: string,
    limits: Limits,
    private readonly lineFilter?: LineFilter,
    private readonly stats?: ReadStats,
    options: {
      /** events carry their text */
      keepText?: boolean;
      /** plain NDJSON lines go to `out` unparsed, for the caller to `decode` when it reaches them */
      lazy?: boolean;
      /** a block of whole NDJSON lines from inside a file, starting at this line */
      block?: { firstLine: number };
    } = {},
  ) {
    this.source = source;
    this.limits = limits;
    this.keepText = options.keepText === true;
    this.lazy = options.lazy === true;
    if (options.block) {
      this.mode = NDJSON;
      this.line = options.block.firstLine;
    }
  }

  private readonly keepText: boolean;
  private readonly lazy: boolean;
  /** lines of this source the line filter skipped so far */
  private skippedLines = 0;

  private skippedBefore(): number | undefined {
    return this.lineFilter === undefined ? undefined : this.skippedLines;
  }

  /** the line the next byte belongs to */
  get nextLine(): number {
    return this.line;
  }

  push(chunk: Buffer): void {
    // a stream may hand back the same memory with new bytes: nothing found in it before holds
    this.lineFilter?.reset();
    this.feed(chunk);
    this.offset += chunk.length;
  }

  /** The input ended cleanly: whatever is pending is a last record, or a problem. */
  end(): void {
    if (this.mode === NDJSON) this.endNdjson();
    if (this.mode === SCAN) this.endScan();
  }

  /** The input ended with an error: report it where the unfinished data started. */
  abort(reason: string): void {
    const line =
      this.mode === SCAN && this.kind !== NONE ? this.recordLine : (this.candidate?.line ?? this.line);
    this.carry = [];
    this.carryBytes = 0;
    this.candidate = undefined;
    this.kind = NONE;
    this.pieces = [];
    this.problem(line, undefined, reason);
  }

  private feed(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.mode === NDJSON) i = this.ndjson(chunk, i);
      else if (this.mode === SCAN) i = this.scan(chunk, i);
      else i = this.detect(chunk, i);
    }
  }

  // -- detection ------------------------------------------------------------------------------

  /** `[` opens an array; anything else is NDJSON, whose first line may turn out to open a document. */
  private detect(chunk: Buffer, start: number): number {
    let lineStart = -this.columnBase;
    for (let i = start; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === LF) {
        this.line++;
        lineStart = i + 1;
      } else if (b === SPACE || b === TAB || b === CR) {
        // leading whitespace
      } else if (this.offset + i < BOM.length && b === BOM[this.offset + i]) {
        lineStart = i + 1;
      } else if (b === LBRACKET) {
        this.mode = SCAN;
        this.columnBase = i - lineStart;
        return i;
      } else {
        this.mode = NDJSON;
        this.firstLineMayOpenDocument = b === LBRACE;
        return i;
      }
    }
    this.columnBase = chunk.length - lineStart;
    return chunk.length;
  }

  // -- NDJSON ---------------------------------------------------------------------------------

  private ndjson(chunk: Buffer, start: number): number {
    const len = chunk.length;
    let i = start;
    if (this.skippingLine || this.carryBytes > 0) {
      const nl = chunk.indexOf(LF, i);
      if (nl < 0) {
        this.addCarry(chunk.subarray(i));
        return len;
      }
      const n = this.line++;
      const pieces = this.carry;
      const total = this.carryBytes + (nl - i);
      this.carry = [];
      this.carryBytes = 0;
      if (this.skippingLine) this.skippingLine = false;
      else if (total > this.limits.maxLineBytes) this.lineTooLong(n);
      else {
        pieces.push(chunk.subarray(i, nl));
        const line = Buffer.concat(pieces, total);
        this.onLine(line, 0, line.length, n);
      }
      i = nl + 1;
      if (this.mode !== NDJSON) return i;
    }
    for (;;) {
      const nl = chunk.indexOf(LF, i);
      if (nl < 0) break;
      const n = this.line++;
      if (nl - i > this.limits.maxLineBytes) this.lineTooLong(n);
      else this.onLine(chunk, i, nl, n);
      i = nl + 1;
      if (this.mode !== NDJSON) return i;
    }
    if (i < len) this.addCarry(chunk.subarray(i));
    return len;
  }

  private addCarry(piece: Buffer): void {
    if (this.skippingLine) return;
    this.carryBytes += piece.length;
    if (this.carryBytes > this.limits.maxLineBytes) {
      // report now, then drop bytes until the line ends: the line is never held whole
      this.carry = [];
      this.carryBytes = 0;
      this.skippingLine = true;
      this.lineTooLong(this.line);
    } else {
      // a copy: the chunk's memory may be read over by the next one (see fileChunks)
      this.carry.push(Buffer.from(piece));
    }
  }

  private endNdjson(): void {
    if (this.carryBytes > 0) {
      const line = Buffer.concat(this.carry, this.carryBytes);
      this.carry = [];
      this.carryBytes = 0;
      this.onLine(line, 0, line.length, this.line);
    }
    if (this.candidate !== undefined) this.scanCandidate(this.candidate, "", this.candidate.line);
  }

  private lineTooLong(line: number): void {
    this.firstLineMayOpenDocument = false;
    this.rejectCandidate();
    this.problem(line, undefined, lineTooLong(this.limits.maxLineBytes));
  }

  /** One line, without its `\n` (a trailing `\r` is JSON whitespace). */
  private onLine(buf: Buffer, start: number, end: number, line: number): void {
    if (start === end) return;
    const first = buf[start];
    if (first !== LBRACE && isBlank(buf, start, end)) return;
    if (
      this.lineFilter !== undefined &&
      first === LBRACE &&
      !this.firstLineMayOpenDocument &&
      this.candidate === undefined &&
      lastByte(buf, start, end) === RBRACE &&
      !this.lineFilter.accepts(buf, start, end)
    ) {
      this.stats!.skipped++;
      this.skippedLines++;
      return;
    }
    if (this.lazy && this.candidate === undefined && !this.firstLineMayOpenDocument) {
      // past the first line nothing a line holds changes how the next ones are read
      this.out.push(new PendingLine(buf, start, end, line, this.skippedBefore()));
      return;
    }
    const text = buf.toString("utf8", start, end);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      this.onBadLine(text, line, error);
      return;
    }
    this.firstLineMayOpenDocument = false;
    if (this.candidate !== undefined) this.resolveCandidate(value, text, line);
    else this.emit(value, line, undefined, text);
  }

  /** A pending line as `onLine` would have decoded it: an event, or what is wrong with it. */
  decode(pending: PendingLine): SourceEvent | DecodeProblem {
    const text = pending.buf.toString("utf8", pending.start, pending.end);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return jsonProblem(this.source, text, error, pending.line, 1);
    }
    if (!isObject(value))
      return {
        source: this.source,
        line: pending.line,
        reason: `expected a JSON object, got ${describe(value)}`,
      };
    return this.sourceEvent(value, pending.line, text, pending.skippedBefore);
  }

  private onBadLine(text: string, line: number, error: unknown): void {
    if (this.firstLineMayOpenDocument) {
      this.firstLineMayOpenDocument = false;
      if (opensValue(text)) {
        this.candidate = { text, line, error };
        return;
      }
    }
    if (this.candidate !== undefined) this.scanCandidate(this.candidate, text, line);
    else this.out.push(jsonProblem(this.source, text, error, line, 1));
  }

  /**
   * The line after an open first line decides: a standalone object there means NDJSON with a bad
   * first line (a pretty-printed object's second line is a key or `}`); otherwise try a document.
   */
  private resolveCandidate(value: unknown, text: string, line: number): void {
    if (isObject(value) && Object.keys(value).length > 0) {
      this.rejectCandidate();
      this.emit(value, line, undefined, text);
    } else {
      this.scanCandidate(this.candidate!, text, line);
    }
  }

  private rejectCandidate(): void {
    const candidate = this.candidate;
    if (candidate === undefined) return;
    this.candidate = undefined;
    this.out.push(jsonProblem(this.source, candidate.text, candidate.error, candidate.line, 1));
  }

  /** Re-reads the candidate lines with the scanner, then the rest of the input follows in SCAN mode. */
  private scanCandidate(candidate: Candidate, next: string, nextLine: number): void {
    this.candidate = undefined;
    const text = candidate.text + "\n".repeat(nextLine - candidate.line) + next + "\n";
    this.mode = SCAN;
    this.line = candidate.line;
    this.columnBase = 0;
    this.recordIsCandidate = true;
    this.feed(Buffer.from(text, "utf8"));
  }

  // -- multi-line JSON --------------------------------------------------------------------------

  /**
   * Tracks strings and nesting to find where each record starts and ends. Records are the values at
   * the top level, or the elements of a top-level array. A raw newline cannot occur inside a JSON
   * string, so one ends a broken string: an unbalanced quote spoils one line, not the rest of the input.
   */
  private scan(chunk: Buffer, start: number): number {
    // locals, not closures: captured variables would live in a context and slow the byte loop
    const len = chunk.length;
    let depth = this.depth;
    let inString = this.inString;
    let escaped = this.escaped;
    let kind = this.kind;
    let recordStart = start;
    let lineStart = start - this.columnBase;

    for (let i = start; i < len; i++) {
      const b = chunk[i];
      if (inString) {
        if (b === LF) {
          inString = false;
          escaped = false;
          if (kind === STRING) {
            kind = NONE;
            this.saveScan(depth, false, false, NONE);
            if (this.finishRecord(chunk, recordStart, i)) return i;
          }
          this.line++;
          lineStart = i + 1;
        } else if (escaped) escaped = false;
        else if (b === BACKSLASH) escaped = true;
        else if (b === QUOTE) {
          inString = false;
          if (kind === STRING) {
            kind = NONE;
            this.saveScan(depth, false, false, NONE);
            if (this.finishRecord(chunk, recordStart, i + 1)) return i + 1;
          }
        }
        continue;
      }
      if (kind === SCALAR && endsScalar(b)) {
        kind = NONE;
        this.saveScan(depth, false, false, NONE);
        if (this.finishRecord(chunk, recordStart, i)) return i;
      }
      switch (b) {
        case LF:
          this.line++;
          lineStart = i + 1;
          break;
        case SPACE:
        case TAB:
        case CR:
          break;
        case QUOTE:
          inString = true;
          if (kind === NONE) {
            kind = STRING;
            recordStart = i;
            this.beginRecord(i - lineStart + 1);
          }
          break;
        case LBRACE:
        case LBRACKET:
          if (kind === NONE) {
            if (b === LBRACKET && depth === 0) {
              // a top-level array: its elements are the records
              this.inArray = true;
              this.arrayLine = this.line;
              this.recordDepth = 1;
              depth = 1;
              break;
            }
            kind = CONTAINER;
            recordStart = i;
            this.beginRecord(i - lineStart + 1);
          }
          depth++;
          break;
        case RBRACE:
        case RBRACKET:
          if (kind === NONE) {
            if (b === RBRACKET && this.inArray) {
              this.inArray = false;
              this.recordDepth = 0;
              depth = 0;
            } else {
              this.problem(
                this.line,
                i - lineStart + 1,
                `invalid JSON: Unexpected '${String.fromCharCode(b)}'`,
              );
            }
            break;
          }
          depth--;
          if (depth === this.recordDepth) {
            kind = NONE;
            this.saveScan(depth, false, false, NONE);
            if (this.finishRecord(chunk, recordStart, i + 1)) return i + 1;
          }
          break;
        case COMMA:
          // separators are not checked: a missing or doubled comma between records loses nothing
          break;
        default:
          if (kind === NONE) {
            kind = SCALAR;
            recordStart = i;
            this.beginRecord(i - lineStart + 1);
          }
      }
    }

    this.saveScan(depth, inString, escaped, kind);
    this.columnBase = len - lineStart;
    if (kind !== NONE && !this.recordOversized) this.keepPiece(chunk.subarray(recordStart));
    return len;
  }

  private saveScan(depth: number, inString: boolean, escaped: boolean, kind: number): void {
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    this.kind = kind;
  }

  private beginRecord(column: number): void {
    this.pieces = [];
    this.recordBytes = 0;
    this.recordOversized = false;
    this.recordLine = this.line;
    this.recordColumn = column;
  }

  /** Holds the part of an unfinished record that is in this chunk, within the size bound. */
  private keepPiece(piece: Buffer): void {
    this.recordBytes += piece.length;
    if (this.recordBytes <= this.limits.maxDocumentBytes) {
      // a copy: the chunk's memory may be read over by the next one (see fileChunks)
      this.pieces.push(Buffer.from(piece));
    } else if (this.recordIsCandidate) {
      this.fallBackToNdjson(piece);
    } else {
      // keep scanning to find where it ends, but hold none of it
      this.recordOversized = true;
      this.pieces = [];
      this.problem(this.recordLine, this.recordColumn, tooLarge("JSON value", this.limits.maxDocumentBytes));
    }
  }

  /** Parses and emits a finished record; true when that switched the decoder out of SCAN mode. */
  private finishRecord(chunk: Buffer, start: number, end: number): boolean {
    const candidate = this.recordIsCandidate;
    this.recordIsCandidate = false;
    const pieces = this.pieces;
    this.pieces = [];
    if (this.recordOversized) return false;
    const total = this.recordBytes + (end - start);
    if (total > this.limits.maxDocumentBytes) {
      if (!candidate) {
        this.problem(
          this.recordLine,
          this.recordColumn,
          tooLarge("JSON value", this.limits.maxDocumentBytes),
        );
        return false;
      }
      this.pieces = pieces;
      this.fallBackToNdjson(chunk.subarray(start, end));
      return true;
    }
    let text: string;
    if (pieces.length === 0) text = chunk.toString("utf8", start, end);
    else {
      pieces.push(chunk.subarray(start, end));
      text = Buffer.concat(pieces, total).toString("utf8");
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      // A balanced but invalid first value is a broken pretty-printed document: one precise
      // problem is more useful than every one of its lines reported as a bad NDJSON line.
      this.out.push(jsonProblem(this.source, text, error, this.recordLine, this.recordColumn));
      return false;
    }
    this.emit(value, this.recordLine, this.recordColumn, text);
    return false;
  }

  /** The first value never completed: the input was NDJSON with a broken first line after all. */
  private fallBackToNdjson(tail: Buffer): void {
    const pieces = this.pieces;
    pieces.push(tail);
    this.pieces = [];
    this.recordIsCandidate = false;
    this.kind = NONE;
    this.depth = 0;
    this.recordDepth = 0;
    this.inArray = false;
    this.inString = false;
    this.escaped = false;
    this.mode = NDJSON;
    this.line = this.recordLine;
    this.columnBase = 0;
    for (const piece of pieces) this.feed(piece);
  }

  private endScan(): void {
    if (this.kind === SCALAR) {
      this.kind = NONE;
      this.finishRecord(Buffer.alloc(0), 0, 0);
    } else if (this.kind !== NONE) {
      if (this.recordIsCandidate) {
        this.fallBackToNdjson(Buffer.alloc(0));
        this.endNdjson();
        return;
      }
      this.kind = NONE;
      this.pieces = [];
      if (!this.recordOversized) {
        this.problem(
          this.recordLine,
          this.recordColumn,
          "invalid JSON: unexpected end of input inside this value",
        );
      }
    } else if (this.inArray) {
      this.problem(
        this.line,
        undefined,
        `invalid JSON: the array opened on line ${this.arrayLine} is not closed`,
      );
    }
  }

  // -- output -----------------------------------------------------------------------------------

  private emit(value: unknown, line: number, column: number | undefined, text: string): void {
    if (isObject(value)) this.out.push(this.sourceEvent(value, line, text, this.skippedBefore()));
    else this.problem(line, column, `expected a JSON object, got ${describe(value)}`);
  }

  /** An event as the reader hands it on: with its text when asked for, and what the filter skipped before it. */
  private sourceEvent(
    value: Record<string, unknown>,
    line: number,
    text: string,
    skippedBefore: number | undefined,
  ): SourceEvent {
    const event: SourceEvent = this.keepText
      ? { event: value, source: this.source, line, text }
      : { event: value, source: this.source, line };
    if (skippedBefore !== undefined) event.skippedBefore = skippedBefore;
    return event;
  }

  private problem(line: number, column: number | undefined, reason: string): void {
    this.out.push(
      column === undefined
        ? { source: this.source, line, reason }
        : { source: this.source, line, column, reason },
    );
  }
}

// -- small pure helpers ---------------------------------------------------------------------------

function jsonProblem(
  source: string,
  text: string,
  error: unknown,
  line: number,
  column: number,
): DecodeProblem {
  const { offset, reason } = explainJsonError(text, error);
  if (offset === undefined) return { source, line, reason };
  const at = lineColumnAt(text, offset);
  return {
    source,
    line: line + at.lines,
    column: at.lines === 0 ? column + at.column - 1 : at.column,
    reason,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "string" ? "a string" : typeof value === "number" ? "a number" : "a boolean";
}

/** The last byte of a line that is not JSON whitespace, or -1. */
function lastByte(buf: Buffer, start: number, end: number): number {
  let i = end - 1;
  while (i >= start && (buf[i] === SPACE || buf[i] === TAB || buf[i] === CR)) i--;
  return i >= start ? buf[i] : -1;
}

function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const b = buf[i];
    if (b !== SPACE && b !== TAB && b !== CR) return false;
  }
  return true;
}

/** After a scalar's first byte, whether `b` can no longer belong to it. */
function endsScalar(b: number): boolean {
  return (
    b <= SPACE ||
    b === COMMA ||
    b === RBRACE ||
    b === RBRACKET ||
    b === LBRACE ||
    b === LBRACKET ||
    b === QUOTE
  );
}

/**
 * Whether a line that failed to parse stops inside an open object or array, outside any string,
 * as the first line of a pretty-printed object does. A complete value followed by junk, or a line
 * cut inside a string (the usual truncated NDJSON line), does not.
 */
function opensValue(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === LBRACE || c === LBRACKET) depth++;
    else if (c === RBRACE || c === RBRACKET) {
      if (--depth <= 0) return false;
    }
  }
  return depth > 0 && !inString;
}

function hasBom(buf: Buffer): boolean {
  return buf.length >= 3 && buf[0] === BOM[0] && buf[1] === BOM[1] && buf[2] === BOM[2];
}

/** The problem of a line over the limit, as every reader reports it. */
export const lineTooLong = (limit: number): string => tooLarge("line", limit);

function tooLarge(what: string, limit: number): string {
  const size = limit % MiB === 0 ? `${limit / MiB} MiB` : `${limit} bytes`;
  return `${what} longer than ${size}; skipped`;
}
