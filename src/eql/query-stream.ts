import type { SampleQuery } from "./ast.ts";
import { type PreparedQuery, prepareQuery, type QueryOptions } from "./compile-query.ts";
import type { QueryCompiler } from "./compiler.ts";
import { type JoinKey, joinKeysOf } from "./correlate/join-key.ts";
import { MinHeap } from "./correlate/min-heap.ts";
import { ReorderBuffer, type ReorderSpill } from "./correlate/reorder-buffer.ts";
import { SampleCollector } from "./correlate/sample-collector.ts";
import { SampleWindow } from "./correlate/sample-window.ts";
import { type PackedSequenceHit, type SequenceHit, sequenceHitReader } from "./correlate/sequence-hit.ts";
import { SequenceRunner, type SequenceRunnerStats, sequencePlan } from "./correlate/sequence-runner.ts";
import { compileTerm } from "./correlate/sequence-search.ts";
import type { SpillBudget, SpillCodec } from "./correlate/spill.ts";
import { type HeldTermHit, termHitCodec, unpackTermHit } from "./correlate/term-hit-codec.ts";
import { type EventText, eventJson, parseEventText, type StoredText } from "./event-text.ts";
import type { Event } from "./field-access.ts";
import type { OrderKey } from "./ordering.ts";
import { firstScalar } from "./search.ts";
import type { Source } from "./source.ts";

export interface QueryStreamOptions<Tag = undefined> extends QueryOptions {
  tiebreakerField?: string;
  /** how far behind the newest event an event may arrive and still be put in order (ms) */
  allowedLatenessMs?: number;
  /** events held for reordering at most; beyond, the oldest is released early (counted) */
  maxBuffered?: number;
  /**
   * sequences and samples of a stream: the latest event time (ns) they take, read as each
   * event comes (the wall clock, give or take skew). A later event is counted as `future` and
   * left out: it would move the watermark, which expires partial sequences and makes older
   * events late, as far ahead as it lies.
   */
  latestTime?: () => bigint;
  /** an event left out as later than `latestTime`, with its time (ns) */
  onFuture?: (time: bigint) => void;
  /**
   * sequences: the longest a sequence may span (ms), as a maxspan bounds it; a longer maxspan
   * is cut to it
   */
  horizonMs?: number;
  /** sequences: open partial sequences at most; samples: keys held at most */
  maxOpenPartials?: number;
  /** samples: how many per key (Elasticsearch's `max_samples_per_key`, default 1) */
  maxSamplesPerKey?: number;
  /**
   * samples: report each sample as soon as it exists, over a window of event time this long
   * (ns) that moves with the newest event, as a scheduled rule does (see SampleWindow).
   * Without it, samples are reported when the stream is flushed: the whole input is one window.
   */
  sampleWindowNs?: bigint;
  /**
   * The time (ns) an event's window is read on, when it is not the timestamp field (a rule's
   * `timestamp_override`); null when the event has none. Samples over a window are windowed on
   * it; with `windowSpanNs`, a sequence's events lie within that of each other on it.
   */
  windowTime?: (event: Event) => bigint | null;
  /**
   * sequences with `windowTime`: the most their events' window times may lie apart (ns), as one
   * run's window holds every event of a match
   */
  windowSpanNs?: bigint;
  /**
   * sequences of a batch (unbounded lateness): past the budget, the events held to be put in
   * order are written to disk in sorted runs and merged at the flush, instead of released early
   */
  spill?: StreamSpill<Tag>;
}

/** How a batch sequence stream writes what it holds to disk (see spill.ts). */
export interface StreamSpill<Tag> {
  budget: SpillBudget;
  /** the tag pushed with an event */
  tag: SpillCodec<Tag>;
  /** text kept where it was read; strings and bytes are written as they are */
  storedText?: SpillCodec<StoredText>;
}

/** What a stream reports; `tag` is whatever the caller pushed with the event (its file and line, say). */
export type StreamMatch<Tag = undefined> =
  | { kind: "event"; event: Event; tag: Tag }
  | {
      kind: "sequence";
      joinKeys: JoinKey["values"];
      /** one per term after `runs` expansion; null where a missing event `![...]` stands */
      events: Array<Event | null>;
      tags: Array<Tag | null>;
    };

