import { foldAscii } from "../eql/case-fold.ts";
import type { FieldGetter } from "../eql/field-access.ts";
import { someValue } from "../eql/field-access.ts";
import type { Requirement } from "../eql/requirement.ts";

/**
 * The second level of the rule index, after `event.category`: rules keyed by the exact
 * strings their fields must hold (`process.name : ("bash", "sh")`, `event.action ==
 * "exec"`). An event reads each keyed field once and looks its values up, instead of every
 * rule testing them in turn: with a thousand rules loaded, most rules of a category are
 * about other programs or other actions and never run.
 */

/** Terms a rule needs: some value of one of these fields is one of their strings (a disjunction). */
export type IndexKey = KeyTerm[];

export interface KeyTerm {
  field: string;
  get: FieldGetter;
  values: ReadonlySet<string>;
  caseInsensitive: boolean;
  /**
   * The values are heads a value starts with (see FieldQuery.prefixes), a number's or a
   * boolean's text included, rather than the values themselves.
   */
  prefix?: boolean;
}

/**
 * Fields most events of a category share a few values of: alone they barely narrow. Where
 * one key must stand for a conjunction (an alternative of an `or`), another of its
 * conditions is chosen when it has one.
 */
const BROAD_FIELDS: ReadonlySet<string> = new Set([
  "event.category",
  "event.type",
  "event.action",
  "event.kind",
  "event.outcome",
  "event.dataset",
  "event.module",
  "event.provider",
  "data_stream.dataset",
  "data_stream.namespace",
  "agent.type",
  "host.os.type",
  "host.os.family",
  "host.os.platform",
  "process.interactive",
]);

/**
 * One key every event the rule can match has, or null when the requirement names none.
 * An empty key: the rule can never match.
 */
export function indexKey(r: Requirement): IndexKey | null {
  switch (r.kind) {
    case "always":
      return null;
    case "never":
      return [];
    case "field": {
      const { query } = r;
      if (query.terms) return [{ field: query.field, get: query.get, ...query.terms }];
      if (query.prefixes) return [{ field: query.field, get: query.get, ...query.prefixes, prefix: true }];
      return null;
    }
    case "some": {
      const keys: IndexKey = [];
      for (const part of r.of) {
        const key = indexKey(part);
        if (key === null) return null;
        keys.push(...key);
      }
      return keys;
    }
    case "all": {
      let best: IndexKey | null = null;
      for (const part of r.of) {
        const key = indexKey(part);
        if (key === null) continue;
        if (best === null || (isBroad(best) && !isBroad(key))) best = key;
      }
      return best;
    }
  }
}

const isBroad = (key: IndexKey) => key.some((t) => BROAD_FIELDS.has(t.field));

/**
 * The ways an event can meet a requirement, each given by the keys it needs (all of them):
 * one way for a conjunction — a key per conjunct that names one (`event.action == "exec"
 * and process.name in (...)` needs two) — and one per alternative of a disjunction (the
 * terms of a sequence). A way with no key: the rule sees every event of its categories. No
 * way at all: it can never match.
 */
export function keyedWays(r: Requirement): IndexKey[][] {
  switch (r.kind) {
    case "always":
      return [[]];
    case "never":
      return [];
    case "field": {
      const key = indexKey(r);
      return key === null ? [[]] : [[key]];
    }
    case "some": {
      const ways: IndexKey[][] = [];
      for (const part of r.of) {
        for (const way of keyedWays(part)) {
          if (way.length === 0) return [[]];
          ways.push(way);
        }
      }
      return ways;
    }
    case "all": {
      const keys: IndexKey[] = [];
      for (const part of r.of) {
        const key = indexKey(part);
        if (key !== null) keys.push(key);
      }
      return [keys];
    }
  }
}

/**
 * The ways of a rule for events whose `field` holds exactly these strings (the event
 * categories a group of the rule index is for): a key that only asks that field holds or
 * fails for all of them alike, so it is dropped from its way, or the way is.
 */
