import { compareOrder, type OrderKey } from "../ordering.ts";

/**
 * A bounded min-heap that turns "almost ordered" input into ordered output: items
 * are released once the watermark (the newest timestamp seen minus the allowed
 * lateness) has passed them. An item older than what was already released is late.
 */
export class ReorderBuffer<T extends { order: OrderKey & { timestamp: bigint } }> {
  private readonly heap: T[] = [];
  private newest: bigint | null = null;
  private released: (OrderKey & { timestamp: bigint }) | null = null;
  /** items that arrived after the watermark had passed them (dropped) */
  late = 0;
  /** releases forced because the buffer was full */
  forced = 0;

  constructor(
    private readonly allowedLatenessNs: bigint,
    private readonly capacity: number,
    private readonly release: (item: T) => void,
  ) {}

  get size(): number {
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
    this.heap.push(item);
    this.up(this.heap.length - 1);
    const watermark = this.watermark!;
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
    while (this.heap.length) this.emit();
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
