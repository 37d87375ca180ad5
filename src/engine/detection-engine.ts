import type { Pipe } from "../eql/ast.ts";
import type { PackedSequenceHit, SequenceHit } from "../eql/correlate/sequence-hit.ts";
import { type SpillBudget, type SpillCodec, SpillError } from "../eql/correlate/spill.ts";
import { type EventText, parseEventText, type StoredText } from "../eql/event-text.ts";
import { compileFieldGetter, type Event, someValue } from "../eql/field-access.ts";
import { createQueryStream, type QueryStream, type StreamMatch } from "../eql/query-stream.ts";
import { applyLimits, mostResults, narrowestWindow, type ResultWindow } from "../eql/result-window.ts";
import { ruleFilter } from "../rules/rule-filters.ts";
import type { ExecutableRule, RuleSet } from "../rules/rule-set.ts";
import { type AlertDocument, buildEventAlert } from "./alert.ts";
import { type AlertRule, ruleUuid } from "./alert-rule.ts";
import type { KibanaTarget } from "./alert-url.ts";
import { KIBANA_MAX_ALERTS_PER_RUN } from "./alerts-per-run.ts";
import { descendsFromRule } from "./ancestors.ts";
import { parseDuration } from "./date-math.ts";
import { type EventHit, isEventHit, matchTime } from "./event-hit.ts";
import { isFutureDated, latestEventTime } from "./future-dated.ts";
import { compileIndexPatterns, eventIndex, type IndexMatcher } from "./index-pattern.ts";
import { canonicalJson } from "./json-tree.ts";
import { buildSequenceAlerts } from "./sequence-alerts.ts";
import { type SourceIdentity, sourceIdentity } from "./source-identity.ts";
import { streamSpanNs } from "./stream-span.ts";
import {
  compileSuppressionGroup,
  type SuppressedAlert,
  type SuppressionConfig,
  type SuppressionGroup,
  suppress,
  suppressionWindowNs,
} from "./suppression.ts";
import type { SuppressionInfo } from "./suppression-fields.ts";
import {
  compileWindowTime,
  type RuleRun,
  type WindowSettings,
  windowLength,
  windowsOnEventTime,
} from "./window.ts";

/** Where an event came from, carried to its alerts and to error messages. */
export interface EventOrigin {
  source: string;
  line: number;
  /**
   * The index the input wrote the event to (an Elasticsearch `_bulk` action's `_index`, the
   * index of an HTTP ingest). It decides which rules see the event (their `index` patterns) and
   * names the alert's source document (`kibana.alert.ancestors[].index`), so nothing synthetic
   * has to be added to the event itself. Without one, the event's `data_stream.*` decide.
   */
  index?: string;
  /** the document id the input gave (a `_bulk` action's `_id`): the source identity's id */
  id?: string;
  /**
   * When the input received the event (ms since the epoch; serve's request time, kept in the
   * write-ahead log with the origin): follow mode judges how far ahead of the clock an event is
   * dated against it, so a replay after a restart leaves out what the live run left out. Without
   * it, the clock at the push.
   */
  receivedAt?: number;
}

