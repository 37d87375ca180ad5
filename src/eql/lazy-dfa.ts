/**
 * Whole-value matching with an NFA in time linear in the value and memory
 * bounded by the pattern: the DFA is built lazily, one state set per new
 * situation, and cached, so a unit usually costs two array reads. A value that
 * keeps meeting new sets (a pattern whose DFA is exponential) fills the cache;
 * it is then emptied, as in RE2, and once it has been emptied twice for one
 * value the rest of that value runs on the NFA directly: one step, O(states),
 * per unit, and no memory beyond the current set.
 */
import { MAX_UNIT, type Nfa, runStarts, type StateSet, SubsetStepper, setKey } from "./nfa.ts";

/** Cached DFA states, and their transition-table cells, before the cache is emptied. */
const MAX_CACHED_STATES = 4096;
const MAX_CACHED_CELLS = 1 << 18;
/** Summed sizes of the cached state sets (NFA states), for automata with large sets. */
const MAX_CACHED_SET_ELEMENTS = 1 << 18;

const UNKNOWN = -1;
/** The empty set, interned first. */
const DEAD = 0;

export class LazyDfa {
  private readonly stepper: SubsetStepper;
  private readonly startSet: StateSet;
  /** Units over which every move agrees share a class, so one table column serves them all. */
  private classOf: Uint16Array | null = null;
  private classUnit: number[] = [];
  private sets: StateSet[] = [];
  private accepting: boolean[] = [];
  private table: Int32Array[] = [];
  private index = new Map<string, number>();
  private setElements = 0;
  private start = DEAD;
  private flushes = 0;

  constructor(private readonly nfa: Nfa) {
    this.stepper = new SubsetStepper(nfa);
    this.startSet = this.stepper.startSet();
  }

  matches(value: string): boolean {
    const classOf = this.classOf ?? this.prepare();
    const flushesBefore = this.flushes;
    let table = this.table;
    let state = this.start;
    for (let i = 0; i < value.length; i++) {
      const column = classOf[value.charCodeAt(i)];
      let next = table[state][column];
      if (next === UNKNOWN) {
        next = this.computeNext(state, column);
        // A cache emptied twice for one value keeps missing: caching would only add work.
        if (this.flushes - flushesBefore >= 2) return this.simulate(this.sets[next], value, i + 1);
        table = this.table;
      }
      if (next === DEAD) return false;
      state = next;
    }
    return this.accepting[state];
  }

  /** The NFA run as is, one state set per unit, from `set` at `from` to the end of the value. */
  private simulate(set: StateSet, value: string, from: number): boolean {
    let current = set;
    for (let i = from; i < value.length && current.length > 0; i++) {
      current = this.stepper.step(current, value.charCodeAt(i));
    }
    return this.stepper.accepts(current);
  }

  /** For tests: how many DFA states are cached, and how often the cache was emptied. */
  stats(): { cachedStates: number; flushes: number } {
    return { cachedStates: this.sets.length, flushes: this.flushes };
  }

  /** Deferred to the first value, so that compiling a rule stays cheap. */
  private prepare(): Uint16Array {
    const all = this.nfa.moves.keys();
    const starts = runStarts(this.nfa, all);
    const classOf = new Uint16Array(MAX_UNIT + 1);
    starts.forEach((first, column) => {
      const end = column + 1 < starts.length ? starts[column + 1] : MAX_UNIT + 1;
      classOf.fill(column, first, end);
    });
    this.classUnit = starts;
    this.classOf = classOf;
    this.reset();
    return classOf;
  }

  private reset(): void {
    this.sets = [];
    this.accepting = [];
    this.table = [];
    this.index = new Map();
    this.setElements = 0;
    this.intern(new Int32Array(0));
    this.start = this.intern(this.startSet);
  }

  private computeNext(state: number, column: number): number {
    const set = this.sets[state];
    const next = this.stepper.step(set, this.classUnit[column]);
    let from = state;
    if (!this.index.has(setKey(next)) && this.full(next)) {
      this.flushes++;
      this.reset();
      from = this.intern(set);
    }
    const target = this.intern(next);
    this.table[from][column] = target;
    return target;
  }

  private full(adding: StateSet): boolean {
    return (
      this.sets.length >= MAX_CACHED_STATES ||
      (this.sets.length + 1) * this.classUnit.length > MAX_CACHED_CELLS ||
      this.setElements + adding.length > MAX_CACHED_SET_ELEMENTS
    );
  }

  private intern(set: StateSet): number {
    const key = setKey(set);
    let id = this.index.get(key);
    if (id === undefined) {
      id = this.sets.length;
      this.sets.push(set);
      this.accepting.push(this.stepper.accepts(set));
      this.table.push(new Int32Array(this.classUnit.length).fill(UNKNOWN));
      this.index.set(key, id);
      this.setElements += set.length;
    }
    return id;
  }
}
