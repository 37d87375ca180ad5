import { writeFileSync } from "node:fs";
import { DetectionEngine } from "../../src/engine/detection-engine.ts";
import { canonicalJson } from "../../src/engine/json-tree.ts";
import { lineFilterOf } from "../../src/engine/line-prefilter.ts";
import { eventsThroughWorkers, type InputEvent } from "../../src/engine/match-workers.ts";
import { compileWindowTime, type WindowSettings } from "../../src/engine/window.ts";
import type { Event } from "../../src/eql/field-access.ts";
import { eqlSearch } from "../../src/eql/search.ts";
import { compileExceptionItem } from "../../src/exceptions/compile.ts";
import { explainerForRule } from "../../src/explain/explain.ts";
import { createEventReader, type ReadStats } from "../../src/io/event-source.ts";
import { loadRuleText } from "../../src/rules/load-rule-text.ts";
import { buildRuleSet, type ExecutableRule, type RuleSet } from "../../src/rules/rule-set.ts";
import { minimalEqlRule } from "./fixtures.ts";
import type { RuleSpec, Scenario } from "./scenario-arbitrary.ts";
import { write } from "./written-json.ts";

/**
 * One scenario (rules and events) run through each mode of eqlite, each answer put the same
 * way: per rule, the matches it alerted, each the 1-based lines of its events in order.
 */

export type Answers = Map<string, number[][]>;

export interface Prepared {
  ruleSet: RuleSet;
  specs: Map<string, RuleSpec>;
  path: string;
  events: Event[];
  /** the clock a follow scan runs at: just after the newest event, so none is dated ahead */
  clock: number;
}

/** The scenario's rules that compile (a random condition may not type-check), and its events written to `path`. */
export function prepare(s: Scenario, path: string): Prepared {
  const loaded = s.rules.flatMap((spec, i) => {
    const { exception: _, ...fields } = spec;
    const text = JSON.stringify(minimalEqlRule(i, spec.query, { index: ["*"], ...fields }));
    const result = loadRuleText(text, "rules.ndjson");
    return result.diagnostics.some((d) => d.severity === "error") ? [] : result.rules;
  });
  const ruleSet = buildRuleSet(loaded);
  const specs = new Map(ruleSet.rules.map((r) => [r.rule.rule_id, s.rules[Number(r.rule.name.slice(5))]]));
  const lines = s.events.map((e, i) => (s.styles[i] ? write(e, s.styles[i]) : JSON.stringify(e)));
  writeFileSync(path, `${lines.join("\n")}\n`);
  // what the file holds: a style that writes objects as dotted keys may repeat a key, of which JSON.parse keeps the last
  const events = lines.map((line) => JSON.parse(line) as Event);
  let newest = 0;
  for (const e of events) {
    const t = e["@timestamp"];
    newest = Math.max(newest, typeof t === "number" ? t : Date.parse(String(t)));
  }
  return { ruleSet, specs, path, events, clock: newest + 1000 };
}

const keepOf = (p: Prepared) => (rule: ExecutableRule) => {
  const item = p.specs.get(rule.rule.rule_id)?.exception;
  if (!item) return undefined;
  const excepted = compileExceptionItem(item);
  return (event: Event) => !excepted(event);
};

async function run(p: Prepared, mode: "batch" | "follow", input: AsyncIterable<InputEvent>) {
  const answers: Answers = new Map(p.ruleSet.rules.map((r) => [r.rule.rule_id, []]));
  const uuids: string[] = [];
  const engine = new DetectionEngine(p.ruleSet, {
    mode,
    now: new Date(p.clock),
    clock: () => p.clock,
    allowedLatenessMs: 60_000,
    exceptionsFor: keepOf(p),
    onAlert: (alert, rule, origins) => {
      uuids.push(alert["kibana.alert.uuid"] as string);
      if (alert["kibana.alert.building_block_type"] !== undefined) return;
      answers.get(rule.rule.rule_id)!.push(origins.map((o) => o.line));
    },
    onRuleError: (rule, error) => {
      throw new Error(`${rule.rule.query}: ${(error as Error).message}`);
    },
  });
  for await (const item of input) {
    if ("rules" in item) engine.pushSelected(item);
    else engine.push(item.event, item.origin, item.text);
  }
  engine.finish();
  // matches found, before max_signals and the alerts' ids, which make a match found twice one alert
  const matches = new Map(engine.ruleStats.map((r) => [r.rule_id, r.matches]));
  return { answers, uuids, matches };
}

