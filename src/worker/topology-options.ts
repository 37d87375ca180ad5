/**
 * The stream limits a worker opens the topology with. `openTopology` brings an existing
 * stream's limits in line with what it is given, which is right for the ingest role that owns
 * them, but a worker must not reset the events stream's size budget or retention to defaults:
 * it adopts what the streams already have, and only a first start on an empty cluster uses the
 * worker's own settings.
 */
import {
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  type StreamInfo,
} from "@nats-io/jetstream";
import type { TopologyOptions } from "../nats/defaults.ts";
import { ALERTS_STREAM, EVENTS_STREAM } from "../nats/topology.ts";

const NANOS_PER_MS = 1_000_000;

export async function adoptTopologyOptions(
  jsm: JetStreamManager,
  requested: Partial<TopologyOptions>,
): Promise<Partial<TopologyOptions>> {
  const options = { ...requested };
  const events = await streamInfo(jsm, EVENTS_STREAM);
  if (events) {
    options.replicas = events.config.num_replicas;
    options.eventsMaxAgeMs = events.config.max_age / NANOS_PER_MS;
    options.eventsMaxBytes = events.config.max_bytes;
    options.eventsDuplicateWindowMs = (events.config.duplicate_window ?? 0) / NANOS_PER_MS;
  }
  const alerts = await streamInfo(jsm, ALERTS_STREAM);
  if (alerts) options.alertsDuplicateWindowMs = (alerts.config.duplicate_window ?? 0) / NANOS_PER_MS;
  return options;
}

async function streamInfo(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)
      return undefined;
    throw error;
  }
}
