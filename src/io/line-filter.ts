/**
 * A decision on a raw NDJSON line before it is decoded: the engine's prefilter implements
 * it (src/engine/line-prefilter.ts); the reader only asks.
 */
export interface LineFilter {
  /** A new buffer follows: positions remembered in the previous one no longer apply. */
  reset(): void;
  /** Whether the event on `buf[start, end)` may be needed; `start` grows within one buffer. */
  accepts(buf: Buffer, start: number, end: number): boolean;
}
