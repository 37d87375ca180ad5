/** Between two tries: 100 ms at first, doubling to 2 s. */
const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 2_000;

export interface RetryOptions {
  /** asked before every try: true ends the tries (the partition was fenced) */
  abandoned: () => boolean;
  /**
   * Every failure, with its count from 1; `loud` on the first and every 20th, the ones worth a
   * log line: an outage of NATS must not write one per try.
   */
  failed: (error: unknown, attempt: number, loud: boolean) => void;
}

/**
 * Runs `task` until it succeeds, waiting longer after each failure: NATS not answering holds the
 * caller, which is what backpressure on a partition should do. Undefined when abandoned.
 */
export async function retryUntilDone<T>(
  task: () => Promise<T>,
  options: RetryOptions,
): Promise<T | undefined> {
  let delay = FIRST_DELAY_MS;
  for (let attempt = 1; ; attempt++) {
    if (options.abandoned()) return undefined;
    try {
      return await task();
    } catch (error) {
      options.failed(error, attempt, attempt === 1 || attempt % 20 === 0);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(MAX_DELAY_MS, 2 * delay);
    }
  }
}