export interface EngineOptions {
  /**
   * batch: the whole input is one window — events are put in order before
   * sequences run, and each rule alerts its most recent `max_signals` matches, as
   * Kibana's EQL search does. follow: alerts leave as matches complete; the first
   * `max_signals` of each rule `interval` (a wall-clock window, as each scheduled
   * execution of the rule in Kibana alerts at most max_signals) are alerted and the
   * rest counted.
   */
  mode: "batch" | "follow";
  /** follow mode: the wall clock (ms) for max_signals windows and idle flushes; Date.now by default */
  clock?: () => number;
  /**
   * follow mode: how late (ms) an event may arrive and still be put in order. Sequences and
   * samples take no event dated more than FUTURE_TOLERANCE_MS ahead of `clock` (counted as
   * RuleActivity.future), so that one cannot move their watermark past now.
   */
  allowedLatenessMs?: number;
  /**
   * batch mode: the sequence events all rules may hold in memory until the end of the input,
   * and how the rest are written to disk (see spill.ts). Without it, each rule holds up to
   * five million, then releases the oldest early (counted as forced; an older event after
   * that is late and dropped).
   */
  spill?: { budget: SpillBudget; storedText?: SpillCodec<StoredText> };
  /**
   * the partial sequences (or sample keys) one rule holds at most (default 100,000); past it the
   * stalest are dropped and counted (RuleActivity.evicted)
   */
  maxHeldPerRule?: number;
  /** the execution time written into alerts; a function for a service, whose alerts are made as it runs */
  now: Date | (() => Date);
  /** the Kibana space the alerts are for (default "default") and Kibana's URL, for alert links */
  kibana?: KibanaTarget;
  /**
   * Replayed rule executions (`--from/--to`, `--now`): each run sees only the
   * events whose window time (timestamp_override, falling back to @timestamp) is
   * in its [from, to], runs its own search, and alerts its own max_signals; runs
   * overlap by the rule's look-back and their duplicate alerts are dropped.
   * Without runs the whole input is one window.
   */
  runsFor?: (rule: ExecutableRule) => RuleRun[] | undefined;
  /**
   * The most alerts one rule execution writes, whatever its max_signals (Kibana's
   * `xpack.alerting.rules.run.alerts.max`; default KIBANA_MAX_ALERTS_PER_RUN).
   */
  maxAlertsPerRun?: number;
  /** exceptions per rule: true keeps the event for the rule */
  exceptionsFor?: (rule: ExecutableRule) => ((event: Event) => boolean) | undefined;
  /** `origins`: where the alert's source events were read (one for an event, each event's for a sequence) */
  onAlert: (alert: AlertDocument, rule: ExecutableRule, origins: EventOrigin[]) => void;
  /** a rule that failed at run time; it is disabled and the others go on */
  onRuleError?: (rule: ExecutableRule, error: unknown, origin: EventOrigin | undefined) => void;
  /**
   * A match whose alert could not be built (an event nesting deeper than its JSON can be
   * written): the match is counted in `alertErrors`, not alerted, and the rule goes on.
   * `origins`: the match's events, as for onAlert.
   */
  onAlertError?: (rule: ExecutableRule, error: unknown, origins: EventOrigin[]) => void;
  /**
   * Source fields an alert leaves out, as Kibana does, because the alerts index's ECS mapping
   * cannot hold their values (`"process.pid": "n/a"`): told once per rule and field path
   * (up to LEFT_OUT_REPORTED_MAX paths a rule), with the match's events as for onAlert.
   */
  onAlertFieldsLeftOut?: (rule: ExecutableRule, paths: string[], origins: EventOrigin[]) => void;
  /**
   * follow mode: an event its sequences or samples left out, dated `time` (ns), more than
   * FUTURE_TOLERANCE_MS ahead of the clock: told once per rule, the rest only counted
   * (RuleActivity.future), since a host whose clock is wrong sends every event so
   */
  onFutureEvent?: (rule: ExecutableRule, time: bigint, origin: EventOrigin | undefined) => void;
}

export interface RuleStats {
  rule_id: string;
  name: string;
  severity: string;
  matches: number;
  alerts: number;
  /** matches beyond max_signals: counted, not alerted */
  overLimit: number;
  /** matches whose alert could not be built (see EngineOptions.onAlertError) */
  alertErrors: number;
  /** events an exception removed before the rule saw them */
  excepted: number;
  /** events the rule's `filters` removed before the rule saw them */
  filtered: number;
  duplicates: number;
  /** matches folded into an earlier alert of their group by the rule's alert_suppression */
  suppressed: number;
  errors: number;
  disabled: boolean;
}

/** A rule's statistics before its first event. */
export function freshRuleStats(rule: Pick<RuleStats, "rule_id" | "name" | "severity">): RuleStats {
  return {
    rule_id: rule.rule_id,
    name: rule.name,
    severity: rule.severity,
    matches: 0,
    alerts: 0,
    overLimit: 0,
    alertErrors: 0,
    excepted: 0,
    filtered: 0,
    duplicates: 0,
    suppressed: 0,
    errors: 0,
    disabled: false,
  };
}

/** An event as a match worker passes it on: see DetectionEngine.pushSelected. */
export interface SelectedEvent {
  origin: EventOrigin;
  /** the JSON text of the event */
  text: EventText;
  /** the rules the rule index selects for the event */
  rules: readonly ExecutableRule[];
  /** per rule: its sequence or event hit, when the worker read it */
  hits: ReadonlyArray<SequenceHit | PackedSequenceHit | EventHit | undefined>;
}

/** One search of a rule: the whole input, or one replayed execution window. */
interface Search {
  stream: QueryStream<Tagged>;
  /** the query's `| head N` / `| tail N`: they cut its matches as they cut Elasticsearch's results */
  pipes: readonly Pipe[];
  /** batch: the matches a search with the rule's pipes and max_signals can return are among these */
  window: ResultWindow;
  /** batch: matches kept until the end, to alert the most recent max_signals */
  pending: PendingMatch[];
  /** batch: matches so far, and those let go as outside the window (over max_signals when no pipe cuts) */
  arrivals: number;
  letGo: number;
  /** follow mode: the clock (ms) when an event last reached the stream, for idle flushes */
  lastPush: number;
}

/**
 * A batch's match, kept until the end of the input: the match, or — when a match worker
 * read the event's hit — the event's text, parsed only if the match alerts.
 */
type PendingMatch = { time: bigint; arrival: number } & (
  | { match: StreamMatch<Tagged> }
  | { text: EventText; tag: Tagged }
);

function matchOf(pending: PendingMatch): StreamMatch<Tagged> {
  if ("match" in pending) return pending.match;
  return { kind: "event", event: parseEventText(pending.text), tag: pending.tag };
}

