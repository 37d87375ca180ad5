import { isFutureDated } from "../engine/future-dated.ts";
import type { Event } from "../eql/field-access.ts";
import type { IngestItem } from "./ingest-batch.ts";
import { type RuleReach, reachKey, reachTime } from "./rule-reach.ts";
import type { PublishProgress } from "./sink-fanout.ts";

/** A rule's reach with what it holds now (DetectionEngine.activity). */
export interface RuleHolding extends RuleReach {
  buffered: number;
  openSequences: number;
  deferred: number;
  sampleKeys: number;
}

export interface PlannerOptions {
  /** where this run starts: the log's checkpoint when it was opened */
  startSeq: number;
  allowedLatenessMs: number;
  /** how long a rule's reorder buffer may keep the checkpoint back before its events are released */
  maxHoldMs: number;
  /** the engine's wall clock (ms): events dated far ahead of it are none of the rules' (future-dated.ts) */
  clock?: () => number;
}

/**
 * What keeps the checkpoint where it is, for an operator whose log is full: a rule's open
 * sequences (the log must hold its reach of events: raise its size), events the rules have
 * not seen yet, or alerts not yet taken by every sink (the rules or a sink are slower than
 * the input).
 */
export type CheckpointHolder =
  | { by: "rule"; rule_id: string; holds: "sequences" | "held events"; seq: number }
  | { by: "pipeline"; seq: number }
  | { by: "sinks"; seq: number };

interface TrackedBatch {
  first: number;
  last: number;
  /** per timestamp field, the newest value among the batch's events (ns); null when none has one */
  newest: Map<string, bigint | null>;
  processed: boolean;
}

/**
 * Where the write-ahead log's checkpoint may go: the lowest seq that a restart must
 * replay so that it gives the alerts the uninterrupted run would have given.
 *
 * The engine cannot say which events its streams hold, only how many, so the rule is
 * conservative, per rule, judged between two looks (ticks):
 *
 * 1. A rule that holds nothing — no event waiting for order, no partial sequence, no
 *    deferred chain, no sample key — needs no event already processed.
 * 2. A rule that holds only partial sequences needs no event older than the newest
 *    event seen minus the allowed lateness minus its reach (maxspan; twice that with
 *    missing events; the rule window for sequences without maxspan and for samples):
 *    no event can join it any more. This assumes what `--allowed-lateness` promises,
 *    that no event arrives later than that behind the newest one; one that does may be
 *    judged differently after a restart. An event dated ahead of the clock beyond the
 *    engine's tolerance is not the newest: the rules left it out, and their sequences
 *    still need what came before it.
 * 3. A rule with events waiting in a reorder buffer, or chains waiting for time to
 *    pass, may release them with alerts about events of any age: it keeps the bound it
 *    had when last judged. A buffer that never empties (events reach the rule without
 *    matching its terms, so it never falls idle) would keep the log from ever being
 *    trimmed: after `maxHoldMs` its held events are released, as an idle flush does.
 *
 * The lowest bound over the rules and the first unprocessed batch is a candidate. It
 * becomes the checkpoint once every alert published before it was computed has been
 * taken by every sink; never when a sink gave up on one of them (the next start
 * replays those events and writes the alerts again).
 */
export class CheckpointPlanner {
  /** batches not yet passed by the checkpoint, in seq order */
  private readonly batches: TrackedBatch[] = [];
  private readonly byFirst = new Map<number, TrackedBatch>();
  /** per timestamp field, the newest value among processed batches (ns) */
  private readonly newestSeen = new Map<string, bigint>();
  /** per rule, the lowest seq it may still need, as last judged */
  private readonly needed = new Map<string, number>();
  /** per rule whose reorder buffer holds events: since when (wall clock, ms) */
  private readonly heldSince = new Map<string, number>();
  private readonly getters = new Map<string, (event: Event) => bigint | null>();
  private candidates: Array<{ seq: number; epoch: number }> = [];
  private holder: CheckpointHolder | null = null;
  private processedEnd: number;
  private lastFirstUnprocessed: number;
  private safe: number;
  private readonly latenessNs: bigint;

  constructor(private readonly options: PlannerOptions) {
    this.processedEnd = options.startSeq;
    this.lastFirstUnprocessed = options.startSeq;
    this.safe = options.startSeq;
    this.latenessNs = BigInt(Math.round(options.allowedLatenessMs)) * 1_000_000n;
  }

  /** The last checkpoint planned. */
  get checkpoint(): number {
    return this.safe;
  }

  /** What held the checkpoint back at the last look; null when it reached every event seen. */
  get heldBy(): CheckpointHolder | null {
    return this.holder;
  }

  /** Batches accepted and not yet passed by the checkpoint. */
  get outstanding(): number {
    return this.batches.length;
  }

  /**
   * An accepted (or replayed) batch of seqs first..last; `fields`: the timestamp fields the rules
   * reach on, as reach keys (orderingFields). An event's date is judged against when it was received, as the rules judge it
   * (EventOrigin.receivedAt), else the clock now.
   */
  track(first: number, last: number, items: readonly IngestItem[], fields: readonly string[]): void {
    const newest = new Map<string, bigint | null>();
    const clockMs = (this.options.clock ?? Date.now)();
    for (const field of fields) newest.set(field, newestOf(items, this.getter(field), clockMs));
    const batch: TrackedBatch = { first, last, newest, processed: false };
    let at = this.batches.length;
    while (at > 0 && this.batches[at - 1].first > first) at--;
    this.batches.splice(at, 0, batch);
    this.byFirst.set(first, batch);
  }