export interface QueryStreamStats {
  events: number;
  /** events whose evaluation failed (reported through onError) */
  errors: number;
  /** sequence events without a usable timestamp */
  untimed: number;
  /** events that arrived later than the allowed lateness (dropped) */
  late: number;
  /** sequence and sample events dated after `latestTime` (left out) */
  future: number;
  /** events released early because the reorder buffer was full */
  forced: number;
  buffered: number;
  sequences?: SequenceRunnerStats;
  /** sample queries: keys held, and keys refused because the stream held its maximum */
  samples?: { readonly keys: number; readonly droppedKeys: number };
}

export interface QueryStream<Tag = undefined> {
  /**
   * `text`: the JSON the event was parsed from, when the caller has it. A sequence then holds
   * the text rather than the event while the event waits for order or for later stages, and
   * parses it again only if its sequence completes: a batch holds every event a term matches
   * until the input ends, and a string costs the garbage collector far less than the object
   * graph JSON.parse made of it.
   */
  push(event: Event, tag?: Tag, text?: EventText): void;
  /**
   * Sequences only: an event given by its hit, read where it was parsed (see SequenceHit),
   * and its text, which the sequence holds. The same as `push` of the event.
   */
  pushHit?(hit: SequenceHit | PackedSequenceHit | null, tag: Tag, text: EventText): void;
  /** The end of the input: releases what waits for order or for time to pass. */
  flush(): void;
  readonly stats: QueryStreamStats;
}

const MS = 1_000_000n;
const ADVANCE_EVERY = 256;

/**
 * An event or sequence query over an unbounded stream of events. Event queries
 * match as events arrive. Sequences run behind a watermark: events are put back in
 * (timestamp, tiebreaker, arrival) order within the allowed lateness, then go
 * through the same SequenceRunner as a batch search, so both give the same answer.
 */
