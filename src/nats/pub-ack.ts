/**
 * What JetStream answered to one published message. A publish with a reply subject gets one
 * answer: a PubAck (`{"stream", "seq", "duplicate"?}`), an API error (`{"error": {code, err_code,
 * description}}`), or, when nothing listens on the subject (no stream, or no stream leader while
 * one is elected), a bodiless "503 No Responders" status from the server itself.
 *
 * The publisher acts on the kind: `stored` settles the message; `unavailable` is worth sending
 * again (a leader election, a restarting server); `full` and `refused` will not get better by
 * retrying now, and go back to the sender.
 */
import type { Msg } from "@nats-io/transport-node";

export type PubAckOutcome =
  | { kind: "stored"; stream: string; seq: number; duplicate: boolean }
  | { kind: "unavailable"; reason: string }
  | { kind: "full"; reason: string }
  | { kind: "too-large"; reason: string }
  | { kind: "refused"; reason: string };

interface ApiError {
  code?: number;
  err_code?: number;
  description?: string;
}

/** nats-server's errors for a stream at its limits under `discard: new` (err_code 10077). */
const STREAM_LIMIT = /maximum (bytes|messages|messages per subject) exceeded/i;
/** JSStreamMessageExceedsMaximumErr: larger than the stream's max_msg_size. */
const MESSAGE_TOO_LARGE_CODE = 10054;
const NO_RESPONDERS = 503;

export function readPubAck(reply: Pick<Msg, "data" | "headers">): PubAckOutcome {
  const status = reply.headers?.code ?? 0;
  if (reply.data.length === 0) {
    return status === NO_RESPONDERS
      ? { kind: "unavailable", reason: "no responders (no stream leader for the subject)" }
      : { kind: "unavailable", reason: `an empty answer (status ${status || "none"})` };
  }
  let body: { stream?: unknown; seq?: unknown; duplicate?: unknown; error?: ApiError };
  try {
    body = JSON.parse(Buffer.from(reply.data).toString("utf8"));
  } catch {
    return { kind: "unavailable", reason: "an answer that is not JSON" };
  }
  if (body.error) return classifyError(body.error);
  if (typeof body.stream !== "string" || typeof body.seq !== "number" || body.seq <= 0)
    return { kind: "unavailable", reason: "an acknowledgement without stream and sequence" };
  return { kind: "stored", stream: body.stream, seq: body.seq, duplicate: body.duplicate === true };
}

function classifyError(error: ApiError): PubAckOutcome {
  const description = error.description ?? "unknown error";
  const reason = `${description} (code ${error.code ?? "?"}, err_code ${error.err_code ?? "?"})`;
  if (STREAM_LIMIT.test(description)) return { kind: "full", reason };
  if (error.err_code === MESSAGE_TOO_LARGE_CODE) return { kind: "too-large", reason };
  // 503s are the cluster's own trouble: JetStream not (yet) enabled, no leader, no resources
  if (error.code === 503) return { kind: "unavailable", reason };
  return { kind: "refused", reason };
}
