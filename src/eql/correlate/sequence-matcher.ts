import { compareOrder, type OrderKey } from "../ordering.ts";
import { compareJoinKeys, type JoinKey } from "./join-key.ts";

/** An event as the sequence state machine sees it: its place in order and the keys it has per stage. */
export interface SequenceEvent<T> {
  item: T;
  order: OrderKey & { timestamp: bigint };
  /** the time the rule's window is read on, when it is not the order's (SequenceLimits.windowSpanNs) */
  window?: bigint;
  /** per positive stage: the event's join keys if it matches that stage's query, else undefined */
  stageKeys: ReadonlyArray<readonly JoinKey[] | undefined>;
  /** the event's join keys if it matches the `until` query */
  untilKeys?: readonly JoinKey[];
}

export interface CompletedSequence<T> {
  key: JoinKey;
  events: T[];
  orders: OrderKey[];
}

export interface SequenceLimits {
  /** open partial sequences kept at most; beyond, the least recently advanced key is evicted */
  maxOpenPartials: number;
  /**
   * for sequences without maxspan: the longest a sequence may span (ns), as a rule's window
   * bounds what one run can find; partials whose first event is older expire
   */
  horizonNs?: bigint;
  /**
   * the most the window times of a sequence's events may lie apart (ns), for a rule windowed on
   * another time than its order (`timestamp_override`): one run's window holds every event of a
   * match. An event too far from a partial's leaves it for another; partials whose earliest
   * window time falls that far behind the window watermark expire.
   */
  windowSpanNs?: bigint;
}

export interface SequenceStats {
  open: number;
  completed: number;
  /** dropped because the cap on open partials was reached */
  evicted: number;
  /** dropped because maxspan or the horizon had passed */
  expired: number;
  /** dropped by an `until` event */
  untilKilled: number;
}

/**
 * A partial sequence as its last event and the partial it extended: the partials of one key
 * share their earlier events rather than copying them, so that a hit costs the same at any
 * stage (a 256-stage sequence whose every stage one event matches copied 256 × 256 events per
 * event). The lists are built once, when a sequence completes.
 */
interface Partial<T> {
  item: T;
  order: OrderKey;
  previous: Partial<T> | undefined;
  first: bigint;
  /** the earliest and latest window time of its events (with SequenceLimits.windowSpanNs) */
  windowFrom?: bigint;
  windowTo?: bigint;
}

interface KeyState<T> {
  key: JoinKey;
  /** one slot per stage: the most recent partial that has matched stages 0..i */
  slots: Array<Partial<T> | undefined>;
  open: number;
  lastUntil?: OrderKey;
}

export const DEFAULT_MAX_OPEN_PARTIALS = 100_000;

/**
 * Elasticsearch's sequence algorithm, one event at a time in (timestamp, tiebreaker,
 * arrival) order: per join key, one pending partial per stage; a hit for stage i
 * extends the stage i-1 partial (the newest overwrites), stages are tried from the
 * last to the first so one event never fills two stages of one sequence, maxspan is
 * inclusive and measured from the first event, and an `until` event kills the
 * partials of its key that it follows (checked when they would next advance).
 */
export class SequenceMatcher<T> {
  readonly stats: SequenceStats = { open: 0, completed: 0, evicted: 0, expired: 0, untilKilled: 0 };
  private readonly states = new Map<string, KeyState<T>>();
  /**
   * No open partial began before this (ns): a lower bound, exact after each sweep. While the
   * watermark is within the span of it, nothing can expire and expire() walks no key — a
   * walk of every key, every few hundred events, that cost 13 ms per walk at 100k open keys
   * under a long maxspan where nothing ever expires.
   */
  private oldestFirst: bigint | null = null;
  /** where evictOldest goes on from */
  private evictCursor: MapIterator<[string, KeyState<T>]> | undefined;
  /** the longest span a sequence may have (ns): maxspan, else the horizon, else none */
  private readonly spanNs: bigint | undefined;
  /** no open partial has an earlier window time than this (a lower bound, as oldestFirst) */
  private oldestWindow: bigint | null = null;

