/**
 * The events a partition's long-window rules may still use, kept as raw messages for the next
 * snapshot. The engine cannot say which events its streams hold, so this keeps every event that
 * reached one of those rules and lets it go once it is older, in event time, than the newest
 * event minus the allowed lateness minus the rule's reach: no match can use it any more (the
 * write-ahead log's checkpoint planner judges the same way). What it keeps is a superset of
 * what the rules hold, which is all a replay needs. A time ahead of the engines' clock beyond
 * their tolerance counts as none, as the rules leave such an event out (future-dated.ts): it is
 * not the newest, and not kept.
 */
import { isFutureDated } from "../engine/future-dated.ts";
import { eventIndex } from "../engine/index-pattern.ts";
import { compileFieldGetter, type Event, someValue } from "../eql/field-access.ts";
import type { RuleSet } from "../rules/rule-set.ts";
import { reachTime } from "../server/rule-reach.ts";
import type { HeldMessage } from "./snapshot.ts";

/** Per timestamp field the long rules reach on (a reach key: rule-reach.ts reachKey), the longest reach among them (ns). */
export type ReachByField = ReadonlyMap<string, bigint>;

interface Entry {
  message: HeldMessage;
  /** the event's time in each field, null where it has none */
  times: Array<bigint | null>;
}

export class HeldEvents {
  private entries: Entry[] = [];
  /** the first live entry: the array is compacted once the dead prefix is large */
  private head = 0;
  private readonly fields: string[];
  private readonly getters: Array<(event: Event) => bigint | null>;
  private readonly reaches: bigint[];
  private readonly newest: Array<bigint | null>;
  /** entries dropped because the log was full: the next snapshot is incomplete */
  overflowed = 0;
  /** bytes of the bodies kept */
  private bytes = 0;

  constructor(
    reach: ReachByField,
    private readonly latenessNs: bigint,
    /** bytes of event bodies kept at most */
    private readonly capacityBytes: number,
    /** the engines' clock (ms): the stream's, as the partition runner keeps it */
    private readonly clock: () => number,
  ) {
    this.fields = [...reach.keys()];
    this.getters = this.fields.map((f) => reachTime(f));
    this.reaches = this.fields.map((f) => reach.get(f)!);
    this.newest = this.fields.map(() => null);
  }

  get size(): number {
    return this.entries.length - this.head;
  }

  note(message: HeldMessage, event: Event): void {
    const clockMs = this.clock();
    const times = this.getters.map((timeOf, i) => {
      const ns = timeOf(event);
      // the rules leave out a time that far ahead, as they do no time at all
      if (ns === null || isFutureDated(ns, clockMs)) return null;
      const newest = this.newest[i];
      if (newest === null || ns > newest) this.newest[i] = ns;
      return ns;
    });
    // an event with no time in any field cannot take part in a time-ordered match
    if (times.every((t) => t === null)) return;
    this.entries.push({ message, times });
    this.bytes += message.body.length;
    this.prune();
    while (this.bytes > this.capacityBytes && this.size > 0) {
      this.drop();
      this.overflowed++;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /** The messages kept, in stream order. */
  messages(): HeldMessage[] {
    const out: HeldMessage[] = [];
    for (let i = this.head; i < this.entries.length; i++) out.push(this.entries[i].message);
    return out;
  }

  /**
   * Entries go from the front only: the stream is close to time order, so an expired entry
   * behind a live one waits a little longer, which only makes the snapshot larger.
   */
  private prune(): void {
    while (this.head < this.entries.length && this.expired(this.entries[this.head])) this.drop();
  }

  private drop(): void {
    this.bytes -= this.entries[this.head].message.body.length;
    this.head++;
  }

  private expired(entry: Entry): boolean {
    for (let i = 0; i < this.fields.length; i++) {
      const t = entry.times[i];
      const newest = this.newest[i];
      if (t === null) continue;
      if (newest === null || t >= newest - this.latenessNs - this.reaches[i]) return false;
    }
    return true;
  }
}

const eventCategory = compileFieldGetter("event.category");

/**
 * Whether any of the rules may take the event (the rule index's own choice, as the engine makes
 * it): only those events need keeping. Index patterns and exceptions are not checked, so this
 * keeps a few events too many, never one too few.
 */
export function reachesRules(rules: RuleSet, event: Event, index: string | undefined): boolean {
  const categories: string[] = [];
  someValue(eventCategory(event), (v) => {
    if (typeof v === "string") categories.push(v);
    return false;
  });
  return rules.select(event, categories, index ?? eventIndex(event)).length > 0;
}
