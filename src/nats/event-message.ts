/**
 * An event as it travels on the events stream. The body is the event's JSON as accepted (with
 * `event.ingested` already stamped), so a worker evaluates exactly what a local pipeline would.
 * What is not in the event travels in headers: the index it was written to (which rules see it)
 * and the document id (which alert ids it gives). The message id is the document id, so a publish
 * retried after a timeout or a leader change is stored once.
 */
import { type MsgHdrs, headers as natsHeaders } from "@nats-io/transport-node";
import type { EventOrigin } from "../engine/detection-engine.ts";
import { sourceIdentity } from "../engine/source-identity.ts";
import type { Event } from "../eql/field-access.ts";
import { eventPartition } from "./partition.ts";
import { eventSubject } from "./topology.ts";

export const INDEX_HEADER = "Eqlite-Index";
export const DOCUMENT_ID_HEADER = "Eqlite-Id";
export const MSG_ID_HEADER = "Nats-Msg-Id";

export interface EventMessage {
  subject: string;
  partition: number;
  /** the document id: also the `Nats-Msg-Id` */
  msgId: string;
  headers: MsgHdrs;
  body: Uint8Array;
}

export function encodeEventMessage(event: Event, origin: EventOrigin, partitions: number): EventMessage {
  const identity = sourceIdentity(event, { index: origin.index, id: origin.id });
  const partition = eventPartition(event, partitions);
  const headers = natsHeaders();
  headers.set(MSG_ID_HEADER, identity.id);
  headers.set(DOCUMENT_ID_HEADER, identity.id);
  if (origin.index !== undefined) headers.set(INDEX_HEADER, origin.index);
  return {
    subject: eventSubject(partition),
    partition,
    msgId: identity.id,
    headers,
    body: Buffer.from(JSON.stringify(event), "utf8"),
  };
}

/** What a worker needs of a stored message; `source` names it in problems and alerts' origins. */
export interface ReceivedEvent {
  event: Event;
  origin: EventOrigin;
}

export function decodeEventMessage(
  message: { data: Uint8Array; headers?: MsgHdrs; seq: number },
  source: string,
): ReceivedEvent {
  const event = JSON.parse(Buffer.from(message.data).toString("utf8")) as Event;
  if (event === null || typeof event !== "object" || Array.isArray(event)) {
    throw new Error(`${source} message ${message.seq}: not a JSON object`);
  }
  const index = message.headers?.get(INDEX_HEADER) || undefined;
  const id = message.headers?.get(DOCUMENT_ID_HEADER) || undefined;
  return { event, origin: { source, line: message.seq, index, id } };
}
