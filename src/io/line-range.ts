import { readSync } from "node:fs";

/**
 * The lines of a file that start in a byte range, read by whoever processes them: a file cut
 * into ranges at fixed offsets is read in parallel without anyone reading it first to find
 * where its lines end. A line belongs to the range its first byte is in: a range's reader
 * skips the end of the line it starts inside, and reads past its end to finish its last line.
 */
export interface LineRange {
  /** the whole lines, each ending with `\n` except a file's last */
  bytes: Buffer;
  /** where in the file `bytes` starts */
  offset: number;
  /**
   * The range's last line is longer than the limit: it is not in `bytes` (which ends at the
   * line before it) and counts as one line more.
   */
  lastTooLong: boolean;
}

const LF = 0x0a;
const STEP = 64 * 1024;

/**
 * Bytes read past a range's end in the same read: the range's last line nearly always ends
 * within them, so it is read whole without a second read and a copy of the range.
 */
const OVERREAD = 64 * 1024;

/**
 * Memory a reader reads its ranges into, one after the other: a range's `bytes` are then valid
 * until the next range read into it. On this kind of virtual machine the first touch of a page
 * costs about 12 µs, so a fresh megabyte for every range cost 2–3 ms, more than reading it:
 * 1 GiB in ranges of 1 MiB took 490–850 ms with fresh buffers and 90–100 ms with one.
 */
export interface RangeScratch {
  buffer: Buffer;
}

export const rangeScratch = (): RangeScratch => ({ buffer: Buffer.alloc(0) });

/**
 * The lines of the open file `fd` that start in `[start, end)`; none past the end of the file.
 * With `scratch`, the bytes are read into it (see RangeScratch) where they fit; `overread` is
 * for tests of where a range's last line ends.
 */
export function readLineRange(
  fd: number,
  start: number,
  end: number,
  maxLineBytes: number,
  { overread = OVERREAD, scratch }: { overread?: number; scratch?: RangeScratch } = {},
): LineRange {
  let first = start;
  if (start > 0) {
    // the line holding the byte before `start` ends at the first `\n` from there on
    const lf = findLf(fd, start - 1, Number.POSITIVE_INFINITY);
    if (lf < 0) return { bytes: Buffer.alloc(0), offset: start, lastTooLong: false };
    first = lf + 1;
  }
  if (first >= end) return { bytes: Buffer.alloc(0), offset: first, lastTooLong: false };
  const length = end - first;
  const bytes = readAt(fd, first, length + overread, scratch);
  const atEof = bytes.length < length + overread;
  // the range's last line holds its last byte and ends at the first `\n` from there
  const lastByte = Math.min(length, bytes.length) - 1;
  const lf = bytes.indexOf(LF, lastByte);
  const lastStart = lastByte > 0 ? bytes.lastIndexOf(LF, lastByte - 1) + 1 : 0;
  if (lf >= 0 || atEof) {
    // the last line ends in what was read; one that goes on past `end` is kept only if it fits
    const lineEnd = lf < 0 ? bytes.length : lf;
    const pastEnd = lf < 0 ? bytes.length > length : lf > lastByte;
    if (pastEnd && lineEnd - lastStart > maxLineBytes)
      return { bytes: bytes.subarray(0, lastStart), offset: first, lastTooLong: true };
    return { bytes: bytes.subarray(0, lf < 0 ? bytes.length : lf + 1), offset: first, lastTooLong: false };
  }
  // it goes on past what was read: read on to its `\n`, unless it is too long to hold
  const body = bytes.subarray(0, length);
  const stopAt = findLf(fd, end, first + lastStart + maxLineBytes + 1);
  if (stopAt === TOO_FAR) return { bytes: body.subarray(0, lastStart), offset: first, lastTooLong: true };
  const stop = stopAt < 0 ? fileEnd(fd, end) : stopAt + 1;
  const rest = readAt(fd, end, stop - end);
  return { bytes: Buffer.concat([body, rest]), offset: first, lastTooLong: false };
}

const TOO_FAR = -2;

/** What findLf and fileEnd read into: nothing they read leaves them. */
const step = Buffer.allocUnsafeSlow(STEP);

/** The offset of the first `\n` at or after `from`: -1 at the end of the file, TOO_FAR at `limit`. */
function findLf(fd: number, from: number, limit: number): number {
  const chunk = step;
  for (let at = from; ; ) {
    if (at >= limit) return TOO_FAR;
    const n = readSync(fd, chunk, 0, STEP, at);
    if (n === 0) return -1;
    const i = chunk.subarray(0, n).indexOf(LF);
    if (i >= 0) return at + i < limit ? at + i : TOO_FAR;
    at += n;
  }
}

/** Where the file ends, at or after `from`. */
function fileEnd(fd: number, from: number): number {
  const chunk = step;
  let at = from;
  for (;;) {
    const n = readSync(fd, chunk, 0, STEP, at);
    if (n === 0) return at;
    at += n;
  }
}

/** Up to `length` bytes at `position` (fewer at the end of the file), into `scratch` if given. */
function readAt(fd: number, position: number, length: number, scratch?: RangeScratch): Buffer {
  if (scratch && scratch.buffer.length < length) scratch.buffer = Buffer.allocUnsafeSlow(length);
  const bytes = scratch ? scratch.buffer : Buffer.allocUnsafeSlow(length);
  let filled = 0;
  while (filled < length) {
    const n = readSync(fd, bytes, filled, length - filled, position + filled);
    if (n === 0) break;
    filled += n;
  }
  return filled === bytes.length ? bytes : bytes.subarray(0, filled);
}