interface RuleState {
  rule: ExecutableRule;
  /** the rule's content: a reloaded rule with the same key keeps this state */
  key: string;
  params: AlertRule;
  uuid: string;
  index: IndexMatcher;
  keep?: (event: Event) => boolean;
  /** the rule's `filters`, which Kibana applies around the query as it does the exceptions */
  filter?: (event: Event) => boolean;
  time: (event: Event) => bigint;
  /** replayed runs, oldest first; undefined when the whole input is one window */
  runs?: RuleRun[];
  windowTime?: (event: Event) => bigint | null;
  /** searches by run index (0 when there are no runs), created when a first event reaches them */
  searches: Map<number, Search>;
  /** single-event rules with alert_suppression */
  suppression?: {
    group: (event: Event) => SuppressionGroup | null;
    window: bigint | null;
    time: (event: Event) => bigint | null;
    /** follow mode: the start of each open group */
    open: Map<string, bigint>;
  };
  /** follow mode: alerts in the current `interval` window, counted against max_signals */
  window: { length: number; index: number; alerts: number };
  /** the search cannot be flushed early: a trailing missing event is decided only by time passing */
  holdsForTime: boolean;
  /** events that reached the query */
  evaluated: number;
  stats: RuleStats;
  /** field paths its alerts left out that onAlertFieldsLeftOut was told of */
  leftOutReported: Set<string>;
  /** onFutureEvent was told of an event of this rule */
  futureReported: boolean;
}

/** Field paths reported left out per rule: a stream of ever new field names must not grow the set for ever. */
const LEFT_OUT_REPORTED_MAX = 1000;

/** What a hot reload did, by rule_id. */
export interface ReloadSummary {
  /** unchanged rules: their partial sequences, suppression groups and counters carry over */
  kept: string[];
  added: string[];
  /** same rule_id, new content: started afresh (counters carry over) */
  changed: string[];
  /** gone from the new set: their partial sequences are dropped */
  removed: string[];
}

/** What a rule does and holds between events, for metrics. */
export interface RuleActivity {
  rule_id: string;
  /** events that reached the rule's query: its index patterns and exceptions passed */
  evaluated: number;
  /** partial sequences waiting for their next event */
  openSequences: number;
  /** events held for ordering behind the watermark */
  buffered: number;
  /** events that came later than the allowed lateness (dropped) */
  late: number;
  /** follow mode: events dated beyond FUTURE_TOLERANCE_MS ahead of the clock, left out of sequences and samples */
  future: number;
  /**
   * partial sequences evicted, and sample keys refused, at the cap on what a rule holds
   * (100,000): the matches they would have made are lost
   */
  evicted: number;
  /** completed sequences waiting for time to pass (a trailing missing event `![...]`) */
  deferred: number;
  /** sample queries: join keys holding events until the samples are reported */
  sampleKeys: number;
}

/**
 * What the engine tags each event with: where it came from. A batch holds one for every
 * sequence event until the end of its input, so it is one small object.
 */
class Tagged {
  private source: SourceIdentity | undefined;

  constructor(readonly origin: EventOrigin) {}

  /**
   * The source identity of the tagged event, hashed only for events that alert, and once: every
   * event it is given is the tagged one. It takes the event rather than holding it: a sequence
   * may hold the event's text instead (see push).
   */
  identity(event: Event): SourceIdentity {
    this.source ??= sourceIdentity(event, { index: this.origin.index, id: this.origin.id });
    return this.source;
  }
}

const eventCategory = compileFieldGetter("event.category");
/** Alert ids remembered for de-duplication; beyond this the oldest are forgotten. */
const MAX_REMEMBERED_IDS = 1_000_000;
const BATCH_LATENESS_MS = Number.MAX_SAFE_INTEGER;
const BATCH_BUFFER = 5_000_000;
/** The one search of a rule when the whole input is one window. */
const WHOLE_INPUT: readonly number[] = [0];

/**
 * Runs a rule set over events: the rule index picks the rules an event may match,
 * exceptions drop what they except, each rule's query runs in its own stream, and
 * matches become Kibana-shaped alerts with stable ids, de-duplicated.
 */
export class DetectionEngine {
  private ruleSet: RuleSet;
  private states: RuleState[];
  private byRule = new Map<ExecutableRule, RuleState>();
  private readonly seen = new Set<string>();
  private readonly clock: () => number;
  private current: EventOrigin | undefined;
  /** the categories of the event being pushed (the rule index keeps none of them) */
  private readonly categories: string[] = [];
  private readonly addCategory = (v: string | number | boolean) => {
    if (typeof v === "string") this.categories.push(v);
    return false;
  };
  events = 0;

  constructor(
    ruleSet: RuleSet,
    private readonly options: EngineOptions,
  ) {
    this.clock = options.clock ?? Date.now;
    this.ruleSet = ruleSet;
    this.states = ruleSet.rules.map((rule) => this.stateFor(rule));
    for (const s of this.states) this.byRule.set(s.rule, s);
  }

