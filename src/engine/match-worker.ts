/**
 * A match worker: decodes blocks of NDJSON lines and sends back only the lines some rule
 * can use — those the prefilter lets through, that parse, and that the rule index selects
 * (index patterns, categories, keyed terms, a matching term). Correlation stays on the main
 * thread, which parses just these lines again, in order.
 */
import { parentPort, workerData } from "node:worker_threads";
import { type PreparedQuery, prepareQuery } from "../eql/compile-query.ts";
import { compileFieldGetter, someValue } from "../eql/field-access.ts";
import { type DecodeProblem, decodeNdjsonBlock, isDecodeProblem } from "../io/event-source.ts";
import { indexRules } from "../rules/rule-set.ts";
import { eventIndex } from "./index-pattern.ts";
import { lineFilterOf } from "./line-prefilter.ts";

/** A rule as the worker needs it: its query and what selects events for it. */
export interface WorkerRule {
  query: string;
  eventCategoryField: string;
  timestampField: string;
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

/** Lines are numbered from 1 within the block; the main thread adds the block's place. */
export interface BlockResult {
  id: number;
  lines: number;
  events: number;
  skipped: number;
  candidates: Array<{ line: number; text: string }>;
  problems: DecodeProblem[];
}

function start(data: MatchWorkerData): void {
  const rules = data.rules.map((r) => {
    let execution: PreparedQuery | undefined;
    return {
      rule: { index: r.index },
      query: {
        eventCategoryField: r.eventCategoryField,
        categories: r.categories,
        execution: () => {
          execution ??= prepareQuery(r.query, {
            eventCategoryField: r.eventCategoryField,
            timestampField: r.timestampField,
          });
          return execution;
        },
      },
    };
  });
  const index = indexRules(rules);
  const lineFilter = data.prefilter ? lineFilterOf(index.filterRules) : undefined;
  const eventCategory = compileFieldGetter("event.category");

  parentPort!.on("message", (request: BlockRequest) => {
    const buf = Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength);
    const decoded = decodeNdjsonBlock(buf, request.source, 1, {
      lineFilter,
      maxLineBytes: data.maxLineBytes,
    });
    const result: BlockResult = {
      id: request.id,
      lines: decoded.lines,
      events: 0,
      skipped: decoded.skipped,
      candidates: [],
      problems: [],
    };
    for (const item of decoded.items) {
      if (isDecodeProblem(item)) {
        result.problems.push(item);
        continue;
      }
      result.events++;
      const categories: string[] = [];
      someValue(eventCategory(item.event), (v) => {
        if (typeof v === "string") categories.push(v);
        return false;
      });
      if (index.select(item.event, categories, eventIndex(item.event)).length > 0)
        result.candidates.push({ line: item.line, text: item.text! });
    }
    parentPort!.postMessage(result);
  });
}

if (parentPort) start(workerData as MatchWorkerData);
