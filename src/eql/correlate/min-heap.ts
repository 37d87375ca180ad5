/**
 * A binary min-heap by `compare` (negative: the first argument comes out first), over an array
 * it takes as its own: items gathered in a plain array become a heap in linear time.
 */
export class MinHeap<T> {
  constructor(
    private readonly compare: (a: T, b: T) => number,
    private readonly items: T[] = [],
  ) {
    for (let i = (items.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    let i = items.length;
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.compare(item, items[parent]) >= 0) break;
      items[i] = items[parent];
      i = parent;
    }
    items[i] = item;
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      this.down(0);
    }
    return top;
  }

  /** The first item replaced by `item`, the order restored: a pop and a push in one pass. */
  replaceTop(item: T): void {
    this.items[0] = item;
    this.down(0);
  }

  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    const item = items[i];
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.compare(items[right], items[left]) < 0 ? right : left;
      if (this.compare(items[child], item) >= 0) break;
      items[i] = items[child];
      i = child;
    }
    items[i] = item;
  }
}
