import type { FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";

/**
 * The routes that answer for what eqlite has no handler for — the Elasticsearch catch-all,
 * the 405s for a known path called with another method — carry this route config, so the
 * app logs their answers in one place.
 */
export const UNHANDLED = { unhandled: true } as const;

const LOG_EVERY_MS = 60_000;
/** Method-and-path pairs remembered at most: a scanner's thousands of paths must not grow the map for ever. */
const MAX_REMEMBERED = 1000;

/**
 * Logs each unhandled method and path once a minute, with the caller's user agent, so a new
 * shipper's probes and a misconfigured one's writes show up without a line per request.
 * Refused writes are warnings: whatever they carried is not in eqlite until the sender is
 * pointed at `_bulk`, `_doc` or `/ingest`.
 */
export class UnhandledRequestLog {
  private readonly logged = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  onResponse(request: FastifyRequest, reply: FastifyReply): void {
    if (!(request.routeOptions.config as { unhandled?: boolean } | undefined)?.unhandled) return;
    if (request.method === "HEAD") return;
    const path = request.url.split("?")[0];
    const key = `${request.method} ${path}`;
    const now = this.clock();
    if ((this.logged.get(key) ?? 0) > now - LOG_EVERY_MS) return;
    if (this.logged.size >= MAX_REMEMBERED) this.logged.clear();
    this.logged.set(key, now);
    const entry = {
      method: request.method,
      path: request.url,
      userAgent: request.headers["user-agent"],
      answer: reply.statusCode < 300 ? "acknowledged" : String(reply.statusCode),
    };
    if (reply.statusCode >= 400 && request.method !== "GET")
      this.logger.warn(entry, "request refused: eqlite has no handler for this method and path");
    else this.logger.info(entry, "Elasticsearch API eqlite does not implement");
  }
}
