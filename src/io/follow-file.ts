import { open } from "node:fs/promises";

export interface FollowOptions {
  /** how often to look for new bytes, ms */
  pollMs?: number;
  /** stops following (the caller's Ctrl-C) */
  signal?: AbortSignal;
}

/**
 * The bytes of a growing file, as `tail -F` reads them: everything there now,
 * then whatever is appended, until the signal aborts. A file that shrinks was
 * truncated or replaced by rotation, and is read again from its start.
 */
export async function* followFile(path: string, options: FollowOptions = {}): AsyncGenerator<Buffer> {
  const pollMs = options.pollMs ?? 250;
  const buffer = Buffer.alloc(1 << 20);
  let position = 0;
  let inode: number | undefined;
  while (!options.signal?.aborted) {
    const handle = await open(path, "r");
    try {
      const { size, ino } = await handle.stat();
      if (size < position || (inode !== undefined && ino !== inode)) position = 0;
      inode = ino;
      while (position < size) {
        const { bytesRead } = await handle.read(
          buffer,
          0,
          Math.min(buffer.length, size - position),
          position,
        );
        if (bytesRead === 0) break;
        position += bytesRead;
        yield Buffer.from(buffer.subarray(0, bytesRead));
      }
    } finally {
      await handle.close();
    }
    await sleep(pollMs, options.signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
