import { HttpError, queueFull } from "./es-error.ts";
import { type AcceptStep, IngestBatch, type IngestItem } from "./ingest-batch.ts";
import type { IngestQueue } from "./ingest-queue.ts";

/**
 * How parsed requests enter the pipeline: room in the queue for every event or a 429,
 * then the accept step (the write-ahead log), then the queue. The HTTP answer is sent
 * only after `submit` resolves, so an acknowledged event has been accepted.
 */
export class Intake {
  constructor(
    private readonly queue: IngestQueue,
    private readonly accept: AcceptStep,
  ) {}

  /** Before reading a body: a full queue refuses at once, without reading what would be refused. */
  checkRoom(): void {
    if (this.queue.isFull()) throw queueFull(this.queue.capacity);
  }

  async submit(items: IngestItem[], source: string, receivedAt: number): Promise<IngestBatch> {
    const batch = new IngestBatch(items, source, receivedAt);
    if (items.length === 0) {
      batch.markProcessed();
      return batch;
    }
    const room = this.queue.reserve(items.length);
    if (!room) {
      if (this.queue.closed) throw new HttpError(503, "node_closed_exception", "eqlite is shutting down");
      throw queueFull(this.queue.capacity);
    }
    try {
      await this.accept(batch);
    } catch (error) {
      room.cancel();
      // an accept step may choose the answer itself (a full write-ahead log is a 429, too big a batch a 413)
      if (error instanceof HttpError) throw error;
      throw new HttpError(
        503,
        "unavailable_shards_exception",
        `the events could not be accepted: ${(error as Error).message ?? error}`,
      );
    }
    room.commit(batch);
    return batch;
  }
}
