/**
 * Idle ticks: how a quiet partition releases what its rules hold without making replay differ
 * from live processing.
 *
 * A sequence's last event waits in a reorder buffer until newer events move the watermark past
 * it (the allowed lateness). `serve` releases a buffer that saw no event for a while of wall-clock
 * time; a worker cannot, because a successor replaying the stream would not see that pause, and
 * an event arriving after the release is late (dropped) in one run and in order in the other:
 * the two would disagree on alerts. So the worker's engines run on the stream's clock (each
 * message's store time) and are flushed only at points recorded *in the stream*:
 *
 * - before a message whose store time is an idle period after the rule's last event;
 * - at an idle tick: when a partition's rules hold events and no message came for the idle
 *   period, its owner publishes an empty message with the `Eqlite-Tick` header to the
 *   partition's own subject. Every owner, live or replaying, flushes at the same tick.
 *
 * Ticks go to the partition's subject (`eqlite.events.<p>`; `eqlite.events.global` for the
 * global partition), never carry an event, and are skipped by everything but the runners. A
 * message with the header and a body is an event (`carriesTickHeader`).
 */
import type { MsgHdrs } from "@nats-io/transport-node";
import { GLOBAL_PARTITION, type PartitionId } from "../nats/records.ts";
import { eventSubject } from "../nats/topology.ts";

export const TICK_HEADER = "Eqlite-Tick";

export function tickSubject(partition: PartitionId): string {
  return partition === GLOBAL_PARTITION ? "eqlite.events.global" : eventSubject(partition);
}

/**
 * A tick is the header on an empty body, as workers write it. A body with the header is not a
 * tick: the header alone must not make an event disappear (see `carriesTickHeader`).
 */
export function isTick(headers: MsgHdrs | undefined, body: Uint8Array): boolean {
  return body.length === 0 && carriesTickHeader(headers);
}

/**
 * Whether a message carries the tick header, tick or not. One with a body is a publisher's
 * mistake (headers copied from a tick) or someone hiding events from the rules: either way its
 * body is run as an event, as without the header. Counting it bad instead would drop it,
 * reported but unevaluated, which is what hiding it wants; and it must not flush, or whoever
 * can publish events could also release what the rules hold at will.
 */
export function carriesTickHeader(headers: MsgHdrs | undefined): boolean {
  return headers?.has(TICK_HEADER) ?? false;
}
