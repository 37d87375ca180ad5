import type { EventOrigin } from "../engine/detection-engine.ts";
import type { Event } from "../eql/field-access.ts";
import { IngestBatch, type IngestItem } from "./ingest-batch.ts";
import type { WriteAheadLog } from "./wal.ts";

/** What the accept step writes to the log for each event: the event, where it came from and when it came (in its origin). */
export interface WalItem {
  event: Event;
  origin: EventOrigin;
}

export interface ReplayedBatch {
  batch: IngestBatch;
  firstSeq: number;
  lastSeq: number;
}

/**
 * The log's events from its checkpoint, as batches for the pipeline, in seq order:
 * exactly what was accepted, with the origin (index, `_id`) it was accepted with, so
 * the same matches give the same alert ids. An entry that is not an event with its
 * origin (damage the checksum missed) is passed to `onSkipped` and left out.
 */
export async function* replayBatches(
  wal: WriteAheadLog,
  batchSize: number,
  onSkipped: (seq: number) => void,
): AsyncGenerator<ReplayedBatch> {
  let items: IngestItem[] = [];
  let firstSeq = 0;
  let lastSeq = 0;
  for await (const { seq, event: entry } of wal.replay()) {
    if (!isWalItem(entry)) {
      onSkipped(seq);
      continue;
    }
    if (items.length === 0) firstSeq = seq;
    lastSeq = seq;
    items.push({ event: entry.event, origin: replayedOrigin(entry.origin) });
    if (items.length >= batchSize) {
      yield { batch: new IngestBatch(items, "replay"), firstSeq, lastSeq };
      items = [];
    }
  }
  if (items.length > 0) yield { batch: new IngestBatch(items, "replay"), firstSeq, lastSeq };
}

/**
 * The origin as accepted. Its receive time is what the rules judge the event's date against, as
 * the live run did; a log written before it was kept has none (the replay's clock is used), and
 * one that is not a time is damage, dropped the same way.
 */
function replayedOrigin(origin: EventOrigin): EventOrigin {
  const { receivedAt } = origin;
  if (receivedAt === undefined || (typeof receivedAt === "number" && Number.isFinite(receivedAt)))
    return origin;
  const { receivedAt: _damaged, ...rest } = origin;
  return rest;
}

function isWalItem(entry: unknown): entry is WalItem {
  if (typeof entry !== "object" || entry === null) return false;
  const { event, origin } = entry as Partial<WalItem>;
  return (
    typeof event === "object" &&
    event !== null &&
    !Array.isArray(event) &&
    typeof origin === "object" &&
    origin !== null &&
    typeof origin.source === "string"
  );
}
