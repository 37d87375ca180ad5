import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyPluginAsync,
  LogController,
} from "fastify";
import type { Logger } from "pino";
import { terminalSafeJson } from "../eql/terminal-text.ts";
import { type AuthConfig, compileAuth } from "./auth.ts";
import { bulkRoutes } from "./bulk-routes.ts";
import { answerClientError } from "./client-error.ts";
import { esError, HttpError } from "./es-error.ts";
import { type EsSurfaceOptions, esSurface } from "./es-routes.ts";
import type { IngestContext } from "./ingest-context.ts";
import { ingestRoutes } from "./ingest-routes.ts";
import { type OpsOptions, opsRoutes, PROBE_PATHS } from "./ops-routes.ts";
import { UnhandledRequestLog } from "./unhandled-requests.ts";

/** A plugin added to the app: the alerts API, a web UI. It sees authentication and the product header. */
// biome-ignore lint/suspicious/noExplicitAny: plugins declare their own option types
export type AppPlugin = FastifyPluginAsync<any> | { plugin: FastifyPluginAsync<any>; options?: unknown };

export interface AppOptions {
  logger: Logger;
  auth: AuthConfig;
  ingest: IngestContext;
  es: Omit<EsSurfaceOptions, "maxBodyBytes">;
  ops: OpsOptions;
  /** the Elasticsearch API and /ingest also answer under this path (`/es`) */
  pathPrefix?: string;
  /** every request logged at info (method, path, status, time, user agent — never credentials) */
  logRequests?: boolean;
  /** a request not received whole within this is answered 408 and its connection closed */
  requestTimeoutMs?: number;
  https?: { cert: Buffer | string; key: Buffer | string };
  plugins?: readonly AppPlugin[];
}

const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;

/**
 * The HTTP side of `eqlite serve`: the Elasticsearch surface shippers talk to, `/ingest`,
 * the operations endpoints and whatever plugins are added. Every answer carries
 * `X-Elastic-Product: Elasticsearch` (the JS and Ruby clients and Logstash refuse a
 * server without it) and every error is Elasticsearch-shaped.
 *
 * The ingest routes live in their own plugin context, which reads bodies as raw
 * streams whatever their content type (the size limit and decompression are applied
 * while reading); added plugins keep fastify's JSON body parser.
 */
export function buildApp(options: AppOptions): FastifyInstance {
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const deadlineChecks = {
    // Node looks for requests past their deadline every 30 s by default: a short deadline would be kept late
    connectionsCheckingInterval: Math.max(10, Math.min(30_000, Math.floor(requestTimeoutMs / 10))),
    // a headers deadline longer than the request's makes Node swap the two: the body would get 60 s
    headersTimeout: Math.min(60_000, requestTimeoutMs),
  };
  const responses = options.ingest.counters.responses;
  const answered = (status: number) => responses.set(status, (responses.get(status) ?? 0) + 1);
  const app = Fastify({
    loggerInstance: options.logger,
    // requests are logged by the onResponse hook below, at debug unless logRequests
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    // shippers pool connections: outlive their idle timeouts to avoid reset races
    keepAliveTimeout: 75_000,
    bodyLimit: Math.min(options.ingest.maxBodyBytes, 16 * 1024 * 1024),
    requestTimeout: requestTimeoutMs,
    // the 408 of a stalled upload, and Node's other refusals, carry the product header too
    clientErrorHandler: answerClientError(answered),
    ...(options.https ? { https: { ...options.https, ...deadlineChecks } } : { http: deadlineChecks }),
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;

  const authenticate = compileAuth(options.auth);
  app.addHook("onRequest", async (request) => {
    if (PROBE_PATHS.has(request.url.split("?")[0])) return;
    authenticate(request.headers.authorization);
  });
  // alerts and rule texts are read with curl on a terminal as often as by programs
  app.setReplySerializer((payload) => terminalSafeJson(JSON.stringify(payload)));
  app.addHook("onSend", async (_request, reply, payload) => {
    reply.header("x-elastic-product", "Elasticsearch");
    return payload;
  });
  const unhandled = new UnhandledRequestLog(options.logger);
  app.addHook("onResponse", async (request, reply) => {
    answered(reply.statusCode);
    unhandled.onResponse(request, reply);
    const entry = {
      method: request.method,
      path: request.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
      userAgent: request.headers["user-agent"],
    };
    if (options.logRequests) request.log.info(entry, "request");
    else request.log.debug(entry, "request");
  });

  app.setErrorHandler(async (error: FastifyError | HttpError, request, reply) => {
    if (error instanceof HttpError) {
      reply.code(error.statusCode).headers(error.headers);
      return error.body;
    }
    if (request.raw.destroyed && !request.raw.complete) {
      // the client's doing (it went away, or stalled past request_timeout_ms), not a fault of eqlite's
      request.log.warn(
        { path: request.url, reason: error.message, userAgent: request.headers["user-agent"] },
        "the request was not received whole (the client went away, or sent nothing more within request_timeout_ms); nothing of it was accepted",
      );
      reply.code(400);
      return esError(400, "parse_exception", "the request was not received whole");
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error, path: request.url }, "request failed");
    reply.code(status);
    if (status === 413) reply.header("connection", "close");
    return esError(status, errorType(error), error.message);
  });
  app.setNotFoundHandler(async (request, reply) => {
    reply.code(404);
    return esError(404, "resource_not_found_exception", `no handler for ${request.method} ${request.url}`);
  });

  const ingestSurface = async (child: FastifyInstance) => {
    child.removeAllContentTypeParsers();
    // the body is read by the route, as a stream: limits and Content-Encoding are applied there
    child.addContentTypeParser("*", (_request, payload, done) => done(null, payload));
    await child.register(esSurface, { ...options.es, maxBodyBytes: options.ingest.maxBodyBytes });
    await child.register(bulkRoutes, options.ingest);
    await child.register(ingestRoutes, options.ingest);
  };
  app.register(ingestSurface);
  if (options.pathPrefix) app.register(ingestSurface, { prefix: options.pathPrefix });
  app.register(opsRoutes, options.ops);
  for (const p of options.plugins ?? []) {
    if (typeof p === "function") app.register(p);
    else app.register(p.plugin, p.options as Record<string, unknown>);
  }
  return app;
}

/** Elasticsearch-like error types for fastify's own errors. */
function errorType(error: FastifyError): string {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return "content_too_long_exception";
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return "media_type_header_exception";
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return "parse_exception";
    default:
      return (error.statusCode ?? 500) >= 500 ? "exception" : "illegal_argument_exception";
  }
}
