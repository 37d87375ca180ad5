import { Readable } from "node:stream";
import zlib from "node:zlib";
import { CorruptStreamError, decompress } from "../io/decompress.ts";
import { HttpError } from "./es-error.ts";

/**
 * A request body read whole, within a size limit, and decoded per `Content-Encoding`.
 *
 * The limit applies twice: to the bytes on the wire and to the decoded bytes, counted as
 * they are inflated, so a small gzip bomb is refused after `limit` bytes rather than
 * inflated in full. Shippers that say how big the body is uncompressed
 * (`X-Elastic-Uncompressed-Request-Length`, libbeat and Logstash) or send a
 * `Content-Length` over the limit are refused before anything is read. A request with no
 * body, or one that decodes to nothing, is refused as Elasticsearch refuses it (400
 * `parse_exception` "request body is required"): a route that takes events has nothing to take.
 */
export interface BodyHeaders {
  "content-encoding"?: string;
  "content-length"?: string;
  "x-elastic-uncompressed-request-length"?: string | string[];
}

export async function readBody(
  stream: Readable | undefined,
  headers: BodyHeaders,
  limit: number,
): Promise<Buffer> {
  // fastify parses no body when a request has neither a Content-Type nor a length
  if (stream === undefined) throw bodyRequired();
  const body = await readStream(stream, headers, limit);
  if (body.length === 0) throw bodyRequired();
  return body;
}

async function readStream(stream: Readable, headers: BodyHeaders, limit: number): Promise<Buffer> {
  const declared = [headers["content-length"], first(headers["x-elastic-uncompressed-request-length"])];
  for (const value of declared) {
    if (value !== undefined && Number(value) > limit) throw tooLarge(limit, Number(value));
  }
  const encoding = (headers["content-encoding"] ?? "identity").trim().toLowerCase();
  const raw = limited(stream, limit);
  try {
    switch (encoding) {
      case "identity":
      case "":
      case "gzip":
      case "x-gzip":
      case "zstd":
        // gzip and zstd are recognised by their magic bytes, with or without the header
        return await collect(decompress(raw), limit);
      case "deflate":
        return await collect(inflateWith(raw, zlib.createInflate()), limit);
      case "br":
        return await collect(inflateWith(raw, zlib.createBrotliDecompress()), limit);
      default:
        throw new HttpError(
          415,
          "illegal_argument_exception",
          `Content-Encoding "${encoding}" is not supported; send gzip, deflate, zstd, br or an uncompressed body`,
        );
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    if (error instanceof CorruptStreamError)
      throw new HttpError(400, "parse_exception", `the request body is not valid: ${error.message}`);
    if (encoding === "deflate" || encoding === "br")
      throw new HttpError(
        400,
        "parse_exception",
        `the request body is not valid ${encoding} data (${(error as Error).message})`,
      );
    throw error;
  } finally {
    // an early refusal leaves the rest of the body unread; it is discarded, not buffered
    stream.resume();
  }
}

export function tooLarge(limit: number, size?: number): HttpError {
  const what = size === undefined ? "more than" : `${size} bytes, more than`;
  return new HttpError(
    413,
    "content_too_long_exception",
    `the request body is ${what} the ${limit} bytes eqlite accepts (max_body_bytes, decompressed); send smaller batches`,
    { connection: "close" },
  );
}

const bodyRequired = () => new HttpError(400, "parse_exception", "request body is required");

async function* limited(stream: Readable, limit: number): AsyncGenerator<Buffer> {
  let total = 0;
  // not destroyed when reading stops early: destroying a request closes its socket before the 413 is sent
  for await (const chunk of stream.iterator({ destroyOnReturn: false })) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    total += buf.length;
    if (total > limit) throw tooLarge(limit);
    yield buf;
  }
}

async function collect(source: AsyncIterable<Buffer>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    if (total > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

async function* inflateWith(
  source: AsyncIterable<Buffer>,
  transform: zlib.Inflate | zlib.BrotliDecompress,
): AsyncGenerator<Buffer> {
  const input = Readable.from(source, { objectMode: false });
  // an error of the input (the size limit) ends the output with that error
  input.on("error", (error) => transform.destroy(error));
  input.pipe(transform);
  try {
    for await (const chunk of transform) yield chunk as Buffer;
  } finally {
    input.destroy();
    transform.destroy();
  }
}

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
