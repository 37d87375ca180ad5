import type { SequenceQuery } from "../ast.ts";
import type { OrderKey } from "../ordering.ts";
import { timeUnitToNanos } from "../timestamp.ts";
import type { JoinKey } from "./join-key.ts";
import { type MissingLayout, missingLayout, survivesMissing } from "./missing-events.ts";
import {
  type CompletedSequence,
  DEFAULT_MAX_OPEN_PARTIALS,
  SequenceMatcher,
  type SequenceStats,
} from "./sequence-matcher.ts";

type Ordered = OrderKey & { timestamp: bigint };

/** An event that matched some query of a sequence: its keys per (written) term, and for `until`. */
export interface TermHit<T> {
  item: T;
  order: Ordered;
  /** the time the rule's window is read on, when it is not the order's (SequenceLimits.windowSpanNs) */
  window?: bigint;
  terms: ReadonlyArray<readonly JoinKey[] | undefined>;
  until?: readonly JoinKey[];
}

/** The shape of a sequence after `runs` expansion: which terms are positive and where the missing ones sit. */
export interface SequencePlan {
  /** per expanded term: the written term it came from, and whether it is a missing event */
  expanded: Array<{ term: number; missing: boolean }>;
  /** written term index of each positive stage */
  positiveTerms: number[];
  layout: MissingLayout;
  hasMissing: boolean;
  maxspanNs: bigint | null;
}

export function sequencePlan(query: SequenceQuery): SequencePlan {
  const expanded = query.terms.flatMap((t, term) =>
    Array.from({ length: t.runs }, () => ({ term, missing: t.missing })),
  );
  return {
    expanded,
    positiveTerms: expanded.filter((t) => !t.missing).map((t) => t.term),
    layout: missingLayout(expanded.map((t) => t.missing)),
    hasMissing: expanded.some((t) => t.missing),
    maxspanNs: query.maxspan ? timeUnitToNanos(query.maxspan.value, query.maxspan.unit) : null,
  };
}

/**
 * The plan with a maxspan no longer than the horizon: the missing-event checks and the wait
 * for a trailing missing event go by the span the sequence may have, as its expiry does.
 */
function withinHorizon(plan: SequencePlan, horizonNs: bigint | undefined): SequencePlan {
  if (horizonNs === undefined || plan.maxspanNs === null || plan.maxspanNs <= horizonNs) return plan;
  return { ...plan, maxspanNs: horizonNs };
}

export interface SequenceRunnerOptions {
  maxOpenPartials?: number;
  /**
   * the longest a sequence may span, whatever its maxspan: a shorter one takes its place
   * (the rule's window, when run as a rule in a stream)
   */
  horizonNs?: bigint;
  /** events kept per missing term for the missing-event checks */
  maxMissingBuffered?: number;
  /**
   * the most the window times of a sequence's events may lie apart (TermHit.window): a rule
   * windowed on another time than its order (`timestamp_override`), as one run's window holds them
   */
  windowSpanNs?: bigint;
}

export interface SequenceRunnerStats extends SequenceStats {
  /** completed chains waiting for the time after them to pass (trailing missing events) */
  deferred: number;
  /** chains rejected because a missing event happened */
  rejectedByMissing: number;
  /** missing-term events dropped because the buffer was full */
  missingDropped: number;
}

/**
 * Runs one sequence query over term hits that arrive in order — the same code for
 * a batch search (sorted input, then finish) and a stream (behind a reorder
 * buffer, with advance() as the watermark moves). Memory is bounded: partials
 * expire with maxspan or the horizon and are capped; missing-event buffers keep
 * only what a check can still need.
 */
export class SequenceRunner<T> {
  private readonly plan: SequencePlan;
  private readonly matcher: SequenceMatcher<T>;
  private readonly missingHits = new Map<number, Map<string, Ordered[]>>();
  private readonly deferred: Array<CompletedSequence<T> & { decideAt: bigint }> = [];
  private missingBuffered = 0;
  private pushed = 0;
  readonly stats: SequenceRunnerStats;

