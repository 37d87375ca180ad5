import type { FastifyInstance } from "fastify";
import { refuseOtherMethods } from "./method-not-allowed.ts";
import { PROMETHEUS_CONTENT_TYPE } from "./prometheus.ts";

export interface Readiness {
  ready: boolean;
  /** why not, for the 503 body */
  reason?: string;
  /** more for the body: where events go (`evaluation`), the state of a connection */
  detail?: Record<string, unknown>;
}

export interface OpsOptions {
  /** the Prometheus text of the whole service */
  metrics: () => string;
  readiness: () => Readiness;
}

/**
 * Operations endpoints: `/healthz` (the process answers: liveness), `/readyz` (rules
 * loaded, the queue has room, not shutting down: send traffic here), `/metrics`
 * (Prometheus text). The two probes need no credentials, so orchestrators can call
 * them; `/metrics` names rules and is authenticated like everything else.
 */
export const PROBE_PATHS: ReadonlySet<string> = new Set(["/healthz", "/readyz"]);

export async function opsRoutes(app: FastifyInstance, options: OpsOptions): Promise<void> {
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    const r = options.readiness();
    if (!r.ready) reply.code(503);
    return r.ready
      ? { status: "ready", ...r.detail }
      : { status: "not ready", reason: r.reason, ...r.detail };
  });
  app.get("/metrics", async (_request, reply) => {
    reply.type(PROMETHEUS_CONTENT_TYPE);
    return options.metrics();
  });
  for (const url of ["/healthz", "/readyz", "/metrics"]) refuseOtherMethods(app, url, ["GET"]);
}
