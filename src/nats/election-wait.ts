import { JetStreamApiError } from "@nats-io/jetstream";
import { type NatsConnection, TimeoutError } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { NatsConnectError } from "./connect.ts";
import { ELECTION_WAIT_MS } from "./defaults.ts";

/**
 * JetStream's own answers while its cluster comes together: "temporarily unavailable" (no meta
 * leader yet) and "no suitable peers for placement" (a leader, but not yet enough of the nodes
 * the replicas need back).
 */
const CLUSTER_NOT_AVAILABLE = 10008;
const NO_PEERS_FOR_PLACEMENT = 10005;

export interface ElectionWait {
  /** how long to keep trying, from the first call */
  deadlineMs: number;
  /** told of each attempt that failed for want of a leader, before the next */
  onRetry?: (error: Error, elapsedMs: number) => void;
  /** the pause between attempts */
  pauseMs?: number;
}

/**
 * Runs `call` — setting up JetStream as a node starts — again while the cluster cannot answer.
 * A request that times out, or JetStream saying it is temporarily unavailable or has no peers
 * to place the replicas on, is what a client sees during a meta-leader election or while fewer
 * nodes are up than the replicas need, as when a cluster and its eqlite nodes restart together:
 * the node waits that out instead of exiting. Anything else (no JetStream, a refusal, a bad
 * setting) fails at once, and so does an attempt that fails past the deadline.
 */
export async function retryWhileElecting<T>(call: () => Promise<T>, wait: ElectionWait): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      return await call();
    } catch (error) {
      const elapsed = Date.now() - started;
      if (!awaitsLeader(error) || elapsed >= wait.deadlineMs) throw error;
      wait.onRetry?.(error as Error, elapsed);
      await new Promise((resolve) => setTimeout(resolve, wait.pauseMs ?? 1000));
    }
  }
}

/** Whether `error` is how JetStream fails while its cluster has no leader, or too few nodes back. */
export function awaitsLeader(error: unknown): boolean {
  return (
    error instanceof TimeoutError ||
    (error instanceof JetStreamApiError &&
      (error.code === CLUSTER_NOT_AVAILABLE || error.code === NO_PEERS_FOR_PLACEMENT))
  );
}

/**
 * How a node sets up JetStream as it starts (`serve --nats`, `worker`): `call` is tried again
 * for up to ELECTION_WAIT_MS while the cluster has no leader, with a warning each time; a node
 * that gives up says what to check, as a NatsConnectError.
 */
export async function setUpAtStart<T>(
  nc: NatsConnection,
  replicas: number,
  logger: Logger,
  call: () => Promise<T>,
  { deadlineMs = ELECTION_WAIT_MS, pauseMs }: Partial<Omit<ElectionWait, "onRetry">> = {},
): Promise<T> {
  try {
    return await retryWhileElecting(call, {
      deadlineMs,
      pauseMs,
      onRetry: (error, elapsedMs) =>
        logger.warn(
          { reason: error.message, waitedMs: elapsedMs },
          "JetStream did not answer the set-up (a leader election, or fewer nodes up than the replicas need); trying again",
        ),
    });
  } catch (error) {
    if (!awaitsLeader(error)) throw error;
    throw new NatsConnectError(
      `cannot set up JetStream on ${nc.getServer()}: it did not answer for ${deadlineMs / 1000} s: is a leader elected, with enough nodes up for ${replicas} replica${replicas === 1 ? "" : "s"}?`,
    );
  }
}
