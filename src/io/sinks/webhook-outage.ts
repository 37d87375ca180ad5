/**
 * Whether a webhook's receiver is failing, and since when. An outage is the run of retryable
 * failures (no answer, a connection error, 408, 425, 429, 5xx) between two answers; it is
 * logged once when it begins and once when it ends, not per retry: over a ten-minute outage
 * the retries of a backoff capped at 30 s are dozens of lines saying the same thing.
 */
export interface OutageEnd {
  /** how long the receiver failed every request */
  failedForMs: number;
  failedRequests: number;
}

export class ReceiverOutage {
  private failingSince: number | null = null;
  private failedRequests = 0;
  /** when a request was last answered (accepted, or refused for good) */
  private lastAnswerAt = Number.NEGATIVE_INFINITY;

  /** A retryable failure; true when it begins an outage. */
  failed(now: number): boolean {
    this.failedRequests++;
    if (this.failingSince !== null) return false;
    this.failingSince = now;
    return true;
  }

  /** The receiver answered; what the outage it ends was, if there was one. */
  answered(now: number): OutageEnd | null {
    this.lastAnswerAt = now;
    const since = this.failingSince;
    const failedRequests = this.failedRequests;
    this.failingSince = null;
    this.failedRequests = 0;
    return since === null ? null : { failedForMs: now - since, failedRequests };
  }

  /** How long the receiver has failed every request; 0 while it answers. */
  failingForMs(now: number): number {
    return this.failingSince === null ? 0 : now - this.failingSince;
  }

  /**
   * Whether every request since `since` failed and the receiver fails still. Requests go one
   * after another and each ends within its timeout, so a batch that waited from `since` to its
   * deadline under this condition saw the receiver refuse its whole window: the retries of the
   * batches ahead of it were its chances too.
   */
  failedThroughout(since: number): boolean {
    return this.failingSince !== null && this.lastAnswerAt < since;
  }
}
