/**
 * Transparent decompression of byte streams, choosing the codec from magic bytes:
 * event files are often renamed, and `.json` files that are really gzip are common. Text in
 * UTF-16 (what Windows PowerShell's `>` writes, with its byte order mark) is made UTF-8 the
 * same way: read as it is, each of its lines would be reported malformed.
 */
import { Readable, type Transform } from "node:stream";
import zlib from "node:zlib";
import { Decompress as ZstdDecompress } from "fzstd";
import { replayed } from "./read-ahead.ts";

export type Codec = "gzip" | "zstd" | "utf-16le" | "utf-16be" | "none";

/** The compressed input ended early or is not valid for its codec. */
export class CorruptStreamError extends Error {
  readonly codec: Codec;

  constructor(codec: Codec, cause: unknown, consequence?: string) {
    super(
      `truncated or corrupt ${codec} data (${cause instanceof Error ? cause.message : String(cause)})${consequence ? `; ${consequence}` : ""}`,
    );
    this.name = "CorruptStreamError";
    this.codec = codec;
  }
}

/** Bytes needed to tell every supported codec apart. */
export const MAGIC_BYTES = 4;

export function detectCodec(head: Uint8Array): Codec {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd)
    return "zstd";
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return "utf-16le";
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return "utf-16be";
  return "none";
}

// zlib's default 16 KiB output chunks would multiply the per-chunk work downstream
const OUTPUT_CHUNK = 256 * 1024;

/**
 * The decompressed bytes of `source` (or the bytes themselves when not compressed).
 * Errors reading `source` propagate unchanged; a bad compressed stream throws `CorruptStreamError`.
 */
export async function* decompress(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headBytes = 0;
  let exhausted = false;
  while (headBytes < MAGIC_BYTES) {
    const r = await it.next();
    if (r.done) {
      exhausted = true;
      break;
    }
    // a piece too short to tell the codec is copied: a reader may read the next into its memory
    head.push(headBytes + r.value.length < MAGIC_BYTES ? Buffer.from(r.value) : r.value);
    headBytes += r.value.length;
  }
  const first = head.length === 1 ? head[0] : Buffer.concat(head, headBytes);
  const rest = replayed([first], exhausted ? undefined : it);
  const codec = detectCodec(first);
  switch (codec) {
    case "gzip":
      yield* inflate(rest, zlib.createGunzip({ chunkSize: OUTPUT_CHUNK }), "gzip");
      return;
    case "zstd": {
      const native = nativeZstd();
      yield* native ? inflate(rest, native(), "zstd") : unzstd(rest);
      return;
    }
    case "utf-16le":
    case "utf-16be":
      yield* utf8Of(rest, codec);
      return;
    default:
      yield* rest;
  }
}

/** UTF-16 text as UTF-8, its byte order mark dropped; an unpaired surrogate becomes U+FFFD. */
async function* utf8Of(
  source: AsyncIterable<Buffer>,
  encoding: "utf-16le" | "utf-16be",
): AsyncGenerator<Buffer> {
  const decoder = new TextDecoder(encoding);
  for await (const chunk of source) {
    const text = decoder.decode(chunk, { stream: true });
    if (text.length > 0) yield Buffer.from(text, "utf8");
  }
  const rest = decoder.decode();
  if (rest.length > 0) yield Buffer.from(rest, "utf8");
}

/** Runs bytes through a zlib transform, telling its data errors apart from errors of the input. */
async function* inflate(
  source: AsyncIterable<Buffer>,
  transform: Transform,
  codec: Codec,
): AsyncGenerator<Buffer> {
  let inputError: unknown;
  const input = Readable.from(
    (async function* () {
      try {
        yield* source;
      } catch (error) {
        inputError = error;
        throw error;
      }
    })(),
    { objectMode: false },
  );
  input.on("error", (error) => transform.destroy(error));
  input.pipe(transform);
  try {
    for await (const chunk of transform) yield chunk as Buffer;
  } catch (error) {
    if (inputError !== undefined) throw inputError;
    // On bad data (not an early end) Node's zlib throws away what it had decoded in that step:
    // the text just before the damage is lost with it, and the reader should know the place is
    // not exact (a complete gzip member followed by garbage loses the member's last lines).
    const lostBefore = (error as NodeJS.ErrnoException).code === "Z_DATA_ERROR";
    throw new CorruptStreamError(
      codec,
      error,
      lostBefore
        ? `zlib drops what it decoded last on bad data, so up to ${OUTPUT_CHUNK / 1024} KiB of text before this point is missing too`
        : undefined,
    );
  } finally {
    input.destroy();
    transform.destroy();
  }
}

/** fzstd decodes synchronously per pushed chunk; its output blocks are fresh arrays, safe to hand on. */
async function* unzstd(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const out: Buffer[] = [];
  const decoder = new ZstdDecompress((data) => {
    if (data.length > 0) out.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  });
  const push = (chunk: Uint8Array, final: boolean): void => {
    try {
      decoder.push(chunk, final);
    } catch (error) {
      throw new CorruptStreamError("zstd", error);
    }
  };
  for await (const chunk of source) {
    push(chunk, false);
    for (const block of out) yield block;
    out.length = 0;
  }
  push(new Uint8Array(0), true);
  for (const block of out) yield block;
}

type ZstdFactory = () => Transform;

/** Node ≥ 22.15 has zstd in zlib, about twice as fast as fzstd; Node 20 does not. */
function nativeZstd(): ZstdFactory | undefined {
  const create = (zlib as unknown as { createZstdDecompress?: (options?: object) => Transform })
    .createZstdDecompress;
  return typeof create === "function" ? () => create({ chunkSize: OUTPUT_CHUNK }) : undefined;
}

/** Collects a whole (decompressed) stream, refusing to hold more than `maxBytes`. */
export async function readAll(source: AsyncIterable<Buffer>, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of decompress(source)) {
    total += chunk.length;
    if (total > maxBytes) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}
