import type { FieldGetter } from "../eql/field-access.ts";
import { someValue } from "../eql/field-access.ts";
import type { Requirement } from "../eql/requirement.ts";

/**
 * The second level of the rule index, after `event.category`: rules keyed by the exact
 * strings one of their fields must hold (`process.name : ("bash", "sh")`,
 * `host.os.type == "linux"`). An event reads each keyed field once and looks its values
 * up, instead of every rule testing them in turn: with a thousand rules loaded, most
 * rules of a category are about other programs and never run.
 */

/** Terms a rule needs: some value of one of these fields is one of their strings (a disjunction). */
export type IndexKey = KeyTerm[];

export interface KeyTerm {
  field: string;
  get: FieldGetter;
  values: ReadonlySet<string>;
  caseInsensitive: boolean;
}

/**
 * Fields most events of a category share a few values of: keying on them barely narrows.
 * A rule is keyed on another of its conditions when it has one.
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
 * A key every event the rule can match has, or null when the requirement names none (the
 * rule then sees every event of its categories). An empty key: the rule can never match.
 */
export function indexKey(r: Requirement): IndexKey | null {
  switch (r.kind) {
    case "always":
      return null;
    case "never":
      return [];
    case "field": {
      const { query } = r;
      if (!query.terms) return null;
      return [{ field: query.field, get: query.get, ...query.terms }];
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

interface FieldEntry {
  get: FieldGetter;
  /** value → positions of the rules keyed on it */
  exact: Map<string, number[]>;
  /** lower-cased value → positions, for case-insensitive terms */
  folded: Map<string, number[]>;
}

/** Rules some of which are keyed: `select` returns, in load order, those an event may match. */
export class TermIndex<T> {
  private readonly unkeyed: number[] = [];
  private readonly unkeyedItems: T[];
  private readonly items: T[] = [];
  private readonly fields = new Map<string, FieldEntry>();
  private readonly seen: Uint32Array;
  private stamp = 0;

  /** `position`: the rule's place in load order, below `size` */
  constructor(rules: ReadonlyArray<{ item: T; position: number; key: IndexKey | null }>, size: number) {
    this.seen = new Uint32Array(size);
    for (const { item, position, key } of rules) {
      this.items[position] = item;
      if (key === null) {
        this.unkeyed.push(position);
        continue;
      }
      for (const term of key) {
        let entry = this.fields.get(term.field);
        if (!entry) {
          entry = { get: term.get, exact: new Map(), folded: new Map() };
          this.fields.set(term.field, entry);
        }
        const map = term.caseInsensitive ? entry.folded : entry.exact;
        for (const value of term.values) {
          const list = map.get(value);
          if (list === undefined) map.set(value, [position]);
          else if (list[list.length - 1] !== position) list.push(position);
        }
      }
    }
    this.unkeyed.sort((a, b) => a - b);
    this.unkeyedItems = this.unkeyed.map((p) => this.items[p]);
  }

  /** The unkeyed rules and those whose key the event has, in load order. */
  select(event: Record<string, unknown>): readonly T[] {
    if (this.fields.size === 0) return this.unkeyedItems;
    const stamp = this.nextStamp();
    const seen = this.seen;
    let hits: number[] | undefined;
    const add = (positions: number[] | undefined) => {
      if (positions === undefined) return;
      for (const p of positions) {
        if (seen[p] === stamp) continue;
        seen[p] = stamp;
        if (hits) hits.push(p);
        else hits = [p];
      }
    };
    for (const entry of this.fields.values()) {
      someValue(entry.get(event), (v) => {
        // Keys hold strings only: a number or boolean value can pass no keyed test.
        if (typeof v !== "string") return false;
        add(entry.exact.get(v));
        if (entry.folded.size > 0) add(entry.folded.get(v.toLowerCase()));
        return false;
      });
    }
    if (hits === undefined) return this.unkeyedItems;
    for (const p of this.unkeyed) hits.push(p);
    hits.sort((a, b) => a - b);
    return hits.map((p) => this.items[p]);
  }

  private nextStamp(): number {
    if (++this.stamp === 0xffffffff) {
      this.seen.fill(0);
      this.stamp = 1;
    }
    return this.stamp;
  }
}
