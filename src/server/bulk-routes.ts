import type { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type BulkItem, parseBulkYielding, parseDocument } from "./bulk-request.ts";
import { generateId } from "./bulk-response.ts";
import { bulkResponseText } from "./bulk-response-text.ts";
import { HttpError } from "./es-error.ts";
import { stampIngested } from "./event-arrival.ts";
import type { IngestItem } from "./ingest-batch.ts";
import { count, type IngestContext } from "./ingest-context.ts";
import { refuseOtherMethods } from "./method-not-allowed.ts";
import { readBody } from "./request-body.ts";
import { listParam, waitsForRules } from "./request-query.ts";
import { UNHANDLED } from "./unhandled-requests.ts";

/**
 * `POST|PUT /_bulk` and `/{index}/_bulk`, the way every shipper sends events, plus the
 * single-document `/{index}/_doc` and `/{index}/_create/{id}`. A request is parsed
 * whole, its documents get `event.ingested` and their index, the good ones are
 * accepted together (or the request is refused whole with a 429), and the answer
 * lists one item per action. `?refresh=wait_for` answers once the rules have seen them.
 */
export async function bulkRoutes(app: FastifyInstance, ctx: IngestContext): Promise<void> {
  const bulk = (request: FastifyRequest, reply: FastifyReply) =>
    handleBulk(ctx, request, reply, (request.params as { index?: string }).index);
  app.route({ method: ["POST", "PUT"], url: "/_bulk", handler: bulk });
  app.route({ method: ["POST", "PUT"], url: "/:index/_bulk", handler: bulk });

  const doc = (request: FastifyRequest, reply: FastifyReply) => handleDocument(ctx, request, reply);
  app.post("/:index/_doc", doc);
  app.route({ method: ["POST", "PUT"], url: "/:index/_doc/:id", handler: doc });
  app.route({ method: ["POST", "PUT"], url: "/:index/_create/:id", handler: doc });
  // eqlite keeps no copy of what it is sent: Elasticsearch's answer for an id it does not have
  app.get("/:index/_doc/:id", { config: UNHANDLED }, async (request, reply) => {
    const { index, id } = request.params as { index: string; id: string };
    reply.code(404);
    return { _index: index, _id: id, found: false };
  });
  for (const url of ["/_bulk", "/:index/_bulk", "/:index/_create/:id"])
    refuseOtherMethods(app, url, ["POST", "PUT"]);
  refuseOtherMethods(app, "/:index/_doc/:id", ["GET", "POST", "PUT"]);
  refuseOtherMethods(app, "/:index/_doc", ["POST"]);
}

async function handleBulk(
  ctx: IngestContext,
  request: FastifyRequest,
  reply: FastifyReply,
  urlIndex: string | undefined,
): Promise<void> {
  const started = ctx.clock();
  const wait = waitsForRules(request.query);
  const filter = listParam(request.query, "filter_path");
  ctx.intake.checkRoom();
  const body = await readBody(request.body as Readable | undefined, request.headers, ctx.maxBodyBytes);
  const items = await parseBulkYielding(body, {
    urlIndex,
    defaultIndex: ctx.defaultIndex,
    maxDocumentBytes: ctx.maxEventBytes?.(),
  });
  if (items.length === 0)
    throw new HttpError(
      400,
      "action_request_validation_exception",
      "Validation Failed: 1: no requests added;",
    );
  const source = `_bulk ${request.id}`;
  const accepted = arrive(ctx, items, source, started);
  const batch = await submit(ctx, accepted, "bulk", started);
  if (wait) await batch.processed;
  const firstSeqNo = ctx.nextSeqNo;
  // taken before the answer is built: other requests are answered between its slices
  ctx.nextSeqNo += items.length;
  // compact JSON, keys in order: shippers grep the bytes (`"errors":true`, `"errors":false,"items":[`)
  const text = await bulkResponseText(items, ctx.clock() - started, firstSeqNo, filter);
  reply.type("application/json; charset=UTF-8").send(text);
}

async function handleDocument(ctx: IngestContext, request: FastifyRequest, reply: FastifyReply) {
  const started = ctx.clock();
  const params = request.params as { index: string; id?: string };
  const wait = waitsForRules(request.query);
  ctx.intake.checkRoom();
  const body = await readBody(request.body as Readable | undefined, request.headers, ctx.maxBodyBytes);
  // a byte order mark (Windows tools write one) is not part of the document, as in _bulk and /ingest
  const parsed = parseDocument(body.toString("utf8").replace(/^\uFEFF/, ""));
  if ("error" in parsed) {
    count(ctx.counters.bad, "doc");
    throw new HttpError(parsed.error.status, parsed.error.type, parsed.error.reason);
  }
  const item: BulkItem = {
    action: "index",
    line: 1,
    index: params.index,
    id: params.id,
    event: parsed.event,
  };
  const batch = await submit(ctx, arrive(ctx, [item], `_doc ${request.id}`, started), "doc", started);
  if (wait) await batch.processed;
  reply.code(201).type("application/json; charset=UTF-8");
  return {
    _index: params.index,
    _id: params.id ?? generateId(),
    _version: 1,
    result: "created",
    _shards: { total: 1, successful: 1, failed: 0 },
    _seq_no: ctx.nextSeqNo++,
    _primary_term: 1,
  };
}

/** Good documents become events with their origin; re-sent `_id`s are answered but not run again. */
function arrive(ctx: IngestContext, items: BulkItem[], source: string, receivedAt: number): Accepted {
  const iso = new Date(receivedAt).toISOString();
  const accepted: Accepted = { items: [], remembered: [] };
  for (const item of items) {
    if (item.error || !item.event) {
      count(ctx.counters.bad, source.startsWith("_doc") ? "doc" : "bulk");
      continue;
    }
    if (item.id !== undefined) {
      if (!ctx.recentIds.add(item.index!, item.id)) {
        ctx.counters.duplicates++;
        continue;
      }
      accepted.remembered.push(item);
    }
    if (ctx.setIngested) stampIngested(item.event, iso);
    accepted.items.push({
      event: item.event,
      origin: { source, line: item.line, index: item.index, id: item.id, receivedAt },
    });
  }
  return accepted;
}

interface Accepted {
  items: IngestItem[];
  /** ids remembered for de-duplication, forgotten again if the request is refused */
  remembered: BulkItem[];
}

async function submit(ctx: IngestContext, accepted: Accepted, endpoint: string, receivedAt: number) {
  try {
    const batch = await ctx.intake.submit(accepted.items, endpoint, receivedAt);
    count(ctx.counters.received, endpoint, accepted.items.length);
    return batch;
  } catch (error) {
    for (const item of accepted.remembered) ctx.recentIds.delete(item.index!, item.id!);
    throw error;
  }
}
