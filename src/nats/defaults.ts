/**
 * What a cluster and a publisher get unless configured otherwise. Kept apart from the client
 * code that uses them: reading a configuration (every command does) must not load the NATS
 * client.
 */
import { DEFAULT_PARTITIONS } from "./partition.ts";

export interface TopologyOptions {
  partitions: number;
  /** Stream and bucket replicas: 1 for one server, 3 for a 3-node cluster. */
  replicas: number;
  /** How long events stay: at least the longest look-back plus a takeover and an outage budget. */
  eventsMaxAgeMs: number;
  /** The disk budget of the events stream; full means publishers are refused (back-pressure). */
  eventsMaxBytes: number;
  /** Long enough to cover publish retries; every remembered id costs the server ~280 bytes. */
  eventsDuplicateWindowMs: number;
  alertsDuplicateWindowMs: number;
  /** A lease not renewed within this time expires and its partition can be taken over. */
  leaseTtlMs: number;
}

export const DEFAULT_TOPOLOGY: TopologyOptions = {
  partitions: DEFAULT_PARTITIONS,
  replicas: 1,
  eventsMaxAgeMs: 24 * 3_600_000,
  eventsMaxBytes: -1,
  eventsDuplicateWindowMs: 120_000,
  alertsDuplicateWindowMs: 30 * 60_000,
  leaseTtlMs: 10_000,
};

export const DEFAULT_PUBLISHER = {
  window: 2048,
  ackTimeoutMs: 5_000,
  deadlineMs: 30_000,
  roomWaitMs: 5_000,
  retryDelayMs: 100,
} as const;

/**
 * How long a starting node waits for JetStream to answer its set-up (a leader election, nodes
 * still starting) before it gives up and exits.
 */
export const ELECTION_WAIT_MS = 60_000;
