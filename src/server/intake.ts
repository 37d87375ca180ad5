import { HttpError, queueFull } from "./es-error.ts";
import { type AcceptStep, type Handoff, IngestBatch, type IngestItem } from "./ingest-batch.ts";
import type { IngestQueue } from "./ingest-queue.ts";

/**
 * How parsed requests enter the pipeline: room in the queue for every event or a 429,
 * then the accept step (the write-ahead log), then the queue. The HTTP answer is sent
 * only after `submit` resolves, so an acknowledged event has been accepted. With a handoff
 * (NATS), the events are handed over instead, and the local queue and rules are not used.
 */
export class Intake {
  constructor(
    private readonly queue: IngestQueue,
    private readonly accept: AcceptStep,
    private readonly handoff?: Handoff,
  ) {}

  /** Before reading a body: a full queue refuses at once, without reading what would be refused. */
  checkRoom(): void {
    if (this.handoff) {
      const refusal = this.handoff.refusal();
      if (refusal) throw refusal;
      return;
    }
    if (this.queue.isFull()) throw queueFull(this.queue.capacity);
  }

  async submit(items: IngestItem[], source: string, receivedAt: number): Promise<IngestBatch> {
    const batch = new IngestBatch(items, source, receivedAt);
    if (items.length === 0) {
      batch.markProcessed();
      return batch;
    }
    if (this.handoff) {
      if (this.queue.closed) throw new HttpError(503, "node_closed_exception", "eqlite is shutting down");
      await acceptOrRefuse(this.handoff.accept, batch);
      // the rules run elsewhere: for `?refresh=wait_for`, stored there is as far as this node sees
      batch.markProcessed();
      return batch;
    }
    const room = this.queue.reserve(items.length);
    if (!room) {
      if (this.queue.closed) throw new HttpError(503, "node_closed_exception", "eqlite is shutting down");
      throw queueFull(this.queue.capacity);
    }
    try {
      await acceptOrRefuse(this.accept, batch);
    } catch (error) {
      room.cancel();
      throw error;
    }
    room.commit(batch);
    return batch;
  }
}

async function acceptOrRefuse(accept: AcceptStep, batch: IngestBatch): Promise<void> {
  try {
    await accept(batch);
  } catch (error) {
    // an accept step may choose the answer itself (a full write-ahead log is a 429, too big a batch a 413)
    if (error instanceof HttpError) throw error;
    throw new HttpError(
      503,
      "unavailable_shards_exception",
      `the events could not be accepted: ${(error as Error).message ?? error}`,
    );
  }
}
