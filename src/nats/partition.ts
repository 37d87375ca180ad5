/**
 * Which partition an event belongs to. Every event of a host must reach the same worker, in
 * order, so the partition is a hash of the host's identity. The hash is FNV-1a 32 over the key's
 * UTF-8 bytes, the same function nats-server's `partition()` subject mapping uses, so a server-side
 * mapping and eqlite's publisher agree on where a host lives.
 */
import { compileFieldGetter, type Event } from "../eql/field-access.ts";

/** Fixed once per deployment: changing it moves most hosts to another partition. */
export const DEFAULT_PARTITIONS = 64;

/** The key of events that name no host, agent or host name: they all share one partition. */
export const NO_HOST_KEY = "-";

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET;
  for (const byte of Buffer.from(text, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

const hostKeyFields = ["host.id", "agent.id", "host.name"].map(compileFieldGetter);

/**
 * The host identity of an event: `host.id`, else `agent.id`, else `host.name`. Cloud audit events
 * usually carry the poller's host, which keeps them together too.
 */
export function hostKey(event: Event): string {
  for (const field of hostKeyFields) {
    const key = scalarKey(field(event));
    if (key !== undefined) return key;
  }
  return NO_HOST_KEY;
}

export function partitionOf(key: string, partitions: number): number {
  return fnv1a32(key) % partitions;
}

export function eventPartition(event: Event, partitions: number): number {
  return partitionOf(hostKey(event), partitions);
}

function scalarKey(value: unknown): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  if (typeof first === "string") return first === "" ? undefined : first;
  if (typeof first === "number" || typeof first === "boolean") return String(first);
  return undefined;
}