  get ruleStats(): RuleStats[] {
    return this.states.map((s) => s.stats);
  }

  /** The rule set running now (the last one swapped in by `reload`). */
  get rules(): RuleSet {
    return this.ruleSet;
  }

  /** Per rule: events evaluated, and the state it holds between events (open sequences, events waiting for order). */
  activity(): RuleActivity[] {
    return this.states.map((s) => {
      const out: RuleActivity = {
        rule_id: s.rule.rule.rule_id,
        evaluated: s.evaluated,
        openSequences: 0,
        buffered: 0,
        late: 0,
        future: 0,
        evicted: 0,
        deferred: 0,
        sampleKeys: 0,
      };
      for (const search of s.searches.values()) {
        const stats = search.stream.stats;
        out.openSequences += stats.sequences?.open ?? 0;
        out.buffered += stats.buffered;
        out.late += stats.late;
        out.future += stats.future;
        out.evicted += (stats.sequences?.evicted ?? 0) + (stats.samples?.droppedKeys ?? 0);
        out.deferred += stats.sequences?.deferred ?? 0;
        out.sampleKeys += stats.samples?.keys ?? 0;
      }
      return out;
    });
  }

  /**
   * `text`: the JSON the event was parsed from, when the input has it. Sequences then hold
   * the text rather than the event until their stages complete (see QueryStream.push).
   */
  push(event: Event, origin: EventOrigin, text?: EventText): void {
    this.events++;
    this.current = origin;
    const index = origin.index ?? eventIndex(event);
    let tagged: Tagged | undefined;
    for (const rule of this.select(event, index)) {
      const state = this.byRule.get(rule)!;
      if (state.stats.disabled || !state.index(index)) continue;
      tagged ??= new Tagged(origin);
      this.deliver(state, event, tagged, text);
    }
  }

  /**
   * An event a match worker has selected the rules of (the rule index here would select the
   * same) and read the hits of: sequences take the hit and hold the text; a batch holds a
   * single-event rule's match as the text and its time, to parse it only if it alerts. The
   * event is parsed now only if some rule needs it — a sample rule, a rule with exceptions,
   * filters, suppression or replayed runs, a follow scan's event rule, a hit the worker could not read.
   */
  pushSelected(selected: SelectedEvent): void {
    const { origin, text, rules, hits } = selected;
    this.events++;
    this.current = origin;
    let event: Event | undefined;
    const tagged = new Tagged(origin);
    for (let i = 0; i < rules.length; i++) {
      const state = this.byRule.get(rules[i])!;
      if (state.stats.disabled) continue;
      const hit = hits[i];
      if (hit !== undefined && !state.keep && !state.filter && !state.windowTime) {
        try {
          const search = this.search(state, 0);
          if (isEventHit(hit)) {
            // suppression groups, and follow mode's alerts as they come, need the event now
            if (this.options.mode === "batch" && !state.suppression) {
              state.evaluated++;
              state.stats.matches++;
              this.hold(state, search, { time: hit.time, arrival: search.arrivals++, text, tag: tagged });
              continue;
            }
          } else if (search.stream.pushHit) {
            state.evaluated++;
            if (this.options.mode === "follow") search.lastPush = this.clock();
            search.stream.pushHit(hit, tagged, text);
            continue;
          }
        } catch (error) {
          this.fail(state, error);
          continue;
        }
      }
      event ??= parseEventText(text);
      this.deliver(state, event, tagged, text);
    }
  }

  /** The event to one rule: its filters and exceptions, then the search of each run that holds it. */
  private deliver(state: RuleState, event: Event, tagged: Tagged, text: EventText | undefined): void {
    try {
      if (state.filter && !state.filter(event)) {
        state.stats.filtered++;
        return;
      }
      if (state.keep && !state.keep(event)) {
        state.stats.excepted++;
        return;
      }
      state.evaluated++;
      const follow = this.options.mode === "follow";
      for (const run of this.runsOf(state, event)) {
        const search = this.search(state, run);
        if (follow) search.lastPush = this.clock();
        search.stream.push(event, tagged, text);
      }
    } catch (error) {
      this.fail(state, error);
    }
  }

  private select(event: Event, index: string | undefined): readonly ExecutableRule[] {
    const categories = this.categories;
    categories.length = 0;
    someValue(eventCategory(event), this.addCategory);
    return this.ruleSet.select(event, categories, index);
  }

  /**
   * Follow mode, when events stop coming: a sequence's last event waits behind the
   * watermark (the newest event time minus the allowed lateness), which only newer
   * events move. A stream that has had no event for `idleMs` of wall-clock time has
   * been given its lateness: what it holds is released in order, so the alerts it
   * completes leave now rather than with the next event. An event older than what
   * was released arrives late from then on (counted). Sequences that end in a missing
   * event are left alone: only event time passing can decide them.
   */
  flushIdle(idleMs: number): number {
    let flushed = 0;
    const now = this.clock();
    for (const state of this.states) {
      if (state.stats.disabled || state.holdsForTime) continue;
      for (const search of state.searches.values()) {
        if (search.stream.stats.buffered === 0 || now - search.lastPush < idleMs) continue;
        try {
          search.stream.flush();
          flushed++;
        } catch (error) {
          this.fail(state, error);
        }
      }
    }
    return flushed;
  }

