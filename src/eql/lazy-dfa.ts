/**
 * Whole-value matching with an NFA in time linear in the value and memory
 * bounded by the pattern: the DFA is built lazily, one state set per new
 * situation, and cached, so a unit usually costs two array reads. A value that
 * keeps meeting new sets (a pattern whose DFA is exponential) fills the cache;
 * it is then emptied, as in RE2, and once a value has filled it in fewer than
 * MIN_SYMBOLS_PER_STATE symbols per state, the rest of that value runs on the
 * NFA directly: one step, O(states), per unit, and no memory beyond the current
 * set. Building a state costs several such steps, so a cache that keeps missing
 * is worse than none.
 *
 * An automaton over code points (a wildcard's) reads a surrogate pair as one symbol and a lone
 * surrogate as itself; one over units (a regex's) reads the value unit by unit.
 */
import { MAX_UNIT, type Nfa, runStarts, type StateSet, SubsetStepper, setKey } from "./nfa.ts";

/** Cached DFA states, and their transition-table cells, before the cache is emptied. */
const MAX_CACHED_STATES = 4096;
const MAX_CACHED_CELLS = 1 << 18;
/** Summed sizes of the cached state sets (NFA states), for automata with large sets. */
const MAX_CACHED_SET_ELEMENTS = 1 << 18;

/** RE2's measure of a cache that pays: below it, the rest of the value runs on the NFA. */
const MIN_SYMBOLS_PER_STATE = 10;

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
  /** how many states the cache held when it was last emptied */
  private heldAtFlush = 0;
  /** Transitions computed, and symbols stepped on the NFA itself: the work beyond table reads. */
  private computed = 0;
  private simulated = 0;
  private readonly pairs: boolean;

  constructor(private readonly nfa: Nfa) {
    this.stepper = new SubsetStepper(nfa);
    this.startSet = this.stepper.startSet();
    this.pairs = nfa.alphabet === "codePoints";
  }

  matches(value: string): boolean {
    return this.run(value, true)!;
  }

  /**
   * `matches`, or undefined once the cache keeps missing on the value (see MIN_SYMBOLS_PER_STATE),
   * for a caller that has a cheaper way than the NFA to decide it then.
   */
  tryMatches(value: string): boolean | undefined {
    return this.run(value, false);
  }

  private run(value: string, simulateWhenMissing: boolean): boolean | undefined {
    const classOf = this.classOf ?? this.prepare();
    let flushes = this.flushes;
    let filledFrom = 0;
    const pairs = this.pairs;
    let table = this.table;
    let state = this.start;
    for (let i = 0; i < value.length; i++) {
      const unit = value.charCodeAt(i);
      let column: number;
      if (pairs && isPairAt(value, i, unit)) column = this.astralClass(value.codePointAt(i++)!);
      else column = classOf[unit];
      let next = table[state][column];
      if (next === UNKNOWN) {
        next = this.computeNext(state, column);
        if (this.flushes !== flushes) {
          flushes = this.flushes;
          if (i + 1 - filledFrom < MIN_SYMBOLS_PER_STATE * this.heldAtFlush)
            return simulateWhenMissing ? this.simulate(this.sets[next], value, i + 1) : undefined;
          filledFrom = i + 1;
        }
        table = this.table;
      }
      if (next === DEAD) return false;
      state = next;
    }
    return this.accepting[state];
  }

  /** The NFA run as is, one state set per symbol, from `set` at `from` to the end of the value. */
  private simulate(set: StateSet, value: string, from: number): boolean {
    const states = this.nfa.epsilon.length;
    let current = new Int32Array(states);
    let next = new Int32Array(states);
    current.set(set);
    let size = set.length;
    for (let i = from; i < value.length && size > 0; i++) {
      const unit = value.charCodeAt(i);
      const symbol = this.pairs && isPairAt(value, i, unit) ? value.codePointAt(i++)! : unit;
      size = this.stepper.stepInto(current, size, symbol, next);
      [current, next] = [next, current];
      this.simulated++;
    }
    return this.stepper.accepts(current.subarray(0, size));
  }

  /**
   * For tests: how many DFA states are cached, how often the cache was emptied, how many
   * transitions were computed and how many symbols stepped on the NFA, since it was built.
   */
  stats(): { cachedStates: number; flushes: number; computed: number; simulated: number } {
    return {
      cachedStates: this.sets.length,
      flushes: this.flushes,
      computed: this.computed,
      simulated: this.simulated,
    };
  }

  /** The column of a code point past the BMP: the last run starting at or below it. */
  private astralClass(codePoint: number): number {
    const starts = this.classUnit;
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle] <= codePoint) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /** Deferred to the first value, so that compiling a rule stays cheap. */
  private prepare(): Uint16Array {
    const all = this.nfa.moves.keys();
    const starts = runStarts(this.nfa, all);
    const classOf = new Uint16Array(MAX_UNIT + 1);
    starts.forEach((first, column) => {
      const end = column + 1 < starts.length ? starts[column + 1] : MAX_UNIT + 1;
      if (first <= MAX_UNIT) classOf.fill(column, first, Math.min(end, MAX_UNIT + 1));
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
    this.computed++;
    const set = this.sets[state];
    const next = this.stepper.step(set, this.classUnit[column]);
    let from = state;
    if (!this.index.has(setKey(next)) && this.full(next)) {
      this.flushes++;
      this.heldAtFlush = this.sets.length;
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

/** Whether a high surrogate at `i` has its low one after it. */
function isPairAt(value: string, i: number, unit: number): boolean {
  if (unit < 0xd800 || unit > 0xdbff || i + 1 >= value.length) return false;
  const next = value.charCodeAt(i + 1);
  return next >= 0xdc00 && next <= 0xdfff;
}
