/**
 * A nondeterministic automaton over UTF-16 code units or over code points, and
 * the subset step that both the lazy DFA (lazy-dfa.ts) and the determinization
 * of `~`/`&` operands (regex-automaton.ts) are built on.
 *
 * Plain data: state `i` has the ε-moves `epsilon[i]` and the consuming moves
 * `moves[i]`, flattened as (first symbol, last symbol, target) triples.
 */
export interface Nfa {
  readonly start: number;
  readonly accept: number;
  readonly epsilon: readonly (readonly number[])[];
  readonly moves: readonly (readonly number[])[];
  /**
   * What a symbol is: a UTF-16 unit (a regex, which mirrors JavaScript's RegExp unit for
   * unit), or a code point, a surrogate pair read as one and a lone surrogate as itself
   * (a wildcard, whose `?` is one code point). Units when left out.
   */
  readonly alphabet?: Alphabet;
  /**
   * States a state makes redundant: a set holding state `s` needs no state from `covers[s]`
   * to `s - 1`, as they accept nothing `s` does not (a wildcard's `*` and the states of its
   * pattern before it). Keeps the sets of long patterns small. None when left out.
   */
  readonly covers?: Int32Array;
}

export type Alphabet = "units" | "codePoints";

/** A sorted set of the states that matter after an ε-closure: those with moves, and the accepting one. */
export type StateSet = Int32Array;

export const MAX_UNIT = 0xffff;
export const MAX_CODE_POINT = 0x10ffff;

export const maxSymbol = (nfa: Nfa): number => (nfa.alphabet === "codePoints" ? MAX_CODE_POINT : MAX_UNIT);

/**
 * ε-closures and steps of state sets. Holds the scratch space for one NFA, so
 * a step allocates only its result, and a step into a buffer nothing.
 */
export class SubsetStepper {
  private readonly seen: Uint32Array;
  private generation = 0;
  private readonly stack: number[] = [];
  private readonly found: number[] = [];
  private readonly scratch: Int32Array;

  constructor(private readonly nfa: Nfa) {
    this.seen = new Uint32Array(nfa.epsilon.length);
    this.scratch = new Int32Array(nfa.epsilon.length);
  }

  startSet(): StateSet {
    this.begin();
    this.add(this.nfa.start);
    return this.scratch.slice(0, this.finishInto(this.scratch));
  }

  /** The states reached from `set` by consuming `symbol`, closed under ε-moves. */
  step(set: StateSet, symbol: number): StateSet {
    return this.scratch.slice(0, this.stepInto(set, set.length, symbol, this.scratch));
  }

  /**
   * `step` of the first `size` states of `set` into `into` (as long as the NFA has states),
   * which may not be `set`; returns the size of the result. For running the NFA itself, one
   * step per symbol, where allocating a set per step would cost more than the step.
   */
  stepInto(set: StateSet, size: number, symbol: number, into: Int32Array): number {
    this.begin();
    const all = this.nfa.moves;
    for (let k = 0; k < size; k++) {
      const moves = all[set[k]];
      for (let i = 0; i < moves.length; i += 3) {
        if (moves[i] <= symbol && symbol <= moves[i + 1]) this.add(moves[i + 2]);
      }
    }
    return this.finishInto(into);
  }

  accepts(set: StateSet): boolean {
    // Sorted, so a binary search would do; sets are small and this runs once per new set.
    return set.includes(this.nfa.accept);
  }

  private begin(): void {
    if (++this.generation === 0xffffffff) {
      this.seen.fill(0);
      this.generation = 1;
    }
    this.found.length = 0;
  }

  private add(state: number): void {
    const { seen, stack, generation } = this;
    if (seen[state] === generation) return;
    seen[state] = generation;
    stack.push(state);
    while (stack.length > 0) {
      const current = stack.pop()!;
      if (this.nfa.moves[current].length > 0 || current === this.nfa.accept) this.found.push(current);
      for (const next of this.nfa.epsilon[current]) {
        if (seen[next] !== generation) {
          seen[next] = generation;
          stack.push(next);
        }
      }
    }
  }

  /** The states found, sorted, into `into`, without those covered; returns how many. */
  private finishInto(into: Int32Array): number {
    const { found } = this;
    const size = found.length;
    for (let i = 0; i < size; i++) into[i] = found[i];
    if (size < 2) return size;
    if (size <= 16) insertionSort(into, size);
    else into.subarray(0, size).sort();
    return this.nfa.covers ? dropCovered(into, size, this.nfa.covers) : size;
  }
}

/** Sets are mostly this small, where a loop beats the typed array's sort and its view. */
function insertionSort(a: Int32Array, size: number): void {
  for (let i = 1; i < size; i++) {
    const x = a[i];
    let j = i - 1;
    while (j >= 0 && a[j] > x) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = x;
  }
}

/**
 * Drops from the sorted first `size` states of `set` those its members cover, in place, and
 * returns how many are left. The states a state covers come right below it (see Nfa.covers),
 * so one walk down the set finds them.
 */
function dropCovered(set: Int32Array, size: number, covers: Int32Array): number {
  let kept = size;
  let coveredFrom = Number.POSITIVE_INFINITY;
  for (let i = size - 1; i >= 0; i--) {
    const state = set[i];
    if (state >= coveredFrom) continue;
    set[--kept] = state;
    if (covers[state] < state) coveredFrom = covers[state];
  }
  if (kept > 0) set.copyWithin(0, kept, size);
  return size - kept;
}

/** A state set as a map key. */
export function setKey(set: StateSet): string {
  return set.join(",");
}

/**
 * The first symbols of the runs of symbols over which every move out of `states`
 * agrees: a step by the first symbol of a run is the step by any symbol of it.
 */
export function runStarts(nfa: Nfa, states: Iterable<number>): number[] {
  const starts = new Set<number>([0]);
  const max = maxSymbol(nfa);
  for (const state of states) {
    const moves = nfa.moves[state];
    for (let i = 0; i < moves.length; i += 3) {
      starts.add(moves[i]);
      if (moves[i + 1] < max) starts.add(moves[i + 1] + 1);
    }
  }
  return [...starts].sort((a, b) => a - b);
}
