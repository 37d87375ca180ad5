import type { Pipe } from "./ast.ts";
import { MinHeap } from "./correlate/min-heap.ts";

/**
 * What a search returns of its sorted matches (or sequences): `| head N` and `| tail N` apply
 * in order; then `size` keeps the first or last, in the direction of the first pipe, else of
 * `result_position`.
 */
export function applyLimits<T>(
  items: T[],
  pipes: readonly Pipe[],
  size: number,
  position: "head" | "tail",
): T[] {
  let out = items;
  for (const pipe of pipes) out = take(out, pipe.count, pipe.name);
  return take(out, size, pipes.length ? pipes[0].name : position);
}

/**
 * How many results `size` and the pipes leave of a long enough list (each cuts to its count), or,
 * `size` being a list's length, how many the pipes leave of it.
 */
export function mostResults(pipes: readonly Pipe[], size: number): number {
  return pipes.reduce((most, pipe) => Math.min(most, pipe.count), size);
}

function take<T>(items: T[], n: number, from: "head" | "tail"): T[] {
  if (items.length <= n) return items;
  return from === "head" ? items.slice(0, n) : items.slice(items.length - n);
}

/**
 * Where a search's results can come from in its sorted matches (or sequences): `| head N` and
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
 * The same, as narrow as the pipes allow: while they cut from the side of the first, each keeps
 * a prefix (or suffix) of the one before, and `size` one of the last, so the results are among
 * the smallest count of them; a pipe from the other side needs all the first ones kept (which
 * of them it keeps depends on how many there are).
 */
export function narrowestWindow(
  pipes: readonly Pipe[],
  size: number,
  position: "head" | "tail",
): ResultWindow {
  const [first] = pipes;
  if (!first) return { count: size, from: position };
  let count = first.count;
  for (const pipe of pipes) {
    if (pipe.name !== first.name) return { count, from: first.name };
    count = Math.min(count, pipe.count);
  }
  return { count: Math.min(count, size), from: first.name };
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
  return take(selections.flatMap((s) => s.sorted()).sort(compare), window.count, window.from);
}
