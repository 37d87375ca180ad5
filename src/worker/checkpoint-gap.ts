/**
 * Events deleted from the events stream before any worker read them: the stream's max age (or
 * limits with discard-old, or a purge, set by hand) removes the oldest messages whether read or
 * not, and a consumer that starts behind them starts at the first one left, silently.
 *
 * The stream has one sequence for every partition, and a host partition's checkpoint is the
 * sequence of its own last message: the stream keeps no record of which subject a deleted
 * message was on. So at a takeover what is known exactly is the range of sequences deleted past
 * the checkpoint; for a host partition, its events among them, if it had any (a quiet partition's
 * checkpoint stays behind while other partitions' messages age out), and for the global partition,
 * which reads every subject, all of them.
 */

export interface CheckpointGap {
  /** the first and last stream sequences deleted past the checkpoint, unread */
  from: number;
  to: number;
  sequences: number;
}

/**
 * The sequences after `checkpointSeq` that the stream no longer holds, given its first one.
 * A partition never checkpointed (0) has nothing to compare: most such partitions never had an
 * event, and a global partition's first run starts at a time on purpose.
 */
export function checkpointGap(checkpointSeq: number, firstSeq: number): CheckpointGap | undefined {
  if (checkpointSeq <= 0 || firstSeq <= checkpointSeq + 1) return undefined;
  return { from: checkpointSeq + 1, to: firstSeq - 1, sequences: firstSeq - 1 - checkpointSeq };
}

/**
 * Whether a checkpoint was written against an earlier events stream than the one there now: the
 * stream deleted and created again (by hand, or a server's JetStream store lost) numbers its
 * messages from 1 again. Resumed from such a checkpoint, a partition would take the new
 * stream's first messages, up to the old sequence, for a replay of what it had published, and
 * publish none of their alerts. Two signs, either enough: the checkpoint is past the stream's
 * last message (sequences never go back, not even when messages are deleted), or the message
 * it names was stored before the stream was created (less `marginMs` for the servers' clocks).
 */
export function checkpointPredatesStream(
  checkpoint: { seq: number; storedAtMs: number },
  stream: { lastSeq: number; createdMs: number },
  marginMs: number,
): boolean {
  if (checkpoint.seq <= 0) return false;
  return checkpoint.seq > stream.lastSeq || checkpoint.storedAtMs < stream.createdMs - marginMs;
}
