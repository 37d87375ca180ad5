import { open } from "node:fs/promises";
import { detectCodec, MAGIC_BYTES } from "./decompress.ts";

/**
 * A file's bytes, chunk by chunk, as `createReadStream` gives them, except that an uncompressed
 * file's chunks after the first are read into one buffer: each is valid until the next one is
 * asked for, so its consumer must be done with it, or have copied what it keeps, by then (the
 * event decoder is). On this kind of virtual machine the first touch of a page costs about
 * 12 µs, so a fresh megabyte per chunk cost more than reading it: 1.1 GB through
 * `createReadStream` faulted 36k pages. A compressed file's chunks stay fresh: the inflater
 * holds them while it works.
 */
export async function* fileChunks(path: string, chunkBytes: number): AsyncGenerator<Buffer> {
  const handle = await open(path, "r");
  try {
    let reused: Buffer | undefined;
    for (let first = true; ; first = false) {
      const buffer = reused ?? Buffer.allocUnsafeSlow(chunkBytes);
      const { bytesRead } = await handle.read(buffer, 0, chunkBytes, null);
      if (bytesRead === 0) return;
      const chunk = buffer.subarray(0, bytesRead);
      // the first chunk is the one the codec is told from (fewer bytes than that: a tiny file)
      if (first && bytesRead >= MAGIC_BYTES && detectCodec(chunk) === "none")
        reused = Buffer.allocUnsafeSlow(chunkBytes);
      yield chunk;
    }
  } finally {
    await handle.close();
  }
}
