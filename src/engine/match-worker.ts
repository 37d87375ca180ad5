/**
 * A match worker: decodes blocks of NDJSON lines and sends back only the lines some rule
 * can use — those the prefilter lets through, that parse, and that the rule index selects
 * (index patterns, categories, keyed terms, a matching term) — each with the rules selected
 * and, for the sequence rules among them, the event's hit (see SequenceHit). Correlation
 * stays on the main thread, in order; it parses a line again only if some rule needs the
 * event whole (see DetectionEngine.pushSelected).
 */
import { parentPort, workerData } from "node:worker_threads";
import { type PreparedQuery, prepareQuery } from "../eql/compile-query.ts";
import {
  type SequenceHit,
  type SequenceHitReader,
  sequenceHitReader,
} from "../eql/correlate/sequence-hit.ts";
import { compileFieldGetter, type Event, someValue } from "../eql/field-access.ts";
import {
  type DecodeProblem,
  decodeNdjsonBlock,
  isDecodeProblem,
  type SourceEvent,
} from "../io/event-source.ts";
import { indexRules } from "../rules/rule-set.ts";
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
}

export interface MatchWorkerData {
  rules: WorkerRule[];
  prefilter: boolean;
  maxLineBytes?: number;
}

export interface BlockRequest {
  id: number;
  source: string;
  bytes: Uint8Array;
}

/**
 * A line some rule can use: where it lies in the block (`[start, end)`), or its text when it
 * is not in the block's bytes as they are (a last line without its `\n`).
 */
export type Candidate = ({ start: number; end: number } | { text: string }) & {
  line: number;
  /** positions, in the rules the workers were given, of those the event may match */
  rules: number[];
  /**
   * per rule: its sequence hit, or undefined for other rules and hits that could not be read
   * (the main thread then evaluates the event, and reports the failure)
   */
  hits: Array<SequenceHit | null | undefined>;
};

/** Lines are numbered from 1 within the block; the main thread adds the block's place. */
export interface BlockResult {
  id: number;
  lines: number;
  events: number;
  skipped: number;
  candidates: Candidate[];
  problems: DecodeProblem[];
}

function start(data: MatchWorkerData): void {
  const rules = data.rules.map((r, position) => {
    let execution: PreparedQuery | undefined;
    let readHit: SequenceHitReader | null | undefined;
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
      query: { eventCategoryField: r.eventCategoryField, categories: r.categories, execution: prepared },
      /** the rule's sequence hit of the event; undefined for other rules and when it cannot be read */
      hitOf(event: Event): SequenceHit | null | undefined {
        if (readHit === undefined) {
          const { statement, compiler } = prepared();
          readHit =
            statement.query.kind === "SequenceQuery"
              ? sequenceHitReader(compiler(), statement.query, r)
              : null;
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
  const lineFilter = data.prefilter ? lineFilterOf(index.filterRules) : undefined;
  const eventCategory = compileFieldGetter("event.category");

  const categories: string[] = [];
  const addCategory = (v: string | number | boolean) => {
    if (typeof v === "string") categories.push(v);
    return false;
  };

  parentPort!.on("message", (request: BlockRequest) => {
    const buf = Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength);
    const result: BlockResult = {
      id: request.id,
      lines: 0,
      events: 0,
      skipped: 0,
      candidates: [],
      problems: [],
    };
    const visit = (item: SourceEvent | DecodeProblem, start: number, end: number) => {
      if (isDecodeProblem(item)) {
        result.problems.push(item);
        return;
      }
      result.events++;
      categories.length = 0;
      someValue(eventCategory(item.event), addCategory);
      const selected = index.select(item.event, categories, eventIndex(item.event));
      if (selected.length === 0) return;
      const positions = new Array<number>(selected.length);
      const hits = new Array<SequenceHit | null | undefined>(selected.length);
      for (let i = 0; i < selected.length; i++) {
        positions[i] = selected[i].position;
        hits[i] = selected[i].hitOf(item.event);
      }
      // the main thread has the block's bytes: a line in them goes back as where it lies
      const place = start < 0 ? { text: item.text! } : { start, end };
      result.candidates.push({ line: item.line, ...place, rules: positions, hits });
    };
    const decoded = decodeNdjsonBlock(
      buf,
      request.source,
      1,
      { lineFilter, maxLineBytes: data.maxLineBytes },
      visit,
    );
    result.lines = decoded.lines;
    result.skipped = decoded.skipped;
    parentPort!.postMessage(result);
  });
}

if (parentPort) start(workerData as MatchWorkerData);