export function waysGiven(
  ways: readonly IndexKey[][],
  field: string,
  strings: readonly string[],
): IndexKey[][] {
  const known = (key: IndexKey) => key.every((t) => t.field === field && !t.prefix);
  const holds = (key: IndexKey) =>
    key.some((t) => strings.some((v) => t.values.has(t.caseInsensitive ? foldAscii(v) : v)));
  const out: IndexKey[][] = [];
  for (const way of ways) {
    if (way.some((key) => known(key) && !holds(key))) continue;
    out.push(way.filter((key) => !known(key)));
  }
  return out;
}

/**
 * What a reader gives for a field whose values cannot be known (read from text that could not
 * be read exactly): every key on the field then holds.
 */
export const ANY_VALUE: unique symbol = Symbol("any value");

/** Reads a field of whatever the index selects for: an event, or the text of one. */
export type FieldReader<E> = (record: E) => unknown;

interface Head {
  head: string;
  slots: number[];
}

interface FieldEntry<E> {
  get: FieldReader<E>;
  /** every slot keyed on the field, for a value that cannot be known */
  all: number[];
  /** value → the slots (one rule's key) it satisfies */
  exact: Map<string, number[]>;
  /** value folded as the field queries fold it (`foldAscii`) → slots, for case-insensitive terms */
  folded: Map<string, number[]>;
  /** heads by their first character, for keys on how a value starts (exact, then folded) */
  heads: Map<string, Head[]>;
  foldedHeads: Map<string, Head[]>;
  /** the visitor `someValue` calls with each value of the field, made once */
  visit: (value: string | number | boolean) => boolean;
}

/**
 * Rules some of which are keyed: `select` returns, in load order, those an event may match —
 * the rules one of whose ways has every key holding a value the event has. An event reads
 * each keyed field once and counts, per way, the keys its values satisfy.
 */
export class TermIndex<T, E = Record<string, unknown>> {
  private readonly items: T[] = [];
  /** rules with a way that needs no key, in load order */
  private readonly unkeyed: number[] = [];
  private readonly unkeyedItems: T[];
  private readonly fields: FieldEntry<E>[] = [];
  /** per slot (one key of one way): the way */
  private readonly slotWay: number[] = [];
  /** per way: its rule's position, and how many keys it needs */
  private readonly wayRule: number[] = [];
  private readonly wayKeys: number[] = [];
  private readonly slotStamp: Uint32Array;
  private readonly wayStamp: Uint32Array;
  private readonly keysHeld: Uint32Array;
  private readonly ruleStamp: Uint32Array;
  private stamp = 0;
  /** the rules found for the event being selected */
  private readonly hits: number[] = [];

  /**
   * `position`: the rule's place in load order, below `size`; `ways`: see `keyedWays`.
   * `readerOf` reads each field instead of the keys' own getters (which read events).
   */
  constructor(
    rules: ReadonlyArray<{ item: T; position: number; ways: readonly (readonly IndexKey[])[] }>,
    size: number,
    readerOf: (term: KeyTerm) => FieldReader<E> = (term) => term.get as FieldReader<E>,
  ) {
    this.ruleStamp = new Uint32Array(size);
    const byField = new Map<string, FieldEntry<E>>();
    for (const { item, position, ways } of rules) {
      this.items[position] = item;
      if (ways.some((w) => w.length === 0)) {
        this.unkeyed.push(position);
        continue;
      }
      for (const keys of ways) {
        const way = this.wayRule.length;
        this.wayRule.push(position);
        this.wayKeys.push(keys.length);
        for (const key of keys) {
          const slot = this.slotWay.length;
          this.slotWay.push(way);
          for (const term of key) {
            let entry = byField.get(term.field);
            if (!entry) {
              entry = this.fieldEntry(readerOf(term));
              byField.set(term.field, entry);
              this.fields.push(entry);
            }
            if (entry.all[entry.all.length - 1] !== slot) entry.all.push(slot);
            if (term.prefix) {
              const byFirst = term.caseInsensitive ? entry.foldedHeads : entry.heads;
              for (const head of term.values) addHead(byFirst, head, slot);
              continue;
            }
            const map = term.caseInsensitive ? entry.folded : entry.exact;
            for (const value of term.values) {
              const slots = map.get(value);
              if (slots === undefined) map.set(value, [slot]);
              else if (slots[slots.length - 1] !== slot) slots.push(slot);
            }
          }
        }
      }
    }
    this.slotStamp = new Uint32Array(this.slotWay.length);
    this.wayStamp = new Uint32Array(this.wayRule.length);
    this.keysHeld = new Uint32Array(this.wayRule.length);
    this.unkeyed.sort((a, b) => a - b);
    this.unkeyedItems = this.unkeyed.map((p) => this.items[p]);
  }