  /**
   * Swaps in a new rule set between two events. A rule whose content (the whole rule,
   * query included) is unchanged keeps its partial sequences, suppression groups,
   * max_signals window and counters; a changed or new rule starts afresh; a removed
   * rule's state is dropped. The caller validates the new set first: this cannot fail.
   */
  reload(ruleSet: RuleSet, options: Pick<EngineOptions, "exceptionsFor"> = {}): ReloadSummary {
    if ("exceptionsFor" in options) this.options.exceptionsFor = options.exceptionsFor;
    const summary: ReloadSummary = { kept: [], added: [], changed: [], removed: [] };
    const oldByKey = new Map(this.states.map((s) => [s.key, s]));
    const oldById = new Map(this.states.map((s) => [s.rule.rule.rule_id, s]));
    const reused = new Set<RuleState>();
    const states: RuleState[] = [];
    for (const rule of ruleSet.rules) {
      const key = ruleKey(rule);
      const old = oldByKey.get(key);
      if (old && !reused.has(old)) {
        reused.add(old);
        old.rule = rule;
        old.keep = this.options.exceptionsFor?.(rule);
        states.push(old);
        summary.kept.push(rule.rule.rule_id);
        continue;
      }
      const fresh = this.stateFor(rule);
      const previous = oldById.get(rule.rule.rule_id);
      if (previous && !reused.has(previous)) {
        // counters are monotonic for metrics; the state machine is new
        Object.assign(fresh.stats, { ...previous.stats, disabled: false });
        fresh.evaluated = previous.evaluated;
        fresh.stats.name = rule.rule.name;
        fresh.stats.severity = rule.rule.severity;
        summary.changed.push(rule.rule.rule_id);
      } else {
        summary.added.push(rule.rule.rule_id);
      }
      states.push(fresh);
    }
    const changed = new Set(summary.changed);
    for (const s of this.states) {
      if (!reused.has(s) && !changed.has(s.rule.rule.rule_id)) summary.removed.push(s.rule.rule.rule_id);
    }
    this.ruleSet = ruleSet;
    this.states = states;
    this.byRule = new Map(states.map((s) => [s.rule, s]));
    return summary;
  }

  /** The end of the input: sequences still waiting complete, and batch alerts are written. */
  finish(): void {
    this.current = undefined;
    for (const state of this.states) {
      if (state.stats.disabled) continue;
      try {
        const runs = [...state.searches.keys()].sort((a, b) => a - b);
        for (const run of runs) {
          const search = state.searches.get(run)!;
          search.stream.flush();
          if (this.options.mode === "batch") this.alertMostRecent(state, search, state.runs?.[run]);
        }
      } catch (error) {
        this.fail(state, error);
      }
    }
  }

  private stateFor(rule: ExecutableRule): RuleState {
    const params = rule.rule as unknown as AlertRule;
    const query = rule.query;
    const stats = freshRuleStats(rule.rule);
    const runs = this.options.runsFor?.(rule);
    let key: string | undefined;
    let holdsForTime: boolean | undefined;
    const config = rule.rule.alert_suppression as SuppressionConfig | undefined;
    const suppression =
      config && query.shape === "event"
        ? {
            group: compileSuppressionGroup(config, ruleUuid(params), this.options.kibana?.spaceId),
            window: suppressionWindowNs(config),
            time: compileWindowTime(rule.rule as WindowSettings),
            open: new Map<string, bigint>(),
          }
        : undefined;
    return {
      suppression,
      rule,
      // the whole rule as canonical JSON: worked out only when a reload compares rules
      get key() {
        key ??= ruleKey(rule);
        return key;
      },
      params,
      uuid: ruleUuid(params),
      index: compileIndexPatterns(rule.rule.index as readonly string[] | undefined),
      time: matchTime(query.timestampField),
      keep: this.options.exceptionsFor?.(rule),
      filter: ruleFilter(rule.rule),
      runs,
      windowTime:
        runs || needsOverride(rule.rule) ? compileWindowTime(rule.rule as WindowSettings) : undefined,
      searches: new Map(),
      window: { length: intervalMs(rule), index: -1, alerts: 0 },
      // read from the query only when asked (follow mode): a cached rule's query is parsed when first read
      get holdsForTime() {
        holdsForTime ??= endsWithMissingEvent(query);
        return holdsForTime;
      },
      evaluated: 0,
      stats,
      leftOutReported: new Set(),
      futureReported: false,
    };
  }

