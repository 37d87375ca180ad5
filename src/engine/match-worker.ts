/**
 * A match worker: decodes blocks of NDJSON lines and sends back only the lines some rule
 * can use — those the prefilter lets through, that parse, and that the rule index selects
 * (index patterns, categories, keyed terms, a matching term) — each with the rules selected
 * and, for the sequence and single-event rules among them, the event's hit (see SequenceHit
 * and EventHit). Correlation stays on the main thread, in order; it parses a line again
 * only if some rule needs the event whole (see DetectionEngine.pushSelected).
 */
import { closeSync, openSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { type PreparedQuery, prepareQuery } from "../eql/compile-query.ts";
import {
  type PackedSequenceHit,
  packSequenceHit,
  type SequenceHitReader,
  sequenceHitReader,
} from "../eql/correlate/sequence-hit.ts";
import { compileFieldGetter, type Event, someValue } from "../eql/field-access.ts";
import {
  DEFAULT_MAX_LINE,
  type DecodeProblem,
  decodeNdjsonBlock,
  isDecodeProblem,
  lineTooLong,
  type SourceEvent,
} from "../io/event-source.ts";
import { rangeScratch, readLineRange } from "../io/line-range.ts";
import { indexRules } from "../rules/rule-set.ts";
import { type EventHit, eventHitReader } from "./event-hit.ts";
import { eventIndex } from "./index-pattern.ts";
import { lineFilterOf } from "./line-prefilter.ts";

/** A rule as the worker needs it: its query and what selects events for it. */
export interface WorkerRule {
  query: string;
  eventCategoryField: string;
  timestampField: string;
  tiebreakerField?: string;
  index?: readonly string[];
  /** the category of each term: the rule is prepared only when a line may need it */
  categories: ReadonlyArray<string | null>;
  shape: "event" | "sequence" | "sample";
}

/** What a worker reads of an event for a rule, so that the main thread need not parse it. */
export type RuleHit = PackedSequenceHit | EventHit;

export interface MatchWorkerData {
  rules: WorkerRule[];
  prefilter: boolean;
  maxLineBytes?: number;
}

/**
 * A block of lines: bytes cut by the main thread (decompressed input), or a byte range of a
 * file, whose lines the worker reads itself (see readLineRange).
 */
export type BlockRequest = { id: number; source: string } & (
  | { bytes: Uint8Array }
  | { path: string; start: number; end: number }
);

/**
 * A line some rule can use: its bytes are `held[start, end)` of its block's result, or, with
 * `inFile`, bytes `[start, end)` of the file the block was read from.
 */
export interface Candidate {
  line: number;
  start: number;
  end: number;
  inFile?: true;
  /** positions, in the rules the workers were given, of those the event may match */
  rules: number[];
  /**
   * per rule: its sequence or event hit, or undefined for sample rules and hits that could
   * not be read (the main thread then evaluates the event, and reports the failure); a rule
   * the event does not match is not among the rules
   */
  hits: Array<RuleHit | undefined>;
}

/** Lines are numbered from 1 within the block; the main thread adds the block's place. */
export interface BlockResult {
  id: number;
  lines: number;
  events: number;
  skipped: number;
  candidates: Candidate[];
  /** the candidates' lines, one after the other: the main thread holds them as they are */
  held: Uint8Array;
  problems: DecodeProblem[];
}

function start(data: MatchWorkerData): void {
  const rules = data.rules.map((r, position) => {
    let execution: PreparedQuery | undefined;
    let readHit: ((event: Event) => RuleHit | null) | null | undefined;
    const prepared = () => {
      execution ??= prepareQuery(r.query, {
        eventCategoryField: r.eventCategoryField,
        timestampField: r.timestampField,
      });
      return execution;
    };
    return {
      position,
      rule: { index: r.index },
      // reading a rule's hit tests its terms: the index need not test them first
      callerTestsTerms: r.shape !== "sample",
      query: { eventCategoryField: r.eventCategoryField, categories: r.categories, execution: prepared },
      /**
       * the rule's hit of the event, null when it matches no term; undefined for sample
       * rules and when it cannot be read
       */
      hitOf(event: Event): RuleHit | null | undefined {
        if (readHit === undefined) {
          try {
            const { statement, compiler } = prepared();
            const { query } = statement;
            readHit =
              query.kind === "SequenceQuery"
                ? packedHitReader(sequenceHitReader(compiler(), query, r))
                : query.kind === "EventQuery"
                  ? eventHitReader(compiler(), query, r.timestampField)
                  : null;
          } catch {
            // the main thread prepares the query too, and reports what is wrong with it
            readHit = null;
          }
        }
        if (readHit === null) return undefined;
        try {
          return readHit(event);
        } catch {
          return undefined;
        }
      },
    };
  });
  const index = indexRules(rules);
  // Which blocks a worker gets depends on timing, so a prefilter that judges its first lines
  // (see indexed-filter.ts) may choose differently from one run to the next: that changes how
  // fast a scan is, never what it finds, as the prefilter is sound.
  const lineFilter = data.prefilter ? lineFilterOf(index.filterRules) : undefined;
  const eventCategory = compileFieldGetter("event.category");

  const categories: string[] = [];
  const addCategory = (v: string | number | boolean) => {
    if (typeof v === "string") categories.push(v);
    return false;
  };

  const maxLineBytes = data.maxLineBytes ?? DEFAULT_MAX_LINE;
  // every range is read into the same memory: a block is done with before the next is read,
  // and what leaves the worker (the candidates' places, or their lines in `held`) is copied out
  const scratch = rangeScratch();

  parentPort!.on("message", (request: BlockRequest) => {
    let buf: Buffer;
    let lastTooLong = false;
    // where the block is in its file: its lines are passed on as their places there, not copied
    let fileOffset: number | undefined;
    if ("bytes" in request) {
      buf = Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength);
    } else {
      // opened for each block: a worker holds no file open between blocks
      const fd = openSync(request.path, "r");
      try {
        ({
          bytes: buf,
          lastTooLong,
          offset: fileOffset,
        } = readLineRange(fd, request.start, request.end, maxLineBytes, { scratch }));
      } finally {
        closeSync(fd);
      }
    }
    const candidates: Candidate[] = [];
    // the candidates' lines, to be copied one after the other into the buffer that moves to
    // the main thread: what it holds is these lines, not the blocks they came in
    const lineBytes: Uint8Array[] = [];
    let heldBytes = 0;
    const problems: DecodeProblem[] = [];
    let events = 0;
    const visit = (item: SourceEvent | DecodeProblem, start: number, end: number) => {
      if (isDecodeProblem(item)) {
        problems.push(item);
        return;
      }
      events++;
      categories.length = 0;
      someValue(eventCategory(item.event), addCategory);
      const selected = index.select(item.event, categories, eventIndex(item.event));
      if (selected.length === 0) return;
      const positions: number[] = [];
      const hits: Array<RuleHit | undefined> = [];
      for (const rule of selected) {
        const hit = rule.hitOf(item.event);
        if (hit === null) continue;
        positions.push(rule.position);
        hits.push(hit);
      }
      if (positions.length === 0) return;
      if (fileOffset !== undefined && start >= 0) {
        candidates.push({
          line: item.line,
          start: fileOffset + start,
          end: fileOffset + end,
          inFile: true,
          rules: positions,
          hits,
        });
        return;
      }
      const bytes = start < 0 ? Buffer.from(item.text!, "utf8") : buf.subarray(start, end);
      candidates.push({
        line: item.line,
        start: heldBytes,
        end: heldBytes + bytes.length,
        rules: positions,
        hits,
      });
      lineBytes.push(bytes);
      heldBytes += bytes.length;
    };
    const decoded = decodeNdjsonBlock(buf, request.source, 1, { lineFilter, maxLineBytes }, visit);
    let lines = decoded.lines;
    if (lastTooLong) {
      lines++;
      problems.push({ source: request.source, line: lines, reason: lineTooLong(maxLineBytes) });
    }
    const held = new Uint8Array(heldBytes);
    let at = 0;
    for (const bytes of lineBytes) {
      held.set(bytes, at);
      at += bytes.length;
    }
    const result: BlockResult = {
      id: request.id,
      lines,
      events,
      skipped: decoded.skipped,
      candidates,
      held,
      problems,
    };
    parentPort!.postMessage(result, [held.buffer as ArrayBuffer]);
  });
}

/** Sequence hits as they are sent: their keys as text (see PackedSequenceHit). */
function packedHitReader(read: SequenceHitReader): (event: Event) => PackedSequenceHit | null {
  return (event) => {
    const hit = read(event);
    return hit && packSequenceHit(hit);
  };
}

if (parentPort) start(workerData as MatchWorkerData);
