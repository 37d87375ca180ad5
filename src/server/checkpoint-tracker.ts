/**
 * Which WAL seq the pipeline may checkpoint at: the lowest seq still needed.
 *
 * An event stops being needed once the engine has taken it, no partial
 * sequence or reorder buffer holds it, and every alert it led to is written by
 * every sink. The engine reports the first of these through `processedThrough`
 * and the seq of the oldest event its open state holds (passed to
 * `lowestNeeded`); alert batches in flight hold their lowest source seq here
 * until the sinks have handled them. The checkpoint is the lowest of all; replay
 * after a crash starts there, and whatever it repeats comes out with the same
 * alert ids.
 */
export class CheckpointTracker {
  /** held seq → how many holds */
  private readonly held = new Map<number, number>();
  private nextUnprocessed: number;

  /** `firstSeq`: where this run started (the WAL's checkpoint when it opened) */
  constructor(firstSeq = 1) {
    this.nextUnprocessed = firstSeq;
  }

  /** The engine has taken every event up to and including `seq`. */
  processedThrough(seq: number): void {
    this.nextUnprocessed = Math.max(this.nextUnprocessed, seq + 1);
  }

  /** Keeps `seq` needed until the returned function is called (calling it again does nothing). */
  hold(seq: number): () => void {
    this.held.set(seq, (this.held.get(seq) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const count = this.held.get(seq)! - 1;
      if (count === 0) this.held.delete(seq);
      else this.held.set(seq, count);
    };
  }

  /** The checkpoint: the lowest held seq, the engine's oldest open event, or the first unprocessed seq. */
  lowestNeeded(engineOldest?: number): number {
    let lowest = this.nextUnprocessed;
    if (engineOldest !== undefined && engineOldest < lowest) lowest = engineOldest;
    for (const seq of this.held.keys()) if (seq < lowest) lowest = seq;
    return lowest;
  }
}