  /**
   * The runs whose window holds the event (run 0 when the whole input is one window). An
   * event without the time its rule's window is read on is in no window, and so, when the
   * rule disables the fallback to `@timestamp`, in no run of a whole-input scan either.
   */
  private runsOf(state: RuleState, event: Event): readonly number[] {
    const t = state.windowTime?.(event);
    if (t === null) return [];
    if (!state.runs || t === undefined) return WHOLE_INPUT;
    const found: number[] = [];
    for (let i = 0; i < state.runs.length; i++) {
      const run = state.runs[i];
      if (run.from <= t && t <= run.to) found.push(i);
    }
    return found;
  }

  private search(state: RuleState, run: number): Search {
    let search = state.searches.get(run);
    if (search) return search;
    const query = state.rule.query;
    const batch = this.options.mode === "batch";
    const execution = query.execution();
    const { pipes } = execution.statement;
    const limit = maxSignals(state.rule, this.options.maxAlertsPerRun);
    const created: Search = {
      pipes,
      // a `| tail 1000000` that max_signals cuts to 100 holds 100, not every match of the input
      window: keepsFirst(state.rule) ? { count: limit, from: "head" } : narrowestWindow(pipes, limit, "tail"),
      pending: [],
      arrivals: 0,
      letGo: 0,
      stream: undefined as unknown as QueryStream<Tagged>,
      lastPush: 0,
    };
    const windowNs = batch ? undefined : windowLength(state.rule.rule as WindowSettings);
    created.stream = createQueryStream<Tagged>(
      execution,
      {
        eventCategoryField: query.eventCategoryField,
        timestampField: query.timestampField,
        tiebreakerField: query.tiebreakerField,
        allowedLatenessMs: batch ? BATCH_LATENESS_MS : (this.options.allowedLatenessMs ?? 0),
        maxBuffered: batch ? BATCH_BUFFER : undefined,
        maxOpenPartials: this.options.maxHeldPerRule,
        spill: batch && this.options.spill ? { ...this.options.spill, tag: TAGGED_SPILL } : undefined,
        // a stream never ends: its samples, and its sequences, are those of the rule's window, as
        // each run finds them (and as far back as a restart replays), read on the time Kibana
        // reads the window on
        sampleWindowNs: windowNs,
        windowTime: batch ? undefined : windowTimeOf(state.rule),
        windowSpanNs: windowNs,
        horizonMs: batch ? undefined : msOf(streamSpanNs(state.rule)),
        // a batch has no relation to the wall clock: its input may be of any date
        latestTime: batch ? undefined : () => latestEventTime(this.receivedClock()),
        onFuture: (time) => this.futureEvent(state, time),
      },
      (match) => this.matched(state, created, match),
      (error) => this.fail(state, error),
    );
    search = created;
    state.searches.set(run, search);
    return search;
  }

  private matched(state: RuleState, search: Search, match: StreamMatch<Tagged>): void {
    state.stats.matches++;
    if (this.options.mode === "batch") {
      // Sequences arrive in completion order already; single events are put in time order at the end.
      const time = match.kind === "event" ? state.time(match.event) : 0n;
      this.hold(state, search, { match, time, arrival: search.arrivals++ });
      return;
    }
    if (state.suppression && match.kind === "event") {
      const s = state.suppression;
      const group = s.group(match.event);
      const time = s.time(match.event) ?? 0n;
      if (group) {
        const start = s.open.get(group.instanceId);
        if (start !== undefined && (s.window === null || time - start <= s.window)) {
          // A stream cannot update an alert it already wrote: the folded match is counted instead.
          state.stats.suppressed++;
          return;
        }
        // An event dated far ahead (a host clock at 2099) alerts but opens no group: every later
        // match of the group would fall within its window, and be folded, until a restart.
        if (!isFutureDated(time, this.receivedClock())) s.open.set(group.instanceId, time);
      }
    }
    const limit = alertsPerInterval(state.rule, this.options.maxAlertsPerRun);
    const window = state.window;
    const index = Math.floor(this.clock() / window.length);
    if (index !== window.index) {
      window.index = index;
      window.alerts = 0;
    }
    if (window.alerts >= limit) {
      state.stats.overLimit++;
      return;
    }
    this.alert(state, match);
  }

  /** A batch's match, held until the end of the input. */
  private hold(state: RuleState, search: Search, pending: PendingMatch): void {
    const { count, from } = search.window;
    // samples come in the order they are cut in (key order): past the first count, none can alert
    if (keepsFirst(state.rule) && search.pending.length >= count) {
      search.letGo++;
      return;
    }
    search.pending.push(pending);
    // Only the matches in the window can alert: a noisy rule must not hold every match of a
    // large input (suppression folds only those too, as Kibana folds the hits of its search).
    if (search.pending.length >= 2 * count + LET_GO_SLACK) {
      search.pending.sort(byTimeThenArrival);
      const out = search.pending.length - count;
      search.pending = from === "tail" ? search.pending.slice(out) : search.pending.slice(0, count);
      search.letGo += out;
    }
  }

