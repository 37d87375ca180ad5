import type { Readable } from "node:stream";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { eventIndex } from "../engine/index-pattern.ts";
import { parsedNestsTooDeep, tooDeepReason } from "../engine/json-tree.ts";
import { type DecodeProblem, readEventsFromStream } from "../io/event-source.ts";
import { tooLargeEvent } from "./bulk-request.ts";
import { HttpError } from "./es-error.ts";
import { stampIngested } from "./event-arrival.ts";
import type { IngestItem } from "./ingest-batch.ts";
import { count, type IngestContext } from "./ingest-context.ts";
import { refuseOtherMethods } from "./method-not-allowed.ts";
import { readBody } from "./request-body.ts";
import { singleParam, waitsForRules } from "./request-query.ts";

/** Problems listed in an /ingest answer at most; the rest are counted. */
const MAX_LISTED_PROBLEMS = 100;

/**
 * `POST /ingest`: events as NDJSON, a JSON array, or JSON objects one after another —
 * the same reader as `scan`, so a malformed line is reported with its line and column
 * and the others go on. The index of each event, which decides the rules that see it,
 * is `?index=`, else the event's data stream (`data_stream.*`), else the default index.
 *
 * Answer: `{"accepted": n, "errors": [{"line", "column"?, "reason"}], "errors_total": n}`.
 */
export async function ingestRoutes(app: FastifyInstance, ctx: IngestContext): Promise<void> {
  app.post("/ingest", async (request: FastifyRequest) => {
    const started = ctx.clock();
    const urlIndex = singleParam(request.query, "index");
    if (urlIndex !== undefined && urlIndex.trim() === "")
      throw new HttpError(400, "illegal_argument_exception", "?index= names no index");
    const wait = waitsForRules(request.query);
    ctx.intake.checkRoom();
    const body = await readBody(request.body as Readable | undefined, request.headers, ctx.maxBodyBytes);
    const source = `ingest ${request.id}`;
    const problems: DecodeProblem[] = [];
    let problemCount = 0;
    const report = (p: DecodeProblem) => {
      problemCount++;
      if (problems.length < MAX_LISTED_PROBLEMS) problems.push(p);
    };
    const iso = new Date(started).toISOString();
    const items: IngestItem[] = [];
    // an event larger than the handoff takes (a NATS message) fails alone, like a bad line
    const maxEventBytes = ctx.maxEventBytes?.();
    const events = readEventsFromStream(
      (async function* () {
        yield body;
      })(),
      source,
      // each line's text comes with its event: its length bounds the nesting and the handoff's size
      { onProblem: report, keepText: true },
    );
    for await (const { event, line, text } of events) {
      if (maxEventBytes !== undefined && text !== undefined) {
        const bytes = Buffer.byteLength(text);
        if (bytes > maxEventBytes) {
          report({ source, line, reason: tooLargeEvent("event", bytes, maxEventBytes) });
          continue;
        }
      }
      if (parsedNestsTooDeep(text, event)) {
        report({ source, line, reason: tooDeepReason("event") });
        continue;
      }
      const index = urlIndex ?? eventIndex(event) ?? (ctx.defaultIndex || undefined);
      if (ctx.setIngested) stampIngested(event, iso);
      items.push({ event, origin: { source, line, index, receivedAt: started } });
    }
    count(ctx.counters.bad, "ingest", problemCount);
    const batch = await ctx.intake.submit(items, "ingest", started);
    count(ctx.counters.received, "ingest", items.length);
    if (wait) await batch.processed;
    return {
      accepted: items.length,
      errors: problems.map((p) => ({
        line: p.line,
        ...(p.column ? { column: p.column } : {}),
        reason: p.reason,
      })),
      errors_total: problemCount,
    };
  });
  refuseOtherMethods(app, "/ingest", ["POST"]);
}
