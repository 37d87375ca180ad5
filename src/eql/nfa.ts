/**
 * A nondeterministic automaton over UTF-16 code units, and the subset step
 * that both the lazy DFA (lazy-dfa.ts) and the determinization of `~`/`&`
 * operands (regex-automaton.ts) are built on.
 *
 * Plain data: state `i` has the ε-moves `epsilon[i]` and the consuming moves
 * `moves[i]`, flattened as (first unit, last unit, target) triples.
 */
export interface Nfa {
  readonly start: number;
  readonly accept: number;
  readonly epsilon: readonly (readonly number[])[];
  readonly moves: readonly (readonly number[])[];
}

/** A sorted set of the states that matter after an ε-closure: those with moves, and the accepting one. */
export type StateSet = Int32Array;

export const MAX_UNIT = 0xffff;

/**
 * ε-closures and steps of state sets. Holds the scratch space for one NFA, so
 * a step allocates only its result.
 */
export class SubsetStepper {
  private readonly seen: Uint32Array;
  private generation = 0;
  private readonly stack: number[] = [];
  private readonly found: number[] = [];

  constructor(private readonly nfa: Nfa) {
    this.seen = new Uint32Array(nfa.epsilon.length);
  }

  startSet(): StateSet {
    this.begin();
    this.add(this.nfa.start);
    return this.finish();
  }

  /** The states reached from `set` by consuming `unit`, closed under ε-moves. */
  step(set: StateSet, unit: number): StateSet {
    this.begin();
    for (const state of set) {
      const moves = this.nfa.moves[state];
      for (let i = 0; i < moves.length; i += 3) {
        if (moves[i] <= unit && unit <= moves[i + 1]) this.add(moves[i + 2]);
      }
    }
    return this.finish();
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

  private finish(): StateSet {
    return Int32Array.from(this.found).sort();
  }
}

/** A state set as a map key. */
export function setKey(set: StateSet): string {
  return set.join(",");
}

/**
 * The first units of the runs of units over which every move out of `states`
 * agrees: a step by the first unit of a run is the step by any unit of it.
 */
export function runStarts(nfa: Nfa, states: Iterable<number>): number[] {
  const starts = new Set<number>([0]);
  for (const state of states) {
    const moves = nfa.moves[state];
    for (let i = 0; i < moves.length; i += 3) {
      starts.add(moves[i]);
      if (moves[i + 1] < MAX_UNIT) starts.add(moves[i + 1] + 1);
    }
  }
  return [...starts].sort((a, b) => a - b);
}
