/**
 * Error bodies shaped like Elasticsearch's, for every non-2xx JSON answer: the official
 * clients and shippers read `error.type` and `error.reason` (and `status`), and some
 * refuse a body that lacks them.
 */
export interface EsErrorBody {
  error: {
    root_cause: Array<{ type: string; reason: string }>;
    type: string;
    reason: string;
  };
  status: number;
}

export function esError(status: number, type: string, reason: string): EsErrorBody {
  return { error: { root_cause: [{ type, reason }], type, reason }, status };
}

/** An error that a route throws to answer with that status and an ES-shaped body. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly type: string,
    message: string,
    /** extra response headers (`Connection: close` after a refused upload, `WWW-Authenticate`, …) */
    readonly headers: Record<string, string | string[]> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }

  get body(): EsErrorBody {
    return esError(this.statusCode, this.type, this.message);
  }
}

/**
 * Seconds a shipper is asked to wait before sending a refused request again: a queue drains in
 * moments, a full write-ahead log only at the next checkpoint that frees a segment.
 */
export const RETRY_AFTER = { queueFull: "1", logFull: "5" } as const;

/** The whole request is refused because the ingest queue is full: shippers back off and retry. */
export const queueFull = (capacity: number) =>
  new HttpError(
    429,
    "es_rejected_execution_exception",
    `eqlite ingest queue full (${capacity} events waiting for the rules); retry later`,
    { "retry-after": RETRY_AFTER.queueFull },
  );
