/**
 * `eqlite serve --nats URL`: an ingest node (and alert sink) of a NATS JetStream deployment,
 * plugged into the service as extensions.
 *
 * - Ingest: each request's events go to the events stream, one message per event on its host's
 *   partition subject (`eqlite.events.<p>`), with the document id as message id; the request is
 *   answered once JetStream acknowledged every one. The events are not run through the rules
 *   here: `eqlite worker`s do. Nor do they go to the write-ahead log: the stream, replicated, is
 *   the log, and an acknowledged event is in it.
 * - Answers: no room among the events waiting for JetStream (queue_events) or a full publish
 *   window for too long → 429, as is a full stream (`discard: new`); an event not stored within
 *   the publish timeout (the cluster unreachable, no leader) → 503. Shippers retry both, and a
 *   retried event with its `_id` is stored once.
 * - Alert sink: unless turned off, the alerts stream is read with a durable consumer into this
 *   node's sinks (stdout, files, the store, webhooks), so `GET /api/alerts` shows the cluster's.
 */
import type { Logger } from "pino";
import type { AlertDocument } from "../engine/alert.ts";
import { AlertFeed } from "../nats/alert-feed.ts";
import { connectNats, NatsConnectError } from "../nats/connect.ts";
import { logConnectionChanges } from "../nats/connection-log.ts";
import { setUpAtStart } from "../nats/election-wait.ts";
import { encodeEventMessage } from "../nats/event-message.ts";
import { PublishError, Publisher } from "../nats/publisher.ts";
import { EVENTS_STREAM, openTopology } from "../nats/topology.ts";
import type { NatsSettings } from "./config.ts";
import { HttpError } from "./es-error.ts";
import type { IngestBatch } from "./ingest-batch.ts";
import { natsMetrics } from "./nats-metrics.ts";
import type { Readiness } from "./ops-routes.ts";
import type { ServeExtensions } from "./service.ts";

export interface NatsRole {
  readonly extensions: ServeExtensions;
  readonly publisher: Publisher;
  readonly feed: AlertFeed | undefined;
}

export interface NatsRoleOptions {
  logger: Logger;
  /** events waiting for JetStream at most (serve's queue_events); beyond, 429 */
  maxPendingEvents: number;
}

/** Retry-After (s) for shippers: a full window clears in moments, a full stream when old events age out. */
const RETRY_AFTER = { busy: "1", full: "30", unavailable: "5" };

/** Throws NatsConnectError when the cluster cannot be reached or has no usable JetStream. */
/**
 * What a message adds to the event's JSON as the request had it: headers (three ids of up to
 * 512 bytes, the index) and the `event.ingested` stamp.
 */
const MESSAGE_HEADROOM_BYTES = 2048;

