import type { IngestBatch } from "./ingest-batch.ts";

/** Room held for a request's events while its accept step runs. */
export interface Reservation {
  /** queues the batch in the room held (its events may be fewer, never more) */
  commit(batch: IngestBatch): void;
  /** gives the room back: the batch was refused */
  cancel(): void;
}

/**
 * The bounded queue between HTTP ingest and the rules, counted in events. A request
 * first reserves room for all its events — all or nothing, so a shipper's batch is
 * either accepted whole or refused whole with a 429 it will retry — then runs its
 * accept step, then commits. A batch larger than the whole queue is let in alone,
 * when the queue is empty, or it could never be.
 */
export class IngestQueue {
  private readonly batches: IngestBatch[] = [];
  private queued = 0;
  private reserved = 0;
  private closing = false;
  private waiter: (() => void) | undefined;
  private roomWaiters: Array<() => void> = [];

  constructor(readonly capacity: number) {}

  /** events queued, not yet taken by the pipeline */
  get depth(): number {
    return this.queued;
  }

  /** events held by reservations whose accept step is still running */
  get pending(): number {
    return this.reserved;
  }

  get closed(): boolean {
    return this.closing;
  }

  /** whether a request of `events` events would be refused now */
  isFull(events = 1): boolean {
    const used = this.queued + this.reserved;
    return used > 0 && used + events > this.capacity;
  }

  reserve(events: number): Reservation | undefined {
    if (this.closing || this.isFull(events)) return undefined;
    this.reserved += events;
    let open = true;
    const release = () => {
      if (!open) return false;
      open = false;
      this.reserved -= events;
      return true;
    };
    return {
      commit: (batch) => {
        if (!release()) return;
        this.push(batch);
      },
      cancel: () => {
        if (release()) this.wakeRoom();
      },
    };
  }

  /** Queues a batch once there is room (replayed batches, which nobody can retry for us). */
  async put(batch: IngestBatch): Promise<void> {
    while (!this.closing && this.isFull(batch.items.length)) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    this.push(batch);
  }

  /** The next batch; undefined once the queue is closed and empty. */
  async take(): Promise<IngestBatch | undefined> {
    for (;;) {
      const batch = this.batches.shift();
      if (batch) {
        this.queued -= batch.items.length;
        this.wakeRoom();
        return batch;
      }
      if (this.closing && this.reserved === 0) return undefined;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  /** No new reservation is granted; what is queued or reserved is still delivered. */
  close(): void {
    this.closing = true;
    this.wake();
    this.wakeRoom();
  }

  private push(batch: IngestBatch): void {
    this.batches.push(batch);
    this.queued += batch.items.length;
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  private wakeRoom(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
    // a closing queue ends once the last reservation is settled
    if (this.closing) this.wake();
  }
}
