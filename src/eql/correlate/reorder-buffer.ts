import { compareOrder, type OrderKey } from "../ordering.ts";
import { MinHeap } from "./min-heap.ts";
import {
  mergeSorted,
  type Run,
  type RunFile,
  type Spillable,
  type SpillBudget,
  type SpillCodec,
} from "./spill.ts";

/** Where a buffer released only at the end of its input writes what its budget cannot hold. */
export interface ReorderSpill<T> {
  budget: SpillBudget;
  codec: SpillCodec<T>;
}

/**
 * A bounded min-heap that turns "almost ordered" input into ordered output: items
 * are released once the watermark (the newest timestamp seen minus the allowed
 * lateness) has passed them. An item older than what was already released is late.
 */
export class ReorderBuffer<T extends { order: OrderKey & { timestamp: bigint } }> implements Spillable {
  /**
   * Items in arrival order, until one must be released before the end — never, in a batch,
   * whose lateness is unbounded: they are put in order by one sort at the end, which input
   * already almost in order makes cheap.
   */
  private pending: T[] = [];
  /** From the first item released before the end on, for good: every item held, in order. */
  private heap: MinHeap<T> | undefined;
  /** the oldest timestamp pending, to know when one must be released */
  private oldest: bigint | null = null;
  private newest: bigint | null = null;
  private released: (OrderKey & { timestamp: bigint }) | null = null;
  /** items that arrived after the watermark had passed them (dropped) */
  late = 0;
  /** releases forced because the buffer was full */
  forced = 0;
  private runFile: RunFile<T> | undefined;
  private readonly runs: Run[] = [];
  private spilled = 0;

  /**
   * With `spillTo`, nothing is released before flush() (a batch, whose lateness is unbounded):
   * past the budget, what is held is written to disk in sorted runs instead of released early,
   * and `capacity` does not apply.
   */
  constructor(
    private readonly allowedLatenessNs: bigint,
    private readonly capacity: number,
    private readonly release: (item: T) => void,
    private readonly spillTo?: ReorderSpill<T>,
  ) {}

  /** items held: in memory and on disk */
  get size(): number {
    return this.held + this.spilled;
  }

  /** items held in memory */
  get held(): number {
    return this.pending.length + (this.heap?.size ?? 0);
  }

  /** The time before which no more events are expected. */
  get watermark(): bigint | null {
    return this.newest === null ? null : this.newest - this.allowedLatenessNs;
  }

  push(item: T): void {
    if (this.released && compareOrder(item.order, this.released) < 0) {
      this.late++;
      return;
    }
    if (this.newest === null || item.order.timestamp > this.newest) this.newest = item.order.timestamp;
    if (this.spillTo) {
      this.pending.push(item);
      this.spillTo.budget.hold(this);
      return;
    }
    const watermark = this.watermark!;
    let heap = this.heap;
    if (heap) heap.push(item);
    else {
      if (this.oldest === null || item.order.timestamp < this.oldest) this.oldest = item.order.timestamp;
      this.pending.push(item);
      if (this.oldest > watermark && this.pending.length <= this.capacity) return;
      heap = this.heap = new MinHeap(byOrder, this.pending);
      this.pending = [];
    }
    while (heap.size && (heap.peek()!.order.timestamp <= watermark || heap.size > this.capacity)) {
      if (heap.peek()!.order.timestamp > watermark) this.forced++;
      this.emit(heap.pop()!);
    }
  }

  /** Releases everything: the end of the input. */
  flush(): void {
    if (this.heap) {
      while (this.heap.size) this.emit(this.heap.pop()!);
      return;
    }
    const items = this.pending.splice(0).sort(byOrder);
    this.spillTo?.budget.let(items.length);
    this.oldest = null;
    if (this.runs.length === 0) {
      for (const item of items) this.emit(item);
      return;
    }
    const file = this.runFile!;
    try {
      mergeSorted([...this.runs.map((run) => file.read(run)), items.values()], byOrder, (item) =>
        this.emit(item),
      );
    } finally {
      this.runs.length = 0;
      this.spilled = 0;
      file.delete();
      this.runFile = undefined;
    }
  }

  /** Writes what is held in memory to disk as one sorted run (see ReorderSpill). */
  spill(): void {
    if (!this.spillTo || this.pending.length === 0) return;
    // written before it is let go: a write that fails loses nothing
    this.pending.sort(byOrder);
    this.runFile ??= this.spillTo.budget.file(this.spillTo.codec);
    this.runs.push(this.runFile.write(this.pending));
    const written = this.pending.length;
    this.pending = [];
    this.spilled += written;
    this.spillTo.budget.let(written);
  }

  private emit(item: T): void {
    this.released = item.order;
    this.release(item);
  }
}

const byOrder = (a: { order: OrderKey }, b: { order: OrderKey }) => compareOrder(a.order, b.order);
