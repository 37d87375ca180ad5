import fc from "fast-check";
import type { ExceptionItem } from "../../src/exceptions/model.ts";
import { event as anyEvent, condition, setField } from "./prefilter-arbitrary.ts";
import { type Style, style } from "./written-json.ts";

/**
 * Random detection rules and the events they run over, for the tests that run one scenario
 * through every mode of eqlite (batch with and without the prefilter and worker threads,
 * follow mode, eqlSearch, explain) and compare the answers. Conditions and events share the
 * prefilter tests' small vocabulary (arrays, nulls, numbers and strings in one field, dotted
 * keys, escapes), so that rules often match; join keys are mixed-type too.
 */

/** The rule fields these scenarios set beyond the query. */
export interface RuleSpec {
  query: string;
  max_signals?: number;
  timestamp_override?: string;
  timestamp_override_fallback_disabled?: boolean;
  alert_suppression?: {
    group_by: string[];
    duration?: { value: number; unit: "s" };
    missing_fields_strategy?: string;
  };
  /** an exception item for this rule alone */
  exception?: ExceptionItem;
}

export interface Scenario {
  rules: RuleSpec[];
  events: Array<Record<string, unknown>>;
  /** per event: written plainly, or the way the style says */
  styles: Array<Style | null>;
}

const BASE = Date.parse("2026-01-01T00:00:00Z");
const WORDS = ["bash", "sh", "5", 'a"b', "é", "c:\\x"];
const eqlString = (v: string) => `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;

/** A join key: the same host written as text or a number, several hosts, none. */
const hostId = fc.constantFrom<unknown>("a", "a", "b", 1, "1", null, ["a", "b"], undefined);

const category = fc.constantFrom("process", "any", "any", "file");
/** Conditions that about half the events meet, so that sequences and samples complete. */
const loose = fc.constantFrom(
  "true",
  'process.name : "*sh"',
  'process.name != "sh"',
  'user.id in ("5", "bash", "a\\"b")',
  "x == null",
  'process.args : "?h"',
  "a.b.c != 5",
  "process.interactive == true",
);
const term = fc
  .tuple(category, fc.oneof({ weight: 3, arbitrary: loose }, { weight: 1, arbitrary: condition }))
  .map(([c, cond]) => `${c} where ${cond}`);

/** A sequence term: maybe keyed by its own field too, maybe repeated, maybe a missing event. */
const sequenceTerm = (ownKey: boolean) =>
  fc
    .record({
      query: term,
      runs: fc.constantFrom(1, 1, 1, 1, 1, 2),
      missing: fc.constantFrom(false, false, false, true),
    })
    .map(
      ({ query, runs, missing }) =>
        `${missing ? "!" : ""}[${query}]${ownKey ? " by user.id" : ""}${runs > 1 && !missing ? ` with runs=${runs}` : ""}`,
    );

const pipe = fc.oneof(
  { weight: 6, arbitrary: fc.constant("") },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      " | head 2",
      " | tail 2",
      " | head 3 | tail 1",
      " | tail 3 | head 2",
      " | head 0",
    ),
  },
);

const sequenceQuery = fc
  .record({
    by: fc.constantFrom("", " by host.id"),
    ownKey: fc.constantFrom(false, false, true),
    maxspan: fc.constantFrom("", "", " with maxspan=2s", " with maxspan=500ms"),
    count: fc.constantFrom(2, 2, 3),
    until: fc.option(term, { freq: 4 }),
    seed: fc.nat(),
  })
  .chain(({ by, ownKey, maxspan, count, until }) =>
    fc
      .tuple(fc.array(sequenceTerm(ownKey), { minLength: count, maxLength: count }), pipe)
      .map(([terms, p]) => {
        // missing events need a maxspan and one positive term
        const kept = maxspan ? terms : terms.map((t) => t.replace(/^!/, ""));
        if (kept.every((t) => t.startsWith("!"))) kept[0] = kept[0].slice(1);
        const tail =
          until && !kept.some((t) => t.startsWith("!"))
            ? ` until [${until}]${ownKey ? " by user.id" : ""}`
            : "";
        return `sequence${by}${maxspan} ${kept.join(" ")}${tail}${p}`;
      }),
  );

const sampleQuery = fc
  .tuple(fc.array(term, { minLength: 2, maxLength: 3 }), fc.boolean())
  .map(
    ([terms, own]) => `sample by host.id ${terms.map((t) => `[${t}]${own ? " by user.id" : ""}`).join(" ")}`,
  );

const eventQuery = fc.tuple(term, pipe).map(([t, p]) => `${t}${p}`);

const exception = fc
  .record({
    field: fc.constantFrom("process.name", "user.id", "host.id"),
    value: fc.constantFrom(...WORDS, "a", "1"),
    operator: fc.constantFrom("included", "included", "excluded"),
  })
  .map(
    ({ field, value, operator }): ExceptionItem => ({
      item_id: "x",
      list_id: "l",
      name: `${field} ${operator} ${value}`,
      namespace_type: "single",
      entries: [{ type: "match", field, operator: operator as "included" | "excluded", value }],
    }),
  );

export const ruleSpec: fc.Arbitrary<RuleSpec> = fc
  .record({
    query: fc.oneof(eventQuery, sequenceQuery, sampleQuery),
    max_signals: fc.constantFrom(undefined, undefined, 1000, 2),
    override: fc.constantFrom(undefined, undefined, "fallback", "only"),
    suppression: fc.option(
      fc.record({
        duration: fc.constantFrom(undefined, 1, 3),
        missing: fc.constantFrom(undefined, "doNotSuppress", "suppress"),
      }),
      { freq: 4 },
    ),
    exception: fc.option(exception, { freq: 3 }),
  })
  .map(({ query, max_signals, override, suppression, exception }) => {
    const spec: RuleSpec = { query };
    if (max_signals !== undefined) spec.max_signals = max_signals;
    if (override) spec.timestamp_override = "event.ingested";
    if (override === "only") spec.timestamp_override_fallback_disabled = true;
    if (suppression && !query.startsWith("sequence") && !query.startsWith("sample"))
      spec.alert_suppression = {
        group_by: ["host.id"],
        ...(suppression.duration ? { duration: { value: suppression.duration, unit: "s" as const } } : {}),
        ...(suppression.missing ? { missing_fields_strategy: suppression.missing } : {}),
      };
    if (exception) spec.exception = exception;
    return spec;
  });

/**
 * Events a few hundred milliseconds apart (some at the same instant, some written as epoch
 * milliseconds), with a host, sometimes an ingest time, and sometimes an exact duplicate of
 * the event before.
 */
const timedEvents = fc
  .array(
    fc.record({
      body: anyEvent,
      host: hostId,
      step: fc.constantFrom(0, 100, 300, 300, 700, 1500),
      ingestedLag: fc.constantFrom<number | undefined>(undefined, 0, 1000, -200),
      millis: fc.constantFrom(false, false, false, true),
      duplicate: fc.constantFrom(false, false, false, false, true),
      style: fc.option(style, { freq: 2 }),
    }),
    { minLength: 4, maxLength: 30 },
  )
  .map((items) => {
    let t = BASE;
    const events: Array<Record<string, unknown>> = [];
    const styles: Array<Style | null> = [];
    for (const item of items) {
      if (item.duplicate && events.length) {
        events.push(structuredClone(events[events.length - 1]));
        styles.push(item.style);
        continue;
      }
      t += item.step;
      const e: Record<string, unknown> = {
        "@timestamp": item.millis ? t : new Date(t).toISOString(),
        ...item.body,
      };
      if (item.host !== undefined) setField(e, "host.id", item.host);
      if (item.ingestedLag !== undefined) {
        const ingested = new Date(t + item.ingestedLag).toISOString();
        if (typeof e.event === "object" && e.event !== null && !Array.isArray(e.event))
          (e.event as Record<string, unknown>).ingested = ingested;
      }
      events.push(e);
      styles.push(item.style);
    }
    return { events, styles };
  });

/** One to three rules over 4 to 30 events in time order, or nearly: some pairs swapped. */
export const scenario: fc.Arbitrary<Scenario> = fc
  .tuple(
    fc.array(ruleSpec, { minLength: 1, maxLength: 3 }),
    timedEvents,
    fc.oneof({ weight: 2, arbitrary: fc.constant([]) }, fc.array(fc.nat(), { minLength: 1, maxLength: 4 })),
  )
  .map(([rules, written, swaps]) => {
    // fast-check may map one generated value again: it is not changed in place
    const events = [...written.events];
    const styles = [...written.styles];
    for (const n of swaps) {
      const i = n % (events.length - 1 || 1);
      if (i + 1 >= events.length) continue;
      [events[i], events[i + 1]] = [events[i + 1], events[i]];
      [styles[i], styles[i + 1]] = [styles[i + 1], styles[i]];
    }
    return { rules, events, styles };
  });

export { BASE, eqlString };