export async function openNatsRole(settings: NatsSettings, options: NatsRoleOptions): Promise<NatsRole> {
  const { logger } = options;
  const nc = await connectNats(settings, "eqlite-serve");
  void logConnectionChanges(nc, logger);
  let topology: Awaited<ReturnType<typeof openTopology>>;
  try {
    topology = await setUpAtStart(nc, settings.replicas, logger, () =>
      openTopology(nc, {
        partitions: settings.partitions,
        replicas: settings.replicas,
        eventsMaxAgeMs: settings.eventsMaxAgeMs,
        eventsMaxBytes: settings.eventsMaxBytes,
        eventsDuplicateWindowMs: settings.eventsDuplicateWindowMs,
        alertsDuplicateWindowMs: settings.alertsDuplicateWindowMs,
      }),
    );
  } catch (error) {
    await nc.close().catch(() => {});
    if (error instanceof NatsConnectError) throw error;
    throw new NatsConnectError(
      `cannot set up the JetStream streams on ${nc.getServer()}: ${(error as Error).message} (is JetStream enabled, with ${settings.replicas} node${settings.replicas === 1 ? "" : "s"} for ${settings.replicas} replica${settings.replicas === 1 ? "" : "s"}?)`,
    );
  }
  const publisher = new Publisher(nc, {
    window: settings.publishWindow,
    ackTimeoutMs: settings.ackTimeoutMs,
    deadlineMs: settings.publishTimeoutMs,
    roomWaitMs: Math.min(settings.ackTimeoutMs, settings.publishTimeoutMs),
  });
  let pendingEvents = 0;
  const tooMany = () =>
    new HttpError(
      429,
      "es_rejected_execution_exception",
      `eqlite: ${pendingEvents} events are waiting for NATS JetStream's acknowledgement (queue_events ${options.maxPendingEvents}); retry later`,
      { "retry-after": RETRY_AFTER.busy },
    );

  const accept = async (batch: IngestBatch) => {
    const events = batch.items.length;
    if (pendingEvents > 0 && pendingEvents + events > options.maxPendingEvents) throw tooMany();
    pendingEvents += events;
    try {
      await publisher.publishBatch(
        batch.items.map(({ event, origin }) => encodeEventMessage(event, origin, settings.partitions)),
      );
    } catch (error) {
      throw answerFor(error);
    } finally {
      pendingEvents -= events;
    }
  };

  let feed: AlertFeed | undefined;
  let deliver: ((alerts: AlertDocument[]) => Promise<boolean>) | undefined;
  if (settings.alerts) {
    feed = new AlertFeed(topology.js, topology.jsm, {
      consumer: settings.alertsConsumer,
      logger,
      deliver: (alerts) => deliver?.(alerts) ?? Promise.resolve(false),
    });
  }

  const readiness = (): Readiness => {
    const stats = publisher.stats;
    const detail = {
      evaluation: `events are published to NATS JetStream (stream ${EVENTS_STREAM}, ${settings.partitions} partitions) and run through the rules by eqlite workers, not here`,
      nats: {
        connected: stats.connected,
        server: nc.getServer(),
        holding: stats.holding,
        alertsConsumer: feed?.consumer ?? null,
      },
    };
    if (!stats.connected)
      return { ready: false, reason: "NATS: not connected, reconnecting (events cannot be stored)", detail };
    if (pendingEvents >= options.maxPendingEvents)
      return {
        ready: false,
        reason: `${pendingEvents} events are waiting for JetStream's acknowledgement`,
        detail,
      };
    return { ready: true, detail };
  };

  logger.info(
    {
      servers: settings.servers,
      server: nc.getServer(),
      stream: EVENTS_STREAM,
      partitions: settings.partitions,
      replicas: settings.replicas,
      alertsConsumer: feed?.consumer ?? null,
    },
    "NATS ingest: accepted events are published to JetStream and answered once stored there; eqlite workers run the rules over them, not this process, and no write-ahead log is kept (the stream is the log)",
  );
  if (!feed) logger.info("NATS alerts: not consumed here (--no-nats-alerts)");

  const extensions: ServeExtensions = {
    handoff: {
      accept,
      refusal: () => (pendingEvents >= options.maxPendingEvents ? tooMany() : undefined),
      maxEventBytes: () => {
        const maxPayload = nc.info?.max_payload;
        return maxPayload ? maxPayload - MESSAGE_HEADROOM_BYTES : undefined;
      },
    },
    readiness,
    attach: ({ fanout }) => {
      if (!feed) return;
      deliver = async (alerts) => (await fanout.publish(alerts)).dropped.length === 0;
      void feed.keepStarting().then((reading) => {
        if (reading)
          logger.info(
            { consumer: feed.consumer },
            "NATS alerts: the cluster's alerts are written to this node's sinks",
          );
      });
    },
    metrics: (out) =>
      natsMetrics(out, {
        connected: publisher.stats.connected,
        publisher: publisher.stats,
        pendingEvents,
        feed: feed && { consumer: feed.consumer, stats: feed.stats, reading: feed.reading },
      }),
    stopping: async () => {
      await feed?.stop();
    },
    close: async () => {
      await publisher.close();
      await nc.drain().catch(() => nc.close());
    },
  };
  return { extensions, publisher, feed };
}

/** The HTTP answer for events JetStream did not take. */
function answerFor(error: unknown): HttpError {
  if (!(error instanceof PublishError)) {
    return new HttpError(
      503,
      "unavailable_shards_exception",
      `eqlite: publishing to NATS failed: ${(error as Error).message ?? error}`,
      { "retry-after": RETRY_AFTER.unavailable },
    );
  }
  const reason = `eqlite: ${error.message}`;
  switch (error.failure) {
    case "busy":
      return new HttpError(429, "es_rejected_execution_exception", `${reason}; retry later`, {
        "retry-after": RETRY_AFTER.busy,
      });
    case "stream-full":
      return new HttpError(429, "es_rejected_execution_exception", `${reason}; retry later`, {
        "retry-after": RETRY_AFTER.full,
      });
    case "too-large":
      return new HttpError(413, "content_too_long_exception", reason);
    default:
      return new HttpError(503, "unavailable_shards_exception", reason, {
        "retry-after": RETRY_AFTER.unavailable,
      });
  }
}