  constructor(
    private readonly stageCount: number,
    maxspanNs: bigint | null,
    private readonly onComplete: (sequence: CompletedSequence<T>) => void,
    private readonly limits: SequenceLimits = { maxOpenPartials: DEFAULT_MAX_OPEN_PARTIALS },
  ) {
    this.spanNs = maxspanNs ?? limits.horizonNs;
  }

  push(e: SequenceEvent<T>): void {
    const completed: CompletedSequence<T>[] = [];
    const last = this.stageCount - 1;
    for (let stage = last; stage >= 0; stage--) {
      const keys = e.stageKeys[stage];
      if (!keys) continue;
      for (const key of keys) {
        if (stage === 0) {
          if (last === 0) {
            // A single positive term (the rest are missing events): every hit is a sequence.
            this.stats.completed++;
            completed.push({ key, events: [e.item], orders: [e.order] });
          } else {
            this.start(key, e);
          }
          continue;
        }
        const state = this.states.get(key.id);
        const previous = state?.slots[stage - 1];
        if (!state || !previous) continue;
        // no run's window holds both: the partial waits for another event
        const windowed = this.limits.windowSpanNs !== undefined;
        if (windowed && !this.inOneWindow(previous, e.window)) continue;
        this.take(state, stage - 1);
        if (state.lastUntil && compareOrder(state.lastUntil, previous.order) >= 0) {
          this.stats.untilKilled++;
          this.dropIfEmpty(state);
          continue;
        }
        if (this.spanNs !== undefined && e.order.timestamp - previous.first > this.spanNs) {
          this.stats.expired++;
          this.dropIfEmpty(state);
          continue;
        }
        const next: Partial<T> = { item: e.item, order: e.order, previous, first: previous.first };
        if (windowed) widen(next, previous, e.window);
        if (stage === last) {
          this.stats.completed++;
          completed.push(completedSequence(state.key, next, this.stageCount));
        } else {
          this.put(state, stage, next);
        }
        if (state.open > 0) this.touch(state);
        else this.dropIfEmpty(state);
      }
    }
    if (e.untilKeys) {
      for (const key of e.untilKeys) {
        const state = this.states.get(key.id);
        if (state) state.lastUntil = e.order;
      }
    }
    if (completed.length > 1) completed.sort((a, b) => compareJoinKeys(a.key, b.key));
    for (const c of completed) this.onComplete(c);
  }

  /**
   * Drops what can no longer complete once no event before `watermark` (ns) can arrive, nor
   * one whose window time is before `windowWatermark`: partials older than maxspan (or the
   * horizon) or than the window span, and keys left empty.
   */
  expire(watermark: bigint, windowWatermark?: bigint): void {
    const span = this.spanNs;
    const windowSpan = this.limits.windowSpanNs;
    const byOrder = span !== undefined && this.oldestFirst !== null && watermark - this.oldestFirst > span;
    const byWindow =
      windowSpan !== undefined &&
      windowWatermark !== undefined &&
      this.oldestWindow !== null &&
      windowWatermark - this.oldestWindow > windowSpan;
    if (!byOrder && !byWindow) return;
    let oldest: bigint | null = null;
    let oldestWindow: bigint | null = null;
    for (const [id, state] of this.states) {
      for (let i = 0; i < state.slots.length; i++) {
        const p = state.slots[i];
        if (!p) continue;
        const late =
          (span !== undefined && watermark - p.first > span) ||
          (windowSpan !== undefined &&
            windowWatermark !== undefined &&
            p.windowFrom !== undefined &&
            windowWatermark - p.windowFrom > windowSpan);
        if (late) {
          this.take(state, i);
          this.stats.expired++;
          continue;
        }
        if (oldest === null || p.first < oldest) oldest = p.first;
        if (p.windowFrom !== undefined && (oldestWindow === null || p.windowFrom < oldestWindow))
          oldestWindow = p.windowFrom;
      }
      if (state.open === 0) this.states.delete(id);
    }
    this.oldestFirst = oldest;
    this.oldestWindow = oldestWindow;
  }

