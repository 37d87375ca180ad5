/**
 * Telling a lost compare-and-set from a transient failure. Leases and checkpoints are written
 * with an expected revision; JetStream refuses the write when someone else wrote the key since
 * ("wrong last sequence"), which is the fencing signal. A timeout or a lost connection says
 * nothing about ownership and is retried.
 */
import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";

export function isCompareAndSetFailure(error: unknown): boolean {
  if (error instanceof JetStreamApiError) {
    return (
      error.code === JetStreamApiCodes.StreamWrongLastSequence ||
      error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown
    );
  }
  return error instanceof Error && /wrong last sequence/i.test(error.message);
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