const stats = (): ReadStats => ({ events: 0, skipped: 0, problems: 0, bytes: 0, inputBytes: 0 });

async function* read(p: Prepared, prefilter: boolean): AsyncGenerator<InputEvent> {
  const lineFilter = prefilter ? lineFilterOf(p.ruleSet.filterRules) : undefined;
  const reader = createEventReader([p.path], { lineFilter, keepText: true });
  for await (const { event, source, line, text } of reader.events)
    yield { event, origin: { source, line }, text };
}

/** `eqlite scan` on one thread, as it reads a file, with or without the prefilter. */
export const scanBatch = (p: Prepared, prefilter: boolean) => run(p, "batch", read(p, prefilter));

/** `eqlite scan --workers N`, blocks cut every `blockBytes`. */
export const scanWorkers = (p: Prepared, prefilter: boolean, workers: number, blockBytes: number) =>
  run(
    p,
    "batch",
    eventsThroughWorkers(
      [p.path],
      p.ruleSet.rules,
      {
        workers,
        prefilter,
        blockBytes,
        onProblem: (problem) => {
          throw new Error(problem.reason);
        },
      },
      stats(),
    ),
  );

/** `eqlite scan --follow --allowed-lateness 60000` over the file, its clock a second past the newest event. */
export const scanFollow = (p: Prepared) => run(p, "follow", read(p, true));

/**
 * eqlSearch with each rule's query over the events a Kibana search would see (its exception and
 * an override without fallback are filters around the query), as many as max_signals, the
 * newest of them (Kibana's request leaves result_position at tail).
 */
export async function searchAll(p: Prepared): Promise<Answers> {
  const answers: Answers = new Map();
  for (const rule of p.ruleSet.rules) {
    const keep = keepOf(p)(rule);
    const spec = p.specs.get(rule.rule.rule_id)!;
    const windowTime = spec.timestamp_override_fallback_disabled
      ? compileWindowTime(rule.rule as WindowSettings)
      : undefined;
    const lines: number[] = [];
    const events: Event[] = [];
    p.events.forEach((e, i) => {
      if (keep && !keep(e)) return;
      if (windowTime && windowTime(e) === null) return;
      lines.push(i + 1);
      events.push(e);
    });
    const response = await eqlSearch(events, {
      query: spec.query,
      size: spec.max_signals ?? 100,
      timestamp_field: rule.query.timestampField,
      event_category_field: rule.query.eventCategoryField,
    });
    if (response.shard_failures) throw new Error(JSON.stringify(response.shard_failures));
    const hits = response.hits.events?.map((h) => [h]) ?? response.hits.sequences?.map((s) => s.events) ?? [];
    answers.set(
      rule.rule.rule_id,
      hits.map((events) => events.filter((h) => !("missing" in h)).map((h) => lines[Number(h._id)])),
    );
  }
  return answers;
}

/**
 * What explain says of each event for a rule: per line, the terms (1-based stages, or 1 for
 * an event query) whose condition it satisfies.
 */
export function explainAll(p: Prepared, rule: ExecutableRule): Array<Set<number>> {
  const explainer = explainerForRule(rule.query);
  return p.events.map((e, i) => {
    const x = explainer.explain(e, "events", i + 1);
    if (x.query) return new Set(x.matched ? [1] : []);
    return new Set(x.stages!.filter((s) => s.matched && s.stage !== null).map((s) => s.stage!));
  });
}

/**
 * Matches as sets of their events' content: an event written twice is one document to
 * eqlite (its alert id is a hash of the content), so its matches alert once.
 */
export function contentSet(p: Prepared, matches: number[][]): string[] {
  const key = (line: number) => canonicalJson(p.events[line - 1]);
  return [...new Set(matches.map((m) => JSON.stringify(m.map(key))))].sort();
}