  constructor(
    plan: SequencePlan,
    private readonly emit: (sequence: CompletedSequence<T>) => void,
    private readonly options: SequenceRunnerOptions = {},
  ) {
    this.plan = withinHorizon(plan, options.horizonNs);
    this.matcher = new SequenceMatcher<T>(
      plan.positiveTerms.length,
      this.plan.maxspanNs,
      (c) => this.completed(c),
      {
        maxOpenPartials: options.maxOpenPartials ?? DEFAULT_MAX_OPEN_PARTIALS,
        horizonNs: options.horizonNs,
        windowSpanNs: options.windowSpanNs,
      },
    );
    for (const { term, missing } of plan.expanded) if (missing) this.missingHits.set(term, new Map());
    this.stats = Object.assign(this.matcher.stats, { deferred: 0, rejectedByMissing: 0, missingDropped: 0 });
  }

  push(hit: TermHit<T>): void {
    for (const [term, byKey] of this.missingHits) {
      for (const key of hit.terms[term] ?? []) this.bufferMissing(byKey, key.id, hit.order);
    }
    this.matcher.push({
      item: hit.item,
      order: hit.order,
      window: hit.window,
      stageKeys: this.plan.positiveTerms.map((t) => hit.terms[t]),
      untilKeys: hit.until,
    });
    // Expiry walks every key, so it runs now and then rather than per event.
    if (++this.pushed % 1024 === 0) this.advance(hit.order.timestamp);
  }

  /**
   * No event older than `watermark` (ns) will arrive, nor one whose window time is older than
   * `windowWatermark`: decide what waited on it and drop what cannot complete.
   */
  advance(watermark: bigint, windowWatermark?: bigint): void {
    this.matcher.expire(watermark, windowWatermark);
    if (this.deferred.length) {
      const ready = this.deferred.filter((d) => d.decideAt < watermark);
      if (ready.length) {
        this.removeDeferred(ready);
        for (const d of ready) this.decide(d);
      }
    }
    const span = this.plan.maxspanNs;
    if (span !== null && this.missingBuffered) this.pruneMissing(watermark - 2n * span);
  }

  /** The end of the input: every deferred chain is decided with what was seen. */
  finish(): void {
    const all = this.deferred.splice(0);
    this.stats.deferred = 0;
    for (const d of all) this.decide(d);
  }

  get openPartials(): number {
    return this.matcher.openPartials;
  }

  private completed(c: CompletedSequence<T>): void {
    if (!this.plan.hasMissing) {
      this.emit(c);
      return;
    }
    if (this.plan.layout.trailing.length) {
      // Whether a trailing missing event shows up is known only once maxspan has passed.
      const start = c.orders[0].timestamp as bigint;
      this.deferred.push({ ...c, decideAt: start + (this.plan.maxspanNs ?? 0n) });
      this.stats.deferred++;
      return;
    }
    this.decide(c);
  }

  private decide(c: CompletedSequence<T>): void {
    const chain = c.orders as Ordered[];
    const matches = (expandedTerm: number, keyId: string) =>
      this.missingHits.get(this.plan.expanded[expandedTerm].term)?.get(keyId) ?? [];
    if (survivesMissing(this.plan.layout, chain, c.key.id, matches, this.plan.maxspanNs!)) this.emit(c);
    else this.stats.rejectedByMissing++;
  }

  private removeDeferred(done: unknown[]): void {
    const gone = new Set(done);
    let w = 0;
    for (const d of this.deferred) if (!gone.has(d)) this.deferred[w++] = d;
    this.deferred.length = w;
    this.stats.deferred = w;
  }

  private bufferMissing(byKey: Map<string, Ordered[]>, keyId: string, order: Ordered): void {
    if (this.missingBuffered >= (this.options.maxMissingBuffered ?? 1_000_000)) {
      this.stats.missingDropped++;
      return;
    }
    const list = byKey.get(keyId);
    if (list) list.push(order);
    else byKey.set(keyId, [order]);
    this.missingBuffered++;
  }

  private pruneMissing(before: bigint): void {
    for (const byKey of this.missingHits.values()) {
      for (const [keyId, list] of byKey) {
        let drop = 0;
        while (drop < list.length && list[drop].timestamp < before) drop++;
        if (drop === 0) continue;
        this.missingBuffered -= drop;
        if (drop === list.length) byKey.delete(keyId);
        else list.splice(0, drop);
      }
    }
  }
}
