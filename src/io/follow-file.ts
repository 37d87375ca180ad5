import { type FileHandle, open, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

export interface FollowOptions {
  /** how often to look for new bytes, ms */
  pollMs?: number;
  /** stops following (the caller's Ctrl-C) */
  signal?: AbortSignal;
  /** how long a rotated file must get no new bytes before the file that took its name is read */
  rotatedQuietMs?: number;
  /** how long a rotated file is read at most, quiet or not (default a minute) */
  rotatedLongestMs?: number;
  /** the path names nothing yet: called once, before waiting for it to appear */
  onWaiting?: () => void;
}

/**
 * Yielded where what follows is a file's start again — the file truncated, or the one that took
 * a rotated file's name — so that its lines are numbered from 1, and a line the cut left short
 * is one bad line rather than glued to the first line of what follows.
 */
export const FILE_STARTS: unique symbol = Symbol("file starts");
/**
 * A writer goes on writing to a file rotated away until it opens the new one (logrotate's
 * postrotate tells it to, after the new file is made), or a lazy writer does so at its next line;
 * what it writes meanwhile is read before the new file, for as long as it keeps coming.
 */
const ROTATED_QUIET_MS = 5_000;
/** …but not for ever: a second writer that never reopens would keep the new file unread. */
const ROTATED_LONGEST_MS = 60_000;
/** How much of what was read last is kept to recognise the file it came from. */
const TAIL_BYTES = 64;

/**
 * The bytes of a growing file, as `tail -F` reads them: everything there now, then whatever is
 * appended, until the signal aborts. A file that shrinks was truncated (copytruncate) and is read
 * again from its start; so is one whose bytes before the point reached are no longer those read
 * there: truncated, then written past that point before the next look (a fast writer, a small
 * file), it never looked shorter, and reading on would start inside another line. A path that
 * comes to name another file was rotated: the old file is read until it has had no new bytes
 * for `rotatedQuietMs` (a minute at most) — its writer may go on writing there until it opens the
 * new file — and then the new one from its start; a file rotated again meanwhile is read to its
 * end and left at once, and the next read in its turn; while
 * the path names nothing (between the rename and the new file) the old file is kept. Both are
 * marked by FILE_STARTS. A path that names nothing at the start is waited for, as `tail -F`
 * waits for a log its writer has not created yet.
 */
export async function* followFile(
  path: string,
  options: FollowOptions = {},
): AsyncGenerator<Buffer | typeof FILE_STARTS> {
  const pollMs = options.pollMs ?? 250;
  const rotatedQuietMs = options.rotatedQuietMs ?? ROTATED_QUIET_MS;
  const rotatedLongestMs = options.rotatedLongestMs ?? ROTATED_LONGEST_MS;
  const buffer = Buffer.alloc(1 << 20);
  const first = await openOnceThere(path, pollMs, options);
  if (!first) return;
  let handle: FileHandle = first;
  let position = 0;
  /** the last bytes read, which end at `position` */
  let tail: Buffer = Buffer.alloc(0);
  /** Whether there was anything new to read. */
  async function* readToEnd(): AsyncGenerator<Buffer | typeof FILE_STARTS, boolean> {
    let grew = false;
    for (;;) {
      // before every read: the file may be cut while the last piece was being handed on
      if (await rewritten(handle, position, tail)) yield* startAgain();
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) return grew;
      grew = true;
      position += bytesRead;
      const read = Buffer.from(buffer.subarray(0, bytesRead));
      tail = lastBytes(tail, read);
      yield read;
    }
  }
  function* startAgain(): Generator<typeof FILE_STARTS> {
    yield FILE_STARTS;
    position = 0;
    tail = Buffer.alloc(0);
  }
  /**
   * The files that took the path's name since the one held was rotated, oldest first: each is
   * read once the one before it has had no new bytes for `rotatedQuietMs`.
   */
  const successors: FileHandle[] = [];
  let quietSince = 0;
  let rotatedAt = 0;
  /**
   * Whether to go on to the next file: the one held has been quiet for long enough, or read
   * for as long as a rotated file is; or it was rotated away twice, a file replaced faster than
   * it goes quiet (a writer renaming each version over the last), which is read to its end and
   * left at once so that the handles held and the lag stay bounded.
   */
  const moveOn = () =>
    successors.length > 1 ||
    (successors.length === 1 &&
      (Date.now() - quietSince >= rotatedQuietMs || Date.now() - rotatedAt >= rotatedLongestMs));
  try {
    while (!options.signal?.aborted) {
      if (yield* readToEnd()) quietSince = Date.now();
      if (await renamed(path, successors.at(-1) ?? handle)) {
        const next = await open(path, "r").catch(() => undefined);
        if (next && successors.push(next) === 1) quietSince = rotatedAt = Date.now();
      }
      if (moveOn()) {
        await handle.close();
        handle = successors.shift()!;
        quietSince = rotatedAt = Date.now();
        yield* startAgain();
        continue;
      }
      // the timers' own abortable sleep: a listener added to the signal at every poll would pile up
      await sleep(pollMs, undefined, { signal: options.signal }).catch(() => {});
    }
  } finally {
    await handle.close();
    for (const successor of successors) await successor.close();
  }
}

/** Whether `path` names a file now, and not the one `held` is. */
async function renamed(path: string, held: FileHandle): Promise<boolean> {
  const named = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  if (!named) return false;
  const heldStats = await held.stat();
  return named.ino !== heldStats.ino || named.dev !== heldStats.dev;
}

/** `path` opened, once something has that name; undefined when the signal aborts first. */
async function openOnceThere(
  path: string,
  pollMs: number,
  options: FollowOptions,
): Promise<FileHandle | undefined> {
  let said = false;
  while (!options.signal?.aborted) {
    try {
      return await open(path, "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    if (!said) options.onWaiting?.();
    said = true;
    await sleep(pollMs, undefined, { signal: options.signal }).catch(() => {});
  }
  return undefined;
}

/** The last `TAIL_BYTES` of what was read before and what was read now. */
function lastBytes(before: Buffer, read: Buffer): Buffer {
  if (read.length >= TAIL_BYTES) return Buffer.from(read.subarray(read.length - TAIL_BYTES));
  const both = Buffer.concat([before, read]);
  return both.subarray(Math.max(0, both.length - TAIL_BYTES));
}

/**
 * Whether the bytes that end at `position` are no longer `tail`, the ones read there: the file
 * was truncated, shorter now or written again past that point.
 */
async function rewritten(handle: FileHandle, position: number, tail: Buffer): Promise<boolean> {
  if (tail.length === 0) return false;
  const now = Buffer.alloc(tail.length);
  const { bytesRead } = await handle.read(now, 0, tail.length, position - tail.length);
  return bytesRead < tail.length || !now.equals(tail);
}
