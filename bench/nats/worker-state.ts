/**
 * Everything the workers keep in JetStream, removed while the events stay: their consumers, the
 * leases, checkpoints, members and snapshots, and the alerts. Workers started afterwards see the
 * same stored events as the first ones did, as if none had run.
 *
 * Why not a fresh server with the events published again: the workers' engines run on the
 * stream's clock (each message's store time), and max_signals counts alerts per rule interval
 * of that clock. Events stored across a 5-minute boundary in one run and not in the other give
 * different alerts by design; on the same stored events, 1 and 2 workers must give the same.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { Objm } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  ALERTS_STREAM,
  CHECKPOINTS_BUCKET,
  EVENTS_STREAM,
  LEASES_BUCKET,
  MEMBERS_BUCKET,
  SNAPSHOTS_STORE,
} from "../../src/nats/topology.ts";

/** Call with no worker running; `openTopology` creates the streams and buckets again. */
export async function removeWorkerState(nc: NatsConnection, jsm: JetStreamManager): Promise<void> {
  const consumers: string[] = [];
  for await (const info of jsm.consumers.list(EVENTS_STREAM)) consumers.push(info.name);
  for (const name of consumers) await jsm.consumers.delete(EVENTS_STREAM, name);
  await jsm.streams.delete(ALERTS_STREAM);
  const kvm = new Kvm(nc);
  for (const bucket of [LEASES_BUCKET, CHECKPOINTS_BUCKET, MEMBERS_BUCKET])
    await (await kvm.open(bucket)).destroy();
  await (await new Objm(nc).open(SNAPSHOTS_STORE)).destroy();
}