  /** The rules have seen the batch starting at `first`, and its alerts reached the sinks. */
  processed(first: number): void {
    const batch = this.byFirst.get(first);
    if (!batch || batch.processed) return;
    batch.processed = true;
    this.processedEnd = Math.max(this.processedEnd, batch.last + 1);
    for (const [field, time] of batch.newest) {
      const seen = this.newestSeen.get(field);
      if (time !== null && (seen === undefined || time > seen)) this.newestSeen.set(field, time);
    }
  }

  /**
   * Whether some rule's reorder buffer has kept the checkpoint back for `maxHoldMs`; the
   * caller then releases what the buffers hold (Pipeline.releaseHeld), and the clocks start again.
   */
  takeOverdue(rules: readonly RuleHolding[], now: number): boolean {
    let overdue = false;
    for (const r of rules) {
      if (r.buffered === 0 || r.waitsForTime) {
        this.heldSince.delete(r.rule_id);
        continue;
      }
      const since = this.heldSince.get(r.rule_id) ?? now;
      this.heldSince.set(r.rule_id, since);
      if (now - since >= this.options.maxHoldMs) overdue = true;
    }
    if (overdue) this.heldSince.clear();
    return overdue;
  }

  /** Judges the rules now and returns the checkpoint: it only ever moves forward. */
  plan(rules: readonly RuleHolding[], progress: PublishProgress): number {
    const firstUnprocessed = this.firstUnprocessed();
    let lowest = firstUnprocessed;
    let holder: CheckpointHolder | null = this.batches.some((b) => !b.processed)
      ? { by: "pipeline", seq: firstUnprocessed }
      : null;
    const live = new Set<string>();
    for (const r of rules) {
      live.add(r.rule_id);
      const need = this.neededBy(r, firstUnprocessed);
      this.needed.set(r.rule_id, need);
      if (need < lowest) {
        lowest = need;
        const holds = r.buffered > 0 || r.deferred > 0 ? "held events" : "sequences";
        holder = { by: "rule", rule_id: r.rule_id, holds, seq: need };
      }
    }
    for (const id of this.needed.keys()) if (!live.has(id)) this.needed.delete(id);
    this.lastFirstUnprocessed = firstUnprocessed;

    // Alerts published before this look may still be on their way to a sink.
    const dropped = progress.firstDropped;
    const epoch = progress.issued;
    if (dropped === null || epoch < dropped) {
      const last = this.candidates[this.candidates.length - 1];
      if (last && last.epoch === epoch) last.seq = Math.max(last.seq, lowest);
      else this.candidates.push({ seq: lowest, epoch });
    }
    while (
      this.candidates.length > 0 &&
      this.candidates[0].epoch <= progress.settled &&
      (dropped === null || this.candidates[0].epoch < dropped)
    ) {
      this.safe = Math.max(this.safe, this.candidates.shift()!.seq);
    }
    while (this.batches.length > 0 && this.batches[0].last < this.safe) {
      this.byFirst.delete(this.batches.shift()!.first);
    }
    // the rules would let it go further: it waits for the sinks
    if (this.safe < lowest) holder = { by: "sinks", seq: this.safe };
    this.holder = holder;
    return this.safe;
  }

  private neededBy(r: RuleHolding, firstUnprocessed: number): number {
    // A rule first seen now holds only events pushed since the last look.
    const previous = this.needed.get(r.rule_id) ?? this.lastFirstUnprocessed;
    const holds = r.buffered + r.openSequences + r.deferred + r.sampleKeys > 0;
    if (!holds && !r.hiddenState) return firstUnprocessed;
    if (r.buffered > 0 || r.deferred > 0) return previous;
    const key = reachKey(r);
    const newest = this.newestSeen.get(key);
    if (newest === undefined) return previous;
    const from = newest - this.latenessNs - r.reachNs;
    return Math.max(previous, this.firstReaching(key, from, firstUnprocessed));
  }

  /** The first batch with an event at or after `from` (in `field`), or whose times are unknown. */
  private firstReaching(field: string, from: bigint, firstUnprocessed: number): number {
    for (const batch of this.batches) {
      if (batch.first >= firstUnprocessed) break;
      const newest = batch.newest.get(field);
      if (newest === undefined || (newest !== null && newest >= from)) return batch.first;
    }
    return firstUnprocessed;
  }

  private firstUnprocessed(): number {
    for (const batch of this.batches) if (!batch.processed) return batch.first;
    return this.processedEnd;
  }

  private getter(field: string): (event: Event) => bigint | null {
    let get = this.getters.get(field);
    if (!get) {
      get = reachTime(field);
      this.getters.set(field, get);
    }
    return get;
  }
}

function newestOf(
  items: readonly IngestItem[],
  timeOf: (event: Event) => bigint | null,
  clockMs: number,
): bigint | null {
  let newest: bigint | null = null;
  for (const { event, origin } of items) {
    const ns = timeOf(event);
    if (ns !== null && (newest === null || ns > newest) && !isFutureDated(ns, origin.receivedAt ?? clockMs))
      newest = ns;
  }
  return newest;
}