  /** The unkeyed rules and those with a way whose every key the record has, in load order. */
  select(record: E): readonly T[] {
    if (this.fields.length === 0) return this.unkeyedItems;
    this.nextStamp();
    const hits = this.hits;
    hits.length = 0;
    for (const entry of this.fields) {
      const values = entry.get(record);
      if (values === ANY_VALUE) this.satisfy(entry.all);
      else someValue(values, entry.visit);
    }
    if (hits.length === 0) return this.unkeyedItems;
    for (const p of this.unkeyed) hits.push(p);
    sortSmall(hits);
    const chosen: T[] = new Array(hits.length);
    for (let i = 0; i < hits.length; i++) chosen[i] = this.items[hits[i]];
    return chosen;
  }

  private fieldEntry(get: FieldReader<E>): FieldEntry<E> {
    const entry: FieldEntry<E> = {
      get,
      all: [],
      exact: new Map(),
      folded: new Map(),
      heads: new Map(),
      foldedHeads: new Map(),
      visit: () => false,
    };
    entry.visit = (v) => {
      if (entry.heads.size > 0 || entry.foldedHeads.size > 0) {
        // a pattern matches a number or a boolean as its text
        const text = typeof v === "string" ? v : String(v);
        if (entry.heads.size > 0) this.satisfyHeads(entry.heads, text);
        if (entry.foldedHeads.size > 0) this.satisfyHeads(entry.foldedHeads, foldAscii(text));
      }
      // Exact keys hold strings only: a number or boolean value can pass no such test.
      if (typeof v !== "string") return false;
      const slots = entry.exact.get(v);
      if (slots !== undefined) this.satisfy(slots);
      if (entry.folded.size > 0) {
        const folded = entry.folded.get(foldAscii(v));
        if (folded !== undefined) this.satisfy(folded);
      }
      return false;
    };
    return entry;
  }

  /** The keys on how a value starts that `text` holds. */
  private satisfyHeads(byFirst: Map<string, Head[]>, text: string): void {
    const heads = byFirst.get(text.charAt(0));
    if (heads === undefined) return;
    for (let i = 0; i < heads.length; i++) if (text.startsWith(heads[i].head)) this.satisfy(heads[i].slots);
  }

  /** These keys hold for the record: a rule one of whose ways now has all its keys is found. */
  private satisfy(slots: readonly number[]): void {
    const stamp = this.stamp;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      if (this.slotStamp[slot] === stamp) continue;
      this.slotStamp[slot] = stamp;
      const way = this.slotWay[slot];
      if (this.wayStamp[way] !== stamp) {
        this.wayStamp[way] = stamp;
        this.keysHeld[way] = 0;
      }
      if (++this.keysHeld[way] !== this.wayKeys[way]) continue;
      const p = this.wayRule[way];
      if (this.ruleStamp[p] === stamp) continue;
      this.ruleStamp[p] = stamp;
      this.hits.push(p);
    }
  }

  private nextStamp(): void {
    if (++this.stamp === 0xffffffff) {
      this.slotStamp.fill(0);
      this.wayStamp.fill(0);
      this.ruleStamp.fill(0);
      this.stamp = 1;
    }
  }
}

/** An insertion sort: the hits of an event are a handful, and Array.prototype.sort allocates. */
function sortSmall(list: number[]): void {
  for (let i = 1; i < list.length; i++) {
    const v = list[i];
    let j = i - 1;
    while (j >= 0 && list[j] > v) {
      list[j + 1] = list[j];
      j--;
    }
    list[j + 1] = v;
  }
}

function addHead(byFirst: Map<string, Head[]>, head: string, slot: number): void {
  const first = head.charAt(0);
  let heads = byFirst.get(first);
  if (!heads) {
    heads = [];
    byFirst.set(first, heads);
  }
  const known = heads.find((h) => h.head === head);
  if (!known) heads.push({ head, slots: [slot] });
  else if (known.slots[known.slots.length - 1] !== slot) known.slots.push(slot);
}