  /**
   * Kibana's EQL search returns the last `max_signals` matches of a window (result_position tail),
   * or for a sample rule the first (see keepsFirst), after the query's own `| head`/`| tail`,
   * which take the first or the last and set the direction of max_signals (see applyLimits).
   */
  private alertMostRecent(state: RuleState, search: Search, run?: RuleRun): void {
    // a replayed run is a manual run in Kibana's terms: its alerts say which run they stand for
    const intended = run?.manual ? nsToDate(run.startedAt) : undefined;
    const limit = maxSignals(state.rule, this.options.maxAlertsPerRun);
    const held = search.pending;
    search.pending = [];
    const { letGo } = search;
    search.letGo = 0;
    held.sort(byTimeThenArrival);
    const matches = applyLimits(held, search.pipes, Number.POSITIVE_INFINITY, "tail");
    const kept = applyLimits(matches, [], limit, search.window.from);
    // what a pipe cuts is the query's answer, not over max_signals: of the matches held and let
    // go, those the pipes leave and max_signals does not
    state.stats.overLimit += mostResults(search.pipes, held.length + letGo) - kept.length;
    if (state.suppression) {
      // Kibana folds the hits its search returned, the last max_signals: a group's alert is its
      // first match among those, and counts those alone
      const s = state.suppression;
      const folded = suppress(
        kept.map((m) => {
          const match = matchOf(m);
          const event = (match as { event: Event }).event;
          return { item: match, time: s.time(event) ?? m.time, group: s.group(event) };
        }),
        s.window,
      );
      for (const f of folded) {
        if (f.group === null) {
          this.alert(state, f.first, undefined, intended);
          continue;
        }
        const g = f as SuppressedAlert<StreamMatch<Tagged>>;
        state.stats.suppressed += g.docsCount;
        this.alert(
          state,
          f.first,
          {
            instanceId: g.group.instanceId,
            terms: g.group.terms,
            start: nsToDate(g.start),
            end: nsToDate(g.end),
            docsCount: g.docsCount,
          },
          intended,
        );
      }
      return;
    }
    for (const m of kept) this.alert(state, matchOf(m), undefined, intended);
  }

  private alert(
    state: RuleState,
    match: StreamMatch<Tagged>,
    suppression?: SuppressionInfo,
    intendedTimestamp?: Date,
  ): void {
    const now = this.options.now;
    const options = {
      ...this.options.kibana,
      now: typeof now === "function" ? now() : now,
      suppression,
      intendedTimestamp,
      onFieldsLeftOut: (paths: string[]) => this.reportLeftOut(state, paths, match),
    };
    if (match.kind === "event") {
      if (descendsFromRule(match.event, state.uuid)) return;
      const alert = this.built(state, match, () =>
        buildEventAlert(state.params, match.event, match.tag.identity(match.event), options),
      );
      if (alert) this.emit(state, alert, [match.tag.origin]);
      return;
    }
    if (match.events.some((event) => event && descendsFromRule(event, state.uuid))) return;
    const built = this.built(state, match, () => {
      const members = match.events.map((event, i) =>
        event ? { event, source: match.tags[i]!.identity(event) } : null,
      );
      return buildSequenceAlerts(state.params, members, options);
    });
    if (!built) return;
    const { buildingBlocks, shell } = built;
    if (this.seen.has(shell["kibana.alert.uuid"] as string)) {
      state.stats.duplicates++;
      return;
    }
    const origins = originsOf(match);
    buildingBlocks.forEach((block, i) => {
      this.emit(state, block, [origins[i]], false);
    });
    this.emit(state, shell, origins);
  }

  /** The clock an event's date is judged against: when it was received, else now (EventOrigin.receivedAt). */
  private receivedClock(): number {
    return this.current?.receivedAt ?? this.clock();
  }

  private futureEvent(state: RuleState, time: bigint): void {
    if (state.futureReported) return;
    state.futureReported = true;
    this.options.onFutureEvent?.(state.rule, time, this.current);
  }

  private reportLeftOut(state: RuleState, paths: string[], match: StreamMatch<Tagged>): void {
    const reported = state.leftOutReported;
    const news = paths.filter((p) => !reported.has(p)).slice(0, LEFT_OUT_REPORTED_MAX - reported.size);
    if (news.length === 0) return;
    for (const path of news) reported.add(path);
    this.options.onAlertFieldsLeftOut?.(state.rule, news, originsOf(match));
  }

  /**
   * An alert that cannot be built (an event nested deeper than JSON can be written) costs
   * that alert only: one hostile event must not disable the rule and lose every later match.
   */
  private built<T>(state: RuleState, match: StreamMatch<Tagged>, build: () => T): T | undefined {
    try {
      return build();
    } catch (error) {
      state.stats.alertErrors++;
      this.options.onAlertError?.(state.rule, error, originsOf(match));
      return undefined;
    }
  }

