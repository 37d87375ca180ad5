import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import { esError } from "./es-error.ts";

/**
 * Answers what Node refuses before a route sees the request — a body not received within
 * request_timeout_ms (408), headers too large (431), bytes that are not HTTP (400) — with the
 * `X-Elastic-Product` header and an Elasticsearch-shaped body, like every other answer:
 * fastify's own answer had neither, and shippers that check the header took the 408 for a
 * server that is not Elasticsearch rather than for a request to send again.
 *
 * Written on the socket, which is then closed: the request was not read whole, so nothing
 * after it on the connection can be read either.
 */
export function clientErrorAnswer(code: string | undefined): { status: number; body: string } {
  const [status, type, reason] = refusal(code);
  return { status, body: JSON.stringify(esError(status, type, reason)) };
}

function refusal(code: string | undefined): [status: number, type: string, reason: string] {
  switch (code) {
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return [
        408,
        "elasticsearch_timeout_exception",
        "the request was not received whole within request_timeout_ms; nothing of it was accepted, send it again",
      ];
    case "HPE_HEADER_OVERFLOW":
      return [431, "illegal_argument_exception", "the request's headers are larger than eqlite reads"];
    default:
      return [400, "illegal_argument_exception", "the request is not valid HTTP"];
  }
}

/** A fastify clientErrorHandler; `answered` counts the status as the app counts its answers. */
export function answerClientError(answered: (status: number) => void) {
  return (error: NodeJS.ErrnoException, socket: Socket): void => {
    // the client reset the connection or it is gone: there is no one to answer
    if (error.code === "ECONNRESET" || socket.destroyed) return;
    const { status, body } = clientErrorAnswer(error.code);
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
          "X-Elastic-Product: Elasticsearch\r\n" +
          "Content-Type: application/json; charset=UTF-8\r\n" +
          `Content-Length: ${Buffer.byteLength(body)}\r\n` +
          "Connection: close\r\n\r\n" +
          body,
      );
      answered(status);
    }
    socket.destroy(error);
  };
}
