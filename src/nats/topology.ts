/**
 * The JetStream objects eqlite runs on, their names and how they are created. Every role (ingest,
 * worker, sink, status) calls `openTopology` and gets the same streams and buckets; creating them
 * is idempotent, so whichever process starts first sets them up.
 *
 * Only features of nats-server 2.9 are used (Debian's version): 2.9 silently ignores fields it does
 * not know, so relying on a newer one would fail without an error.
 */
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { type ObjectStore, Objm } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/transport-node";
import { DEFAULT_TOPOLOGY, type TopologyOptions } from "./defaults.ts";

export const EVENTS_STREAM = "EQLITE_EVENTS";
export const EVENTS_SUBJECTS = "eqlite.events.*";
export const ALERTS_STREAM = "EQLITE_ALERTS";
export const ALERTS_SUBJECTS = "eqlite.alerts.>";
export const LEASES_BUCKET = "eqlite-leases";
export const CHECKPOINTS_BUCKET = "eqlite-checkpoints";
export const SNAPSHOTS_STORE = "eqlite-snapshots";
/** Worker heartbeats: one key per live worker, gone one lease TTL after its last beat. */
export const MEMBERS_BUCKET = "eqlite-members";
/** The matches each rule alerted per `interval` window, for `max_signals` across partitions. */
export const SIGNALS_BUCKET = "eqlite-signals";
/** A window's record is kept this long after its last write: longer than any rule's interval. */
const SIGNALS_TTL_MS = 7 * 24 * 3_600_000;

export function eventSubject(partition: number): string {
  return `eqlite.events.${partition}`;
}

/** Rule ids are UUIDs in practice, but a subject token must not hold `.`, `*`, `>` or spaces. */
export function alertSubject(ruleId: string): string {
  return `eqlite.alerts.${ruleId.replace(/[^A-Za-z0-9_-]/g, "_") || "_"}`;
}

export interface Topology {
  options: TopologyOptions;
  js: JetStreamClient;
  jsm: JetStreamManager;
  leases: KV;
  checkpoints: KV;
  snapshots: ObjectStore;
  /** live workers (`MEMBERS_BUCKET`): what each owns and runs, for rebalancing and `eqlite status` */
  members: KV;
  /** `SIGNALS_BUCKET`: see signal-ledger.ts */
  signals: KV;
}

const NANOS_PER_MS = 1_000_000;

export async function openTopology(
  nc: NatsConnection,
  overrides: Partial<TopologyOptions> = {},
): Promise<Topology> {
  const options = { ...DEFAULT_TOPOLOGY, ...overrides };
  const jsm = await jetstreamManager(nc);
  await ensureStream(jsm, {
    name: EVENTS_STREAM,
    subjects: [EVENTS_SUBJECTS],
    num_replicas: options.replicas,
    storage: StorageType.File,
    max_age: options.eventsMaxAgeMs * NANOS_PER_MS,
    max_bytes: options.eventsMaxBytes,
    discard: DiscardPolicy.New,
    duplicate_window: options.eventsDuplicateWindowMs * NANOS_PER_MS,
  });
  await ensureStream(jsm, {
    name: ALERTS_STREAM,
    subjects: [ALERTS_SUBJECTS],
    num_replicas: options.replicas,
    storage: StorageType.File,
    duplicate_window: options.alertsDuplicateWindowMs * NANOS_PER_MS,
  });
  const kvm = new Kvm(nc);
  const leases = await racing(() =>
    kvm.create(LEASES_BUCKET, { ttl: options.leaseTtlMs, history: 1, replicas: options.replicas }),
  );
  const checkpoints = await racing(() =>
    kvm.create(CHECKPOINTS_BUCKET, { history: 1, replicas: options.replicas }),
  );
  const snapshots = await racing(() => new Objm(nc).create(SNAPSHOTS_STORE, { replicas: options.replicas }));
  const members = await racing(() =>
    kvm.create(MEMBERS_BUCKET, { ttl: options.leaseTtlMs, history: 1, replicas: options.replicas }),
  );
  const signals = await racing(() =>
    kvm.create(SIGNALS_BUCKET, { ttl: SIGNALS_TTL_MS, history: 1, replicas: options.replicas }),
  );
  return {
    options,
    js: jetstream(nc, { timeout: 5_000 }),
    jsm,
    leases,
    checkpoints,
    snapshots,
    members,
    signals,
  };
}

/** Create the stream, or bring an existing one's limits in line with this configuration. */
async function ensureStream(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string },
): Promise<void> {
  try {
    await jsm.streams.info(config.name);
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error;
    try {
      await jsm.streams.add(config);
      return;
    } catch (addError) {
      // another process starting at the same moment may have created it since: then update it
      if (!(await streamExists(jsm, config.name))) throw addError;
    }
  }
  await jsm.streams.update(config.name, config);
}

async function streamExists(jsm: JetStreamManager, name: string): Promise<boolean> {
  try {
    await jsm.streams.info(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * Creating a bucket or store that a process starting at the same moment creates too can fail
 * on the race (its stream appears between the check and the add): asked again, it binds to it.
 */
async function racing<T>(create: () => Promise<T>): Promise<T> {
  try {
    return await create();
  } catch (error) {
    if (!(error instanceof JetStreamApiError)) throw error;
    return await create();
  }
}