  private emit(state: RuleState, alert: AlertDocument, origins: EventOrigin[], counts = true): void {
    const id = alert["kibana.alert.uuid"] as string;
    if (this.seen.has(id)) {
      if (counts) state.stats.duplicates++;
      return;
    }
    if (this.seen.size >= MAX_REMEMBERED_IDS) this.seen.delete(this.seen.values().next().value as string);
    this.seen.add(id);
    if (counts) {
      state.stats.alerts++;
      state.window.alerts++;
    }
    this.options.onAlert(alert, state.rule, origins);
  }

  private fail(state: RuleState, error: unknown): void {
    // the disk the batch spills to, not the rule, failed: the whole scan stops
    if (error instanceof SpillError) throw error;
    state.stats.errors++;
    state.stats.disabled = true;
    this.options.onRuleError?.(state.rule, error, this.current);
  }
}

/** Where a match's events were read, in order (a sequence's missing events have none). */
function originsOf(match: StreamMatch<Tagged>): EventOrigin[] {
  if (match.kind === "event") return [match.tag.origin];
  return match.tags.filter((t): t is Tagged => t !== null).map((t) => t.origin);
}

/** An event's time for ordering its alerts; events without one sort first. */
const nsToDate = (ns: bigint) => new Date(Number(ns / 1_000_000n));

/**
 * Elasticsearch cuts samples at `size` from the first, in key order, whatever the
 * result_position (its spec `size2`, run with either): Kibana's `size = max_signals` keeps
 * the first samples of a window, where it keeps the last events and sequences.
 */
const keepsFirst = (rule: ExecutableRule) => rule.query.shape === "sample";

/** Matches beyond twice max_signals before the oldest are let go: a sort every max_signals matches at most. */
const LET_GO_SLACK = 16;

const byTimeThenArrival = (a: { time: bigint; arrival: number }, b: { time: bigint; arrival: number }) =>
  a.time < b.time ? -1 : a.time > b.time ? 1 : a.arrival - b.arrival;

/** A tag on disk is its origin: the identity is worked out again, from the event, if it alerts. */
const TAGGED_SPILL: SpillCodec<Tagged> = {
  encode: (tagged) => tagged.origin,
  decode: (origin) => new Tagged(origin as EventOrigin),
};

/** Two loads of the same rule text give the same key; any change to the rule gives another. */
function ruleKey(rule: ExecutableRule): string {
  return `${rule.rule.rule_id}\u0000${canonicalJson(rule.rule)}`;
}

/**
 * The most matches a rule alerts in one `interval` (max_signals, Kibana's default 100, within the
 * cap); its query's `| head`/`| tail` may allow fewer (see mostResults).
 */
export function maxSignals(
  rule: { rule: { max_signals?: number } },
  perRun = KIBANA_MAX_ALERTS_PER_RUN,
): number {
  return Math.min(rule.rule.max_signals ?? 100, perRun);
}

/**
 * The most alerts a stream (follow mode, serve, a worker) writes of a rule in one `interval`:
 * the first max_signals, as ever, or fewer when its query's `| head N` / `| tail N` allow fewer;
 * which of a run's matches a pipe would keep is only known when the run ends.
 */
export function alertsPerInterval(rule: ExecutableRule, perRun?: number): number {
  return mostResults(rule.query.statement.pipes, maxSignals(rule, perRun));
}

/** The rule's `interval` in ms: Kibana runs it that often, each run alerting at most max_signals. */
export function intervalMs(rule: ExecutableRule): number {
  try {
    const ms = Number(parseDuration(rule.rule.interval ?? "5m") / 1_000_000n);
    return ms > 0 ? ms : 300_000;
  } catch {
    return 300_000;
  }
}

/** `sequence ... ![...]` at the end: a match is final only once maxspan has passed in event time. */
function endsWithMissingEvent(query: ExecutableRule["query"]): boolean {
  const q = query.statement.query;
  return q.kind === "SequenceQuery" && q.terms.length > 0 && q.terms[q.terms.length - 1].missing;
}

/**
 * A rule with `timestamp_override` (`event.ingested`) is windowed on that field, falling back
 * to `@timestamp`, as Kibana's runs are: its samples, which have no order of their own, and the
 * ingestion of its sequences' events, which are ordered by `@timestamp`.
 */
function windowTimeOf(rule: ExecutableRule): ((event: Event) => bigint | null) | undefined {
  const settings = rule.rule as WindowSettings;
  if (windowsOnEventTime(settings, rule.query.timestampField)) return undefined;
  return compileWindowTime(settings);
}

const msOf = (ns: bigint | undefined): number | undefined =>
  ns === undefined ? undefined : Number(ns / 1_000_000n);

/**
 * A rule whose `timestamp_override` has no fallback sees only events that have that field, in
 * any window: Kibana's range filter is on the override alone.
 */
function needsOverride(rule: WindowSettings): boolean {
  return rule.timestamp_override !== undefined && rule.timestamp_override_fallback_disabled === true;
}
