import type { EventOrigin } from "../engine/detection-engine.ts";
import type { Event } from "../eql/field-access.ts";
import type { HttpError } from "./es-error.ts";

/** One event as it entered the service, with where it came from (its index, its `_id`). */
export interface IngestItem {
  event: Event;
  origin: EventOrigin;
}

/**
 * The events of one request (a `_bulk` body, an `/ingest` upload) or of one replayed
 * write-ahead-log record: the unit that is accepted, queued and run through the rules
 * together. A request is answered once its batch is accepted; `processed` says when
 * the rules have seen it and its alerts were handed to every sink (`?refresh=wait_for`,
 * and the write-ahead log's checkpoint).
 */
export class IngestBatch {
  readonly processed: Promise<void>;
  private settle!: () => void;

  constructor(
    readonly items: readonly IngestItem[],
    /** `bulk`, `ingest`, `replay`, … for logs and metrics */
    readonly source: string,
    /** when the request arrived (ms since the epoch) */
    readonly receivedAt: number = Date.now(),
  ) {
    this.processed = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  /** Called by the pipeline once the batch's alerts are delivered (or given up on) by every sink. */
  markProcessed(): void {
    this.settle();
  }
}

/**
 * The step between parsing a request and queueing its events, awaited before the
 * request is answered: the write-ahead log goes here, so an acknowledged event
 * survives a crash. It may reject to refuse the batch (the request then fails with a
 * 503 and nothing is queued). The default accepts everything at once.
 */
export type AcceptStep = (batch: IngestBatch) => Promise<void>;

export const acceptAll: AcceptStep = async () => {};

/**
 * Where accepted events go when the rules do not run in this process (an ingest node of a NATS
 * deployment, whose workers run them): `accept` hands a batch over and resolves once it is safe
 * there; the batch is then done here, never queued for local rules. `refusal` is asked before a
 * request's body is read: an answer to refuse it with at once (a full publish window), or none.
 * A larger event than `maxEventBytes` fails alone (a bulk item, an /ingest line), rather than
 * the request.
 */
export interface Handoff {
  accept: AcceptStep;
  refusal(): HttpError | undefined;
  /** the largest event (bytes of its JSON) it can take, when it has such a limit */
  maxEventBytes?(): number | undefined;
}
