/**
 * Reads what a stream holds, in stream order, with an ordered consumer: what the tests compare
 * with what was acknowledged.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { MsgHdrs, NatsConnection } from "@nats-io/transport-node";

export interface StoredMessage {
  seq: number;
  subject: string;
  msgId: string | undefined;
  headers: MsgHdrs | undefined;
  text: string;
}

/** A cluster that just lost a node takes a while to elect leaders: JetStream calls time out meanwhile. */
async function untilAnswered<T>(call: () => Promise<T>): Promise<T> {
  const giveUpAt = Date.now() + 45_000;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (Date.now() > giveUpAt || !/timeout|no responders|leader/i.test(String(error))) throw error;
      await sleep(500);
    }
  }
}

/** Every message of the stream, or of one subject (`filter`), in stream order. */
export async function readStream(
  nc: NatsConnection,
  stream: string,
  filter?: string,
): Promise<StoredMessage[]> {
  // creating the manager asks for the account's info: a request like any other
  const jsm = await untilAnswered(() => jetstreamManager(nc));
  const info = await untilAnswered(() =>
    jsm.streams.info(stream, filter ? { subjects_filter: filter } : undefined),
  );
  const total = filter ? (info.state.subjects?.[filter] ?? 0) : info.state.messages;
  const out: StoredMessage[] = [];
  if (total === 0) return out;
  const consumer = await untilAnswered(() =>
    jetstream(nc).consumers.get(stream, filter ? { filter_subjects: filter } : undefined),
  );
  const messages = await consumer.consume({ max_messages: 1000 });
  for await (const m of messages) {
    out.push({
      seq: m.seq,
      subject: m.subject,
      msgId: m.headers?.get("Nats-Msg-Id") || undefined,
      headers: m.headers,
      text: m.string(),
    });
    if (m.info.pending === 0 && out.length >= total) break;
  }
  await messages.close();
  return out;
}
