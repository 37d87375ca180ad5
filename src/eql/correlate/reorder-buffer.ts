import { compareOrder, type OrderKey } from "../ordering.ts";
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
  private readonly heap: T[] = [];
  /**
   * Whether `heap` is still in arrival order, not yet a heap: until an item must be released
   * before the end — never, in a batch, whose lateness is unbounded — items are only
   * appended, and put in order by one sort at the end, which input already almost in order
   * makes cheap.
   */
  private appending = true;
  /** the oldest timestamp held while appending, to know when one must be released */
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
    return this.heap.length + this.spilled;
  }

  /** items held in memory */
  get held(): number {
    return this.heap.length;
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
      this.heap.push(item);
      this.spillTo.budget.hold(this);
      return;
    }
    const watermark = this.watermark!;
    if (this.appending) {
      if (this.oldest === null || item.order.timestamp < this.oldest) this.oldest = item.order.timestamp;
      this.heap.push(item);
      if (this.oldest > watermark && this.heap.length <= this.capacity) return;
      this.heapify();
    } else {
      this.heap.push(item);
      this.up(this.heap.length - 1);
    }
    while (
      this.heap.length &&
      (this.heap[0].order.timestamp <= watermark || this.heap.length > this.capacity)
    ) {
      if (this.heap[0].order.timestamp > watermark) this.forced++;
      this.emit();
    }
  }

  /** Releases everything: the end of the input. */
  flush(): void {
    if (this.appending) {
      const items = this.heap.splice(0).sort(byOrder);
      this.spillTo?.budget.let(items.length);
      this.oldest = null;
      const release = (item: T) => {
        this.released = item.order;
        this.release(item);
      };
      if (this.runs.length === 0) {
        for (const item of items) release(item);
        return;
      }
      const file = this.runFile!;
      try {
        mergeSorted([...this.runs.map((run) => file.read(run)), items.values()], byOrder, release);
      } finally {
        this.runs.length = 0;
        this.spilled = 0;
        file.delete();
        this.runFile = undefined;
      }
      return;
    }
    while (this.heap.length) this.emit();
  }

  /** Writes what is held in memory to disk as one sorted run (see ReorderSpill). */
  spill(): void {
    if (!this.spillTo || this.heap.length === 0) return;
    // written before it is let go: a write that fails loses nothing
    this.heap.sort(byOrder);
    this.runFile ??= this.spillTo.budget.file(this.spillTo.codec);
    this.runs.push(this.runFile.write(this.heap));
    const written = this.heap.length;
    this.heap.length = 0;
    this.spilled += written;
    this.spillTo.budget.let(written);
  }

  /** From appending to a heap, for good: an item must be released before the end. */
  private heapify(): void {
    this.appending = false;
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private emit(): void {
    const top = this.heap[0];
    const last = this.heap.pop()!;
    if (this.heap.length) {
      this.heap[0] = last;
      this.down(0);
    }
    this.released = top.order;
    this.release(top);
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (compareOrder(h[i].order, h[parent].order) >= 0) return;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && compareOrder(h[l].order, h[m].order) < 0) m = l;
      if (r < h.length && compareOrder(h[r].order, h[m].order) < 0) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}

const byOrder = (a: { order: OrderKey }, b: { order: OrderKey }) => compareOrder(a.order, b.order);
