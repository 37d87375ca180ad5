/**
 * Whether a partition taken over without its long-window rules' snapshot (none written, or
 * written for other rules) can miss what they held. Without one, the new owner rebuilds them
 * by replaying the events stream from the replay limit, and that loses nothing when there was
 * nothing to hold, or when the replay starts at or before the stream's first message (every
 * event the rules ever held is read again). Only the rest is worth a warning: said for every
 * partition of a fresh deployment, or of a stream younger than the replay limit, it would
 * teach operators to ignore it.
 */
export function snapshotNeeded(
  checkpoint: { seq: number },
  replayStartMs: number,
  stream: { messages: number; firstMs: number },
): boolean {
  // the former owner passed no event
  if (checkpoint.seq <= 0) return false;
  // what it passed has been deleted since: only a snapshot still held it
  if (stream.messages === 0) return true;
  return replayStartMs > stream.firstMs;
}
