import type { Pipe } from "./ast.ts";
import { MinHeap } from "./correlate/min-heap.ts";

/**
 * Where an event query's results can come from in the sorted matches: `| head N` and
 * `| tail N` each keep a prefix or a suffix of what the one before kept, and `size` a prefix
 * or suffix of the last, so every result is among the first (head) or last (tail) `count`
 * matches, those the first limit keeps.
 */
export interface ResultWindow {
  count: number;
  from: "head" | "tail";
}

export function resultWindow(pipes: readonly Pipe[], size: number, position: "head" | "tail"): ResultWindow {
  const [first] = pipes;
  return first ? { count: first.count, from: first.name } : { count: size, from: position };
}

/**
 * The first or last `count` items offered, by `compare`, without holding the others: a search
 * over a large file keeps the matches it may return, not every match. `seen` counts them all.
 */
export class WindowSelection<T> {
  seen = 0;
  private readonly heap: MinHeap<T>;

  constructor(
    readonly window: ResultWindow,
    private readonly compare: (a: T, b: T) => number,
  ) {
    // the item to drop first is at the top: the least of the last N, the greatest of the first N
    this.heap = new MinHeap(window.from === "tail" ? compare : (a, b) => compare(b, a));
  }

  offer(item: T): void {
    this.seen++;
    if (this.window.count === 0) return;
    if (this.heap.size < this.window.count) {
      this.heap.push(item);
      return;
    }
    const top = this.heap.peek() as T;
    const keep = this.window.from === "tail" ? this.compare(item, top) > 0 : this.compare(item, top) < 0;
    if (keep) {
      this.heap.pop();
      this.heap.push(item);
    }
  }

  /** What was kept, in order. */
  sorted(): T[] {
    const items: T[] = [];
    for (let item = this.heap.pop(); item !== undefined; item = this.heap.pop()) items.push(item);
    return items.sort(this.compare);
  }
}

/** The first or last `count` of several selections' items together, in order. */
export function mergeSelections<T>(
  selections: ReadonlyArray<WindowSelection<T>>,
  window: ResultWindow,
  compare: (a: T, b: T) => number,
): T[] {
  const all = selections.flatMap((s) => s.sorted()).sort(compare);
  if (all.length <= window.count) return all;
  return window.from === "head" ? all.slice(0, window.count) : all.slice(all.length - window.count);
}
