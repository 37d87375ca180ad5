import type { Requirement } from "../eql/requirement.ts";
import type { LineFilter } from "../io/line-filter.ts";
import { ANY_VALUE, type IndexKey, keyedWays, TermIndex } from "../rules/term-index.ts";
import type { FilterRule } from "./line-prefilter.ts";
import { isPlainField, LineScanner } from "./line-scan.ts";
import { requirementTest } from "./line-test.ts";

/**
 * The prefilter of a large rule set: the rules asked about a line are those that see its
 * event. The line is read once, structure and all (see line-scan.ts): the index its
 * `data_stream.*` fields name, and the values of the fields the rules test, each at its
 * exact path. Only the rules whose `index` patterns cover that index count; a line whose
 * index cannot be read exactly asks every rule. Rules are grouped by index, each group
 * worked out the first time a line of its index comes, as the rule index does: keyed rules
 * (see term-index.ts) are tested only when the line has their keys' values, and a rule is
 * tested through its requirement — what a matching event must have, from its positive field
 * conditions — with the values read from the text, by the very per-value tests the
 * evaluator runs.
 *
 * Reading a line costs a fair part of parsing it: the filter pays only where most lines can
 * be skipped. It watches its first lines, and when too few of them could be skipped it lets
 * every line through unread from then on — a choice made on the input's first lines only,
 * so the same input is always read the same way.
 */
type RawTest = (scan: LineScanner) => boolean;

/** Beyond this many distinct fields for one index the prefilter costs more than it saves. */
const MAX_FIELDS = 64;
/** Indices whose rules are remembered at most (they come from the input). */
const MAX_GROUPS = 256;
/** Lines judged before the filter decides whether it pays. */
const TRIAL_LINES = 2048;
/**
 * The share of those lines it must skip to go on. Measured on simulated cloud_defend events
 * (3.7 KB) with the detection-rules corpus: reading a line costs about four fifths of
 * parsing it and matching it against the rule index, so it pays beyond that share.
 */
const MIN_SKIPPED = 0.85;

/**
 * The indexed prefilter of rules some of which see only some indices. `minSkipped`: the
 * share of its first lines it must skip to go on (0: it never stops).
 */
export function indexedLineFilter(
  rules: readonly FilterRule[],
  { minSkipped = MIN_SKIPPED }: { minSkipped?: number } = {},
): LineFilter {
  const scanner = new LineScanner();
  const compileGroup = (members: Iterable<FilterRule>): RawTest => {
    const fields = new Set<string>();
    const slotOf = (field: string) => {
      fields.add(field);
      return scanner.want(field);
    };
    const entries: Array<{ item: RawTest; position: number; ways: IndexKey[][] }> = [];
    for (const rule of members) {
      const requirement = rule.requirement();
      if (requirement.kind === "always") return passes;
      const item = compileRequirement(requirement, slotOf);
      entries.push({ item, position: entries.length, ways: keyedWays(requirement) });
      if (fields.size > MAX_FIELDS) return passes;
    }
    if (entries.length === 0) return fails;
    // Keyed rules are tested only when the line has their keys' values, as in the rule index.
    const keyed = new TermIndex<RawTest, LineScanner>(entries, entries.length, (term) => {
      if (!isPlainField(term.field)) return () => ANY_VALUE;
      const slot = slotOf(term.field);
      return (scan) => scan.valuesOf(slot);
    });
    return (scan) => {
      for (const test of keyed.select(scan)) if (test(scan)) return true;
      return false;
    };
  };
  const groups = new Map<string | undefined, RawTest>();
  const groupOf = (buf: Buffer, start: number, end: number): RawTest => {
    const index = scanner.index;
    let group = groups.get(index);
    if (group === undefined) {
      const slots = scanner.slots;
      group = compileGroup(seenBy(rules, index));
      if (groups.size >= MAX_GROUPS) groups.clear();
      groups.set(index, group);
      // fields the scan was not looking for yet: read the line again
      if (scanner.slots !== slots) scanner.scan(buf, start, end);
    }
    return group;
  };
  let judged = 0;
  let skipped = 0;
  let pays = true;
  return {
    reset() {},
    accepts(buf, start, end) {
      if (judged === TRIAL_LINES) pays = skipped >= minSkipped * TRIAL_LINES;
      if (!pays) return true;
      judged++;
      if (!scanner.scan(buf, start, end)) return true;
      if (groupOf(buf, start, end)(scanner)) return true;
      skipped++;
      return false;
    },
  };
}

function* seenBy(rules: readonly FilterRule[], index: string | undefined): Generator<FilterRule> {
  for (const rule of rules) if (rule.sees(index)) yield rule;
}

function compileRequirement(r: Requirement, slotOf: (name: string) => number): RawTest {
  return requirementTest<LineScanner>(r, (query) => {
    if (!isPlainField(query.field)) return undefined;
    const slot = slotOf(query.field);
    const test = query.test;
    return (scan) => scan.some(slot, test);
  });
}

const passes: RawTest = () => true;
const fails: RawTest = () => false;
