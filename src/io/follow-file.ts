import { type FileHandle, open, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

export interface FollowOptions {
  /** how often to look for new bytes, ms */
  pollMs?: number;
  /** stops following (the caller's Ctrl-C) */
  signal?: AbortSignal;
}

const NEWLINE = 0x0a;

/**
 * The bytes of a growing file, as `tail -F` reads them: everything there now, then whatever is
 * appended, until the signal aborts. A file that shrinks was truncated (copytruncate) and is read
 * again from its start. A path that comes to name another file was rotated: the old file is read
 * to its end first — a writer may have added lines after the last look — and then the new one from
 * its start; while the path names nothing (between the rename and the new file) the old file is
 * kept. A line cut short by either is ended there, so that it is reported as one bad line rather
 * than glued to the first line of what comes next.
 */
export async function* followFile(path: string, options: FollowOptions = {}): AsyncGenerator<Buffer> {
  const pollMs = options.pollMs ?? 250;
  const buffer = Buffer.alloc(1 << 20);
  let handle: FileHandle = await open(path, "r");
  let position = 0;
  let lineEnded = true;
  async function* readToEnd(): AsyncGenerator<Buffer> {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      lineEnded = buffer[bytesRead - 1] === NEWLINE;
      yield Buffer.from(buffer.subarray(0, bytesRead));
    }
  }
  function* startAgain(): Generator<Buffer> {
    if (!lineEnded) yield Buffer.from("\n");
    lineEnded = true;
    position = 0;
  }
  try {
    while (!options.signal?.aborted) {
      const held = await handle.stat();
      if (held.size < position) yield* startAgain();
      yield* readToEnd();
      const named = await stat(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return undefined;
        throw error;
      });
      if (named && (named.ino !== held.ino || named.dev !== held.dev)) {
        const next = await open(path, "r").catch(() => undefined);
        if (next) {
          yield* readToEnd();
          await handle.close();
          handle = next;
          yield* startAgain();
          continue;
        }
      }
      // the timers' own abortable sleep: a listener added to the signal at every poll would pile up
      await sleep(pollMs, undefined, { signal: options.signal }).catch(() => {});
    }
  } finally {
    await handle.close();
  }
}
