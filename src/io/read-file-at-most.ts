import { closeSync, openSync, readSync } from "node:fs";

const CHUNK = 64 * 1024;

/**
 * A file's bytes, or undefined when it holds more than `limit`, read in chunks and stopped there.
 * For what is not a regular file (a link to /dev/zero, a character device): its size says 0, so a
 * size check lets it through, and reading it whole never ends.
 */
export function readFileAtMost(path: string, limit: number): Buffer | undefined {
  const fd = openSync(path, "r");
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK, limit + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) return Buffer.concat(chunks, total);
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > limit) return undefined;
    }
  } finally {
    closeSync(fd);
  }
}
