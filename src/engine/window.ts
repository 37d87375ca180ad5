import { compileFieldGetter, type Event } from "../eql/field-access.ts";
import { firstScalar } from "../eql/search.ts";
import { parseDateValue } from "../eql/value-compare.ts";
import { parseDateMath, parseDuration } from "./date-math.ts";

/** The rule settings that decide which events a run looks at. */
export interface WindowSettings {
  from?: string;
  to?: string;
  interval?: string;
  timestamp_override?: string;
  timestamp_override_fallback_disabled?: boolean;
}

/** One rule execution: its start and the inclusive window it searches (ns). */
export interface RuleRun {
  startedAt: bigint;
  from: bigint;
  to: bigint;
  /** a run of a replay: Kibana's manual (backfill) run, standing for a scheduled run at startedAt */
  manual?: boolean;
}

/**
 * The time Kibana filters an event's window on: the `timestamp_override` field
 * (e.g. `event.ingested`), or `@timestamp` when the override is absent from the
 * event — unless the rule disables that fallback.
 */
export function compileWindowTime(settings: WindowSettings): (event: Event) => bigint | null {
  const primaryName = settings.timestamp_override ?? "@timestamp";
  const primary = compileFieldGetter(primaryName);
  const fallback =
    primaryName !== "@timestamp" && !settings.timestamp_override_fallback_disabled
      ? compileFieldGetter("@timestamp")
      : null;
  return (event) => {
    const raw = firstScalar(primary(event));
    if (raw !== null) return parseDateValue(raw);
    return fallback ? parseDateValue(firstScalar(fallback(event))) : null;
  };
}

/**
 * Whether a rule's window is read on the time its events are ordered by (`timestamp_field`,
 * `@timestamp` by default). Kibana windows a rule with `timestamp_override` on that field
 * instead (`event.ingested`): one run then sees events of any `@timestamp` span, as long as
 * they were ingested within its window (an agent's backlog shipped at once).
 */
export function windowsOnEventTime(settings: WindowSettings, timestampField: string): boolean {
  const override = settings.timestamp_override;
  return override === undefined || override === timestampField;
}

/** A run at `startedAt` searches [from, to] evaluated against that instant (defaults now-6m .. now). */
export function ruleRun(settings: WindowSettings, startedAt: bigint): RuleRun {
  return {
    startedAt,
    from: parseDateMath(settings.from ?? "now-6m", startedAt),
    to: parseDateMath(settings.to ?? "now", startedAt, true),
  };
}

/**
 * The runs that replay [replayFrom, replayTo] as Kibana's scheduler would have run
 * the rule: every `interval`, the last one at replayTo, each with its own
 * (overlapping) window. Bounded: more than `maxRuns` is an error, not a hang.
 */
export function replayRuns(
  settings: WindowSettings,
  replayFrom: bigint,
  replayTo: bigint,
  maxRuns = 100_000,
): RuleRun[] {
  const interval = parseDuration(settings.interval ?? "5m");
  const runs: RuleRun[] = [];
  for (let t = replayTo; ; t -= interval) {
    const run: RuleRun = { ...ruleRun(settings, t), manual: true };
    runs.push(run);
    if (run.from <= replayFrom) break;
    if (runs.length > maxRuns) {
      throw new RangeError(
        `replaying that range takes more than ${maxRuns} runs of this rule; narrow --from/--to`,
      );
    }
  }
  return runs.reverse();
}

/** Any instant will do: a window's length does not depend on when it starts (date rounding aside). */
const SOME_INSTANT = BigInt(Date.UTC(2026, 0, 15, 12)) * 1_000_000n;
const DEFAULT_WINDOW_NS = 6n * 60n * 1_000_000_000n;

/**
 * Sequences without maxspan and samples have no reach of their own; Kibana bounds them by
 * the rule's window (`from` to `to`, `now-6m` by default), and so does the checkpoint.
 */
export function windowLength(settings: WindowSettings): bigint {
  try {
    const run = ruleRun(settings, SOME_INSTANT);
    return run.to > run.from ? run.to - run.from : DEFAULT_WINDOW_NS;
  } catch {
    return DEFAULT_WINDOW_NS;
  }
}