  /** Whether an event of window time `window` lies within the window span of the partial's events. */
  private inOneWindow(partial: Partial<T>, window: bigint | undefined): boolean {
    const span = this.limits.windowSpanNs!;
    if (window === undefined || partial.windowFrom === undefined) return true;
    const from = window < partial.windowFrom ? window : partial.windowFrom;
    const to = window > partial.windowTo! ? window : partial.windowTo!;
    return to - from <= span;
  }

  /** Open partial sequences right now. */
  get openPartials(): number {
    return this.stats.open;
  }

  private start(key: JoinKey, e: SequenceEvent<T>): void {
    let state = this.states.get(key.id);
    if (!state) {
      state = { key, slots: new Array(this.stageCount), open: 0 };
      this.states.set(key.id, state);
    }
    const partial: Partial<T> = {
      item: e.item,
      order: e.order,
      previous: undefined,
      first: e.order.timestamp,
    };
    if (this.limits.windowSpanNs !== undefined) widen(partial, {}, e.window);
    this.put(state, 0, partial);
    this.touch(state);
  }

  private put(state: KeyState<T>, stage: number, partial: Partial<T>): void {
    if (!state.slots[stage]) {
      state.open++;
      this.stats.open++;
    }
    state.slots[stage] = partial;
    if (this.oldestFirst === null || partial.first < this.oldestFirst) this.oldestFirst = partial.first;
    const from = partial.windowFrom;
    if (from !== undefined && (this.oldestWindow === null || from < this.oldestWindow))
      this.oldestWindow = from;
    if (this.stats.open > this.limits.maxOpenPartials) this.evictOldest(state);
  }

  private take(state: KeyState<T>, stage: number): void {
    if (state.slots[stage]) {
      state.slots[stage] = undefined;
      state.open--;
      this.stats.open--;
    }
  }

  /** A key left without partials goes at once: expire() may not walk the keys for a long time. */
  private dropIfEmpty(state: KeyState<T>): void {
    if (state.open === 0) this.states.delete(state.key.id);
  }

  /** Keeps the map in least-recently-advanced order, so eviction takes the stalest key. */
  private touch(state: KeyState<T>): void {
    this.states.delete(state.key.id);
    this.states.set(state.key.id, state);
  }

  /**
   * Evicts from the front of the map, where the stalest keys are, through one iterator kept
   * between calls: a fresh one would step over every entry deleted at the front since the map
   * was last compacted (evictions, and the deletes of touch()) — up to one per key, ~190 µs per
   * event at the cap. Behind the cursor is nothing but `keep`s, which touch() moves to the end.
   */
  private evictOldest(keep: KeyState<T>): void {
    let fresh = false;
    for (;;) {
      if (!this.evictCursor) {
        if (fresh) return;
        this.evictCursor = this.states.entries();
        fresh = true;
      }
      const next = this.evictCursor.next();
      if (next.done) {
        this.evictCursor = undefined;
        continue;
      }
      const [id, state] = next.value;
      if (state === keep) continue;
      this.stats.evicted += state.open;
      this.stats.open -= state.open;
      this.states.delete(id);
      if (this.stats.open <= this.limits.maxOpenPartials) return;
    }
  }
}

function completedSequence<T>(key: JoinKey, last: Partial<T>, stages: number): CompletedSequence<T> {
  const events = new Array<T>(stages);
  const orders = new Array<OrderKey>(stages);
  let at: Partial<T> | undefined = last;
  for (let i = stages - 1; i >= 0 && at; i--, at = at.previous) {
    events[i] = at.item;
    orders[i] = at.order;
  }
  return { key, events, orders };
}

/** Sets the window times of `next`: those of `previous`'s events and of one more (none known stays none). */
function widen(
  next: { windowFrom?: bigint; windowTo?: bigint },
  previous: { windowFrom?: bigint; windowTo?: bigint },
  window: bigint | undefined,
): void {
  const { windowFrom: from, windowTo: to } = previous;
  next.windowFrom = window !== undefined && (from === undefined || window < from) ? window : from;
  next.windowTo = window !== undefined && (to === undefined || window > to) ? window : to;
}