export function createQueryStream<Tag = undefined>(
  text: string | Source | PreparedQuery,
  options: QueryStreamOptions<Tag>,
  onMatch: (match: StreamMatch<Tag>) => void,
  onError: (error: unknown, event: Event) => void = () => {},
): QueryStream<Tag> {
  // A prepared query is shared by every stream of a rule (one per replayed window).
  const prepared = typeof text === "object" && "statement" in text ? text : prepareQuery(text, options);
  const compiler = prepared.compiler();
  const query = prepared.statement.query;
  const stats: QueryStreamStats = {
    events: 0,
    errors: 0,
    untimed: 0,
    late: 0,
    future: 0,
    forced: 0,
    buffered: 0,
  };

  if (query.kind === "EventQuery") {
    const matches = compiler.compileEventQuery(query);
    return {
      stats,
      flush: () => {},
      push(event, tag) {
        stats.events++;
        try {
          if (matches(event)) onMatch({ kind: "event", event, tag: tag as Tag });
        } catch (error) {
          stats.errors++;
          onError(error, event);
        }
      },
    };
  }
  if (query.kind === "SampleQuery") return sampleStream(query, compiler, options, stats, onMatch, onError);

  const plan = sequencePlan(query);
  const readHit = sequenceHitReader(compiler, query, options);
  const windowTimeOf = (event: Event): bigint | undefined =>
    options.windowSpanNs === undefined ? undefined : (options.windowTime?.(event) ?? undefined);
  const runner = new SequenceRunner<Held<Tag>>(
    plan,
    (c) => {
      let next = 0;
      const items = plan.expanded.map((t) => (t.missing ? null : c.events[next++]));
      onMatch({
        kind: "sequence",
        joinKeys: c.key.values,
        events: items.map((i) => (i ? eventOf(i) : null)),
        tags: items.map((i) => (i ? i.tag : null)),
      });
    },
    {
      maxOpenPartials: options.maxOpenPartials,
      horizonNs: options.horizonMs === undefined ? undefined : BigInt(options.horizonMs) * MS,
      windowSpanNs: options.windowTime && options.windowSpanNs,
    },
  );
  stats.sequences = runner.stats;
  /**
   * The window times of the hits the reorder buffer holds, oldest first (released ones are let
   * go when they come to the top): a partial such a hit can join must wait for it, however far
   * ingestion has moved on while it waited to be put in order.
   */
  const heldWindows = new MinHeap<{ window: bigint; arrival: number }>((a, b) =>
    a.window < b.window ? -1 : a.window > b.window ? 1 : 0,
  );
  const releasedWindows = new Set<number>();
  const oldestHeldWindow = (): bigint | undefined => {
    for (let top = heldWindows.peek(); top; top = heldWindows.peek()) {
      if (!releasedWindows.delete(top.arrival)) return top.window;
      heldWindows.pop();
    }
    return undefined;
  };
  const buffer = new ReorderBuffer<HeldTermHit<Held<Tag>>>(
    BigInt(Math.round((options.allowedLatenessMs ?? 0) * 1e6)),
    options.maxBuffered ?? 100_000,
    (hit) => {
      if ("window" in hit && hit.window !== undefined) releasedWindows.add(hit.order.arrival);
      runner.push(unpackTermHit(hit));
    },
    options.spill && heldSpill(options.spill),
  );
  let arrival = 0;
  let lastWatermark: bigint | null = null;
  let sinceAdvance = 0;
  const lateness = BigInt(Math.round((options.allowedLatenessMs ?? 0) * 1e6));
  /** the newest window time taken (windowTime), not one dated ahead of what the stream takes */
  let newestWindow: bigint | undefined;
  let lastWindowMark: bigint | undefined;

  const admit = (
    hit: SequenceHit | PackedSequenceHit | null,
    held: Held<Tag>,
    window: bigint | undefined = undefined,
  ) => {
    if (!hit) return;
    if (hit.timestamp === null) {
      stats.untimed++;
      return;
    }
    if (leftOutAhead(options, stats, hit.timestamp)) return;
    const order: OrderKey & { timestamp: bigint } = {
      timestamp: hit.timestamp,
      tiebreaker: hit.tiebreaker,
      arrival: arrival++,
    };
    if (
      window !== undefined &&
      (newestWindow === undefined || window > newestWindow) &&
      (options.latestTime === undefined || window <= options.latestTime())
    )
      newestWindow = window;
    const late = buffer.late;
    if (window !== undefined) heldWindows.push({ window, arrival: order.arrival });
    buffer.push(
      "keys" in hit
        ? { item: held, order, keys: hit.keys }
        : { item: held, order, terms: hit.terms, until: hit.until, window },
    );
    // dropped as late: never released
    if (window !== undefined && buffer.late !== late) releasedWindows.add(order.arrival);
    stats.late = buffer.late;
    stats.forced = buffer.forced;
    stats.buffered = buffer.size;
    // Expiry and deferred decisions walk state, so they follow the watermarks now and then. The
    // window's is the newest window time less the allowed lateness (an event ingested, as serve
    // stamps it, while others wait to be put in order is that far behind the newest), and no
    // later than the oldest window time still in the reorder buffer: an event dated ahead waits
    // there for the others' dates to catch up, while ingestion moves on.
    const watermark = buffer.watermark;
    let windowMark = newestWindow === undefined ? undefined : newestWindow - lateness;
    if (windowMark !== undefined) {
      const oldestHeld = oldestHeldWindow();
      if (oldestHeld !== undefined && oldestHeld < windowMark) windowMark = oldestHeld;
    }
    const moved = watermark !== lastWatermark || windowMark !== lastWindowMark;
    if (watermark !== null && moved && ++sinceAdvance >= ADVANCE_EVERY) {
      lastWatermark = watermark;
      lastWindowMark = windowMark;
      sinceAdvance = 0;
      runner.advance(watermark, windowMark);
    }
  };

  return {
    stats,
    push(event, tag, text) {
      stats.events++;
      let hit: SequenceHit | null;
      try {
        hit = readHit(event);
      } catch (error) {
        stats.errors++;
        onError(error, event);
        return;
      }
      const held = text === undefined ? { event, tag: tag as Tag } : { text, tag: tag as Tag };
      admit(hit, held, hit ? windowTimeOf(event) : undefined);
    },
    pushHit(hit, tag, text) {
      stats.events++;
      admit(hit, { text, tag });
    },
    flush() {
      buffer.flush();
      runner.finish();
      stats.buffered = 0;
    },
  };
}

/** An event of time `ns` later than the stream takes (QueryStreamOptions.latestTime): counted, told, left out. */
function leftOutAhead(options: QueryStreamOptions<unknown>, stats: QueryStreamStats, ns: bigint): boolean {
  if (options.latestTime === undefined || ns <= options.latestTime()) return false;
  stats.future++;
  options.onFuture?.(ns);
  return true;
}

/** A sequence event while it waits: the event, or the text it was parsed from. */
type Held<Tag> = { event: Event; tag: Tag } | { text: EventText; tag: Tag };

const eventOf = <Tag>(held: Held<Tag>): Event => ("event" in held ? held.event : parseEventText(held.text));

