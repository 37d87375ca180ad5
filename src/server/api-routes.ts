import type { FastifyInstance, FastifyReply } from "fastify";
import { encodeCursor, parseAlertQuery, QueryParamError } from "./alert-query-params.ts";
import { refuseOtherMethods } from "./method-not-allowed.ts";
import { type AlertStore, WORKFLOW_STATUSES, type WorkflowStatus } from "./store.ts";

/**
 * The alerts API of `eqlite serve`, as a fastify plugin over the store:
 *
 *   GET   /api/alerts          filters and pages (alert-query-params.ts) →
 *                              { total, alerts, next_search_after }
 *   GET   /api/alerts/:id      one alert, 404 when unknown
 *   PATCH /api/alerts/:id      { "status": "open" | "acknowledged" | "closed" } → the alert as it now reads
 *   GET   /api/rules           { rules: per-rule counters and stored alerts by status }
 *
 * Errors answer in fastify's shape, `{ statusCode, error, message }`, with a
 * message that names the parameter and what it accepts; another method is a 405. Authentication and
 * request limits belong to the app that registers this plugin.
 *
 *   app.register(alertsApi, { store });
 */

export interface AlertsApiOptions {
  store: AlertStore;
}

/** Alert ids are SHA-256 hex; anything this long is not one, whatever it is. */
const MAX_ID_LENGTH = 256;

export async function alertsApi(app: FastifyInstance, options: AlertsApiOptions): Promise<void> {
  const { store } = options;

  app.get("/api/alerts", async (request, reply) => {
    let query: ReturnType<typeof parseAlertQuery>;
    try {
      query = parseAlertQuery((request.query ?? {}) as Record<string, unknown>);
    } catch (error) {
      if (error instanceof QueryParamError) return badRequest(reply, error.message);
      throw error;
    }
    const page = store.searchAlerts(query);
    return {
      total: page.total,
      alerts: page.alerts,
      next_search_after: page.next && encodeCursor(page.next),
    };
  });

  app.get<{ Params: { id: string } }>("/api/alerts/:id", async (request, reply) => {
    const alert = validId(request.params.id) ? store.getAlert(request.params.id) : undefined;
    return alert ?? notFound(reply, request.params.id);
  });

  app.patch<{ Params: { id: string }; Body: unknown }>("/api/alerts/:id", async (request, reply) => {
    const status = workflowStatusOf(request.body);
    if (typeof status !== "string") return badRequest(reply, status.problem);
    const alert = validId(request.params.id) ? store.setWorkflowStatus(request.params.id, status) : undefined;
    return alert ?? notFound(reply, request.params.id);
  });

  app.get("/api/rules", async () => ({ rules: store.ruleSummaries() }));
  const methodNotAllowed = (message: string) => ({ statusCode: 405, error: "Method Not Allowed", message });
  refuseOtherMethods(app, "/api/alerts", ["GET"], methodNotAllowed);
  refuseOtherMethods(app, "/api/alerts/:id", ["GET", "PATCH"], methodNotAllowed);
  refuseOtherMethods(app, "/api/rules", ["GET"], methodNotAllowed);
}

const validId = (id: string) => id.length > 0 && id.length <= MAX_ID_LENGTH;

/** The status a PATCH body asks for, or what is wrong with the body. */
function workflowStatusOf(body: unknown): WorkflowStatus | { problem: string } {
  const expected = `expected {"status": "${WORKFLOW_STATUSES.join('" | "')}"}`;
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return { problem: `the body must be a JSON object; ${expected}` };
  const keys = Object.keys(body);
  const extra = keys.filter((k) => k !== "status");
  if (extra.length > 0)
    return { problem: `unknown field(s) ${extra.map((k) => `[${k}]`).join(", ")}; ${expected}` };
  const status = (body as { status?: unknown }).status;
  if (status === undefined) return { problem: `the body has no status; ${expected}` };
  if (typeof status !== "string" || !WORKFLOW_STATUSES.includes(status as WorkflowStatus))
    return { problem: `status ${JSON.stringify(status)} is not one of ${WORKFLOW_STATUSES.join(", ")}` };
  return status as WorkflowStatus;
}

function badRequest(reply: FastifyReply, message: string) {
  return reply.code(400).send({ statusCode: 400, error: "Bad Request", message });
}

function notFound(reply: FastifyReply, id: string) {
  return reply.code(404).send({
    statusCode: 404,
    error: "Not Found",
    message: `no alert with id [${id.slice(0, MAX_ID_LENGTH)}]`,
  });
}
