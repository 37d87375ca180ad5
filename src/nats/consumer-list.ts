/**
 * A stream's consumers, as JetStream lists them. nats-server before 2.10 (Debian ships 2.9.10)
 * lists a consumer it cannot describe at that moment (being restored after a restart, or
 * deleted meanwhile) as `null` (nats-server#4669), and the client yields it as it is: such an
 * entry is left out, as later servers leave it out.
 */
import type { ConsumerInfo, JetStreamManager } from "@nats-io/jetstream";

export async function listConsumers(jsm: JetStreamManager, stream: string): Promise<ConsumerInfo[]> {
  const all: ConsumerInfo[] = [];
  for await (const info of jsm.consumers.list(stream) as AsyncIterable<ConsumerInfo | null>)
    if (info !== null && typeof info === "object") all.push(info);
  return all;
}