/**
 * A held hit as JSON: an event goes as its JSON text (parsed again when a sequence needs it,
 * as held text is), bytes as their text, text kept where it was read as its place.
 */
function heldSpill<Tag>(spill: StreamSpill<Tag>): ReorderSpill<HeldTermHit<Held<Tag>>> {
  const textOf = (held: Held<Tag>): unknown => {
    if ("event" in held) return JSON.stringify(held.event);
    const text = held.text;
    if (typeof text === "string") return text;
    if (text instanceof Uint8Array) return eventJson(text);
    if (!spill.storedText) throw new TypeError("a stored event text cannot be spilled without its codec");
    return { stored: spill.storedText.encode(text) };
  };
  const heldText = (value: unknown): EventText =>
    typeof value === "string" ? value : spill.storedText!.decode((value as { stored: unknown }).stored);
  return {
    budget: spill.budget,
    codec: termHitCodec<Held<Tag>>({
      encode: (held) => [textOf(held), spill.tag.encode(held.tag)],
      decode(value) {
        const [text, tag] = value as [unknown, unknown];
        return { text: heldText(text), tag: spill.tag.decode(tag) };
      },
    }),
  };
}

/** Keys a sample stream holds at most; events with further keys are counted and dropped. */
const MAX_SAMPLE_KEYS = 100_000;

/**
 * Samples have no order and no end in time: a stream collects, per key, the events each term
 * can use. Over a moving window (`sampleWindowNs`) a sample is reported when it exists;
 * otherwise a flush (the end of the input) reports the samples found so far, the same ones the
 * batch search finds.
 */
function sampleStream<Tag>(
  query: SampleQuery,
  compiler: QueryCompiler,
  options: QueryStreamOptions<Tag>,
  stats: QueryStreamStats,
  onMatch: (match: StreamMatch<Tag>) => void,
  onError: (error: unknown, event: Event) => void,
): QueryStream<Tag> {
  const terms = query.terms.map((t) => compileTerm(compiler, t, query.joinKeys));
  const perKey = options.maxSamplesPerKey ?? 1;
  const maxKeys = options.maxOpenPartials ?? MAX_SAMPLE_KEYS;
  const report = (samples: Array<{ key: JoinKey; items: Array<{ event: Event; tag: Tag }> }>) => {
    for (const { key, items } of samples) {
      onMatch({
        kind: "sequence",
        joinKeys: key.values,
        events: items.map((i) => i.event),
        tags: items.map((i) => i.tag),
      });
    }
  };
  /** each term's join keys for an event the term matches */
  const eachKey = (event: Event, add: (key: JoinKey, term: number) => void) => {
    terms.forEach((term, t) => {
      if (!term.matches(event)) return;
      for (const key of joinKeysOf(event, term.keys, "epoch_millis")) add(key, t);
    });
  };

  if (options.sampleWindowNs !== undefined) {
    const window = new SampleWindow<{ event: Event; tag: Tag }>(
      terms.length,
      perKey,
      options.sampleWindowNs,
      maxKeys,
    );
    const timestampField = options.timestampField ?? "@timestamp";
    const timestamp = compiler.fieldGetterByName(timestampField);
    const readDate = compiler.dateReader(timestampField);
    const timeOf = options.windowTime ?? ((event: Event) => readDate(firstScalar(timestamp(event))));
    stats.samples = window;
    return {
      stats,
      push(event, tag) {
        stats.events++;
        try {
          const read = timeOf(event);
          if (read !== null && leftOutAhead(options, stats, read)) return;
          const time = window.advance(read);
          if (time === undefined) stats.late++;
          else {
            let item: { event: Event; tag: Tag } | undefined;
            eachKey(event, (key, t) => {
              item ??= { event, tag: tag as Tag };
              window.add(key, t, item, time);
            });
          }
          report(window.takeNew());
        } catch (error) {
          stats.errors++;
          onError(error, event);
        }
      },
      flush: () => report(window.takeNew()),
    };
  }

  const collector = new SampleCollector<{ event: Event; tag: Tag }>(terms.length, perKey, maxKeys);
  stats.samples = collector;
  return {
    stats,
    push(event, tag) {
      stats.events++;
      try {
        let item: { event: Event; tag: Tag } | undefined;
        eachKey(event, (key, t) => {
          item ??= { event, tag: tag as Tag };
          collector.add(key, t, item);
        });
      } catch (error) {
        stats.errors++;
        onError(error, event);
      }
    },
    flush: () => report(collector.samples()),
  };
}
