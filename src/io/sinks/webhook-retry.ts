/**
 * When a webhook tries a batch again. The budget is time, not attempts: a receiver that
 * restarts, fails over or is redeployed is down for minutes, and a count of attempts with
 * a doubling backoff is spent in seconds (six attempts from 0.5 s took ~15 s), so every
 * alert of the outage went to the dead-letter file. Shippers (Logstash's http output,
 * Vector's http sink) retry without an attempt limit; a webhook retries until its batch
 * has waited `retryTimeoutMs`, then dead-letters it so the alerts behind it move on.
 */
export interface RetryPolicy {
  /** the first retry's delay; each next one doubles, up to maxBackoffMs */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** a receiver's Retry-After is honoured up to this (it may ask for longer than maxBackoffMs) */
  maxRetryAfterMs: number;
  /** how long a batch is retried, from when its alerts reached the webhook, before its dead letter */
  retryTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  initialBackoffMs: 500,
  maxBackoffMs: 30_000,
  maxRetryAfterMs: 5 * 60_000,
  // Outlasts a receiver's restart, rolling deploy or failover, and one Retry-After at its bound;
  // meanwhile the write-ahead log keeps the events of the waiting alerts (see README, Webhooks).
  retryTimeoutMs: 10 * 60_000,
};

/** 408, 425, 429 and 5xx say "not now"; other refusals are for good. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/**
 * The wait before retry `attempt` (from 1): exponential, capped, with "equal jitter" — between
 * half and all of the step, so senders retrying together spread out — or longer when the
 * receiver asks for it with Retry-After, up to maxRetryAfterMs.
 */
export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  retryAfterMs: number | undefined,
  random: () => number,
): number {
  // the exponent is bounded: over a long outage 2 ** attempt would overflow to Infinity
  const step = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.min(attempt - 1, 40));
  const jittered = step / 2 + (random() * step) / 2;
  return Math.round(Math.max(jittered, Math.min(policy.maxRetryAfterMs, retryAfterMs ?? 0)));
}

/** Retry-After in seconds or as an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
