/**
 * A Lucene regex as an NFA over UTF-16 units, so that long values can be
 * tested in time linear in their length and memory bounded by the pattern
 * (lazy-dfa.ts runs it). It is built from the same tree as the JS translation
 * (lucene-regex.ts) and mirrors it unit for unit, so the two agree on every
 * value, malformed UTF-16 included: `.` and classes take one whole code point
 * (a BMP unit or a surrogate pair), `@` and `.*` any run of units, and
 * `regex~` folds ASCII letters only. Both ends are anchored: the automaton
 * accepts when the whole value is consumed.
 *
 * Counted repetition is expanded, one copy of the operand per count, so a
 * pattern whose automaton would exceed MAX_AUTOMATON_STATES (`a{100000}`,
 * `(a{1000}){1000}`) is refused when the rule is compiled rather than risking
 * memory and time per event. `~` and `&` have no NFA construction: their
 * operands are determinized (at most MAX_DETERMINIZED_STATES states each),
 * complemented or intersected as DFAs, and embedded as states of the NFA.
 */

import {
  codePointRanges,
  codePointUnits,
  LuceneRegexError,
  matchesAnyUnits,
  otherAsciiCase,
  parseLuceneRegex,
  type RegexNode,
} from "./lucene-regex.ts";
import { MAX_UNIT, type Nfa, runStarts, type StateSet, SubsetStepper, setKey } from "./nfa.ts";

/** Enough for every corpus pattern many times over; a few MB at most. */
export const MAX_AUTOMATON_STATES = 50_000;

/** Per `~` or `&`; the subset and product constructions can grow exponentially. */
export const MAX_DETERMINIZED_STATES = 10_000;

/** State-set elements visited while determinizing one operand, so that large sets are bounded too. */
const MAX_DETERMINIZE_WORK = 20_000_000;

export function compileRegexAutomaton(
  pattern: string,
  options: { caseInsensitive: boolean },
  tree: RegexNode = parseLuceneRegex(pattern),
): Nfa {
  const builder = new NfaBuilder(pattern, options.caseInsensitive);
  const start = builder.newState();
  const accept = builder.build(tree, start);
  return builder.nfa(start, accept);
}

/** A complete or partial DFA: `moves[i]` are sorted, disjoint (first, last, target) triples. */
interface Dfa {
  readonly start: number;
  readonly accepting: boolean[];
  readonly moves: number[][];
}

/**
 * Thompson's construction. `build(node, from)` adds the states for `node`
 * entered at `from` and returns the state where it ends. It only adds moves
 * out of `from`, never into it, so the caller may share `from` between
 * alternatives and keep adding moves to the returned state.
 */
class NfaBuilder {
  private readonly epsilon: number[][] = [];
  private readonly moves: number[][] = [];
  /** Where the counted repetition being expanded starts, to point at it when the automaton grows too large. */
  private expanding: number | null = null;

  constructor(
    private readonly pattern: string,
    private readonly caseInsensitive: boolean,
  ) {}

  nfa(start: number, accept: number): Nfa {
    return { start, accept, epsilon: this.epsilon, moves: this.moves };
  }

  newState(): number {
    if (this.epsilon.length >= MAX_AUTOMATON_STATES) {
      throw new LuceneRegexError(
        this.pattern,
        this.expanding ?? 0,
        `too complex: its automaton would need more than ${MAX_AUTOMATON_STATES} states`,
      );
    }
    this.epsilon.push([]);
    this.moves.push([]);
    return this.epsilon.length - 1;
  }

  private move(from: number, first: number, last: number, to: number): void {
    this.moves[from].push(first, last, to);
  }

  private skip(from: number, to: number): void {
    this.epsilon[from].push(to);
  }

  build(node: RegexNode, from: number): number {
    if (matchesAnyUnits(node)) {
      const loop = this.newState();
      this.skip(from, loop);
      this.move(loop, 0, MAX_UNIT, loop);
      return loop;
    }
    switch (node.kind) {
      case "literal":
        return this.buildLiteral(node.text, from);
      case "anyChar":
      case "class":
        return this.buildCodePoint(node, from);
      case "anyString":
        throw new Error("unreachable: @ matches any units");
      case "nothing":
        return this.newState(); // nothing leads there
      case "concat": {
        let at = from;
        for (const part of node.parts) at = this.build(part, at);
        return at;
      }
      case "union": {
        const end = this.newState();
        for (const alternative of node.alternatives) this.skip(this.build(alternative, from), end);
        return end;
      }
      case "repeat":
        return this.buildRepeat(node, from);
      case "complement":
        return this.embed(complement(this.determinize(node.operand, node.offset)), from);
      case "intersection": {
        const [first, ...rest] = node.operands.map((operand) => this.determinize(operand, node.offset));
        const product = rest.reduce<Dfa | null>((a, b) => (a === null ? null : intersect(a, b)), first);
        return this.embed(product ?? this.tooComplex(node.offset), from);
      }
    }
  }

  /** The units of the text as written: an astral character is its surrogate pair. */
  private buildLiteral(text: string, from: number): number {
    let at = from;
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      const next = this.newState();
      this.move(at, unit, unit, next);
      const other = this.caseInsensitive ? otherAsciiCase(unit) : null;
      if (other !== null) this.move(at, other, other, next);
      at = next;
    }
    return at;
  }

  private buildCodePoint(node: Extract<RegexNode, { kind: "anyChar" | "class" }>, from: number): number {
    const { units, pairs } = codePointUnits(codePointRanges(node, this.caseInsensitive));
    const end = this.newState();
    for (const [first, last] of units) this.move(from, first, last, end);
    for (const { high, low } of pairs) {
      const between = this.newState();
      this.move(from, high[0], high[1], between);
      this.move(between, low[0], low[1], end);
    }
    return end;
  }

  private buildRepeat(node: Extract<RegexNode, { kind: "repeat" }>, from: number): number {
    const outermost = this.expanding === null;
    if (outermost) this.expanding = node.offset;
    try {
      return this.expand(node.operand, node.min, node.max, from);
    } finally {
      if (outermost) this.expanding = null;
    }
  }

  private expand(operand: RegexNode, min: number, max: number, from: number): number {
    const unbounded = max === Number.POSITIVE_INFINITY;
    // `X{n,}` is n-1 copies and a copy that may repeat: `X+` is one copy, not two, so that
    // stacked quantifiers such as `((a+)+)+` do not double the automaton per level.
    const copies = unbounded && min > 0 ? min - 1 : min;
    let at = from;
    for (let count = 0; count < copies; count++) {
      const before = this.epsilon.length;
      at = this.build(operand, at);
      // An operand without states matches only the empty string: more copies change nothing.
      if (this.epsilon.length === before) return at;
    }
    if (unbounded) {
      const loop = this.newState();
      this.skip(at, loop);
      const end = this.build(operand, loop);
      this.skip(end, loop);
      return min > 0 ? end : loop;
    }
    const end = this.newState();
    for (let count = min; count < max; count++) {
      this.skip(at, end);
      const before = this.epsilon.length;
      at = this.build(operand, at);
      if (this.epsilon.length === before) break;
    }
    this.skip(at, end);
    return end;
  }

  /** The operand alone, as a DFA; its NFA states stay behind, unreachable from the rest. */
  private determinize(operand: RegexNode, offset: number): Dfa {
    const start = this.newState();
    const accept = this.build(operand, start);
    return determinize(this.nfa(start, accept)) ?? this.tooComplex(offset);
  }

  private tooComplex(offset: number): never {
    throw new LuceneRegexError(
      this.pattern,
      offset,
      `too complex: the operator would need more than ${MAX_DETERMINIZED_STATES} deterministic states`,
    );
  }

  private embed(dfa: Dfa, from: number): number {
    const states = dfa.accepting.map(() => this.newState());
    const end = this.newState();
    this.skip(from, states[dfa.start]);
    dfa.moves.forEach((moves, i) => {
      for (let k = 0; k < moves.length; k += 3)
        this.move(states[i], moves[k], moves[k + 1], states[moves[k + 2]]);
      if (dfa.accepting[i]) this.skip(states[i], end);
    });
    return end;
  }
}

/** The subset construction, or null past MAX_DETERMINIZED_STATES or MAX_DETERMINIZE_WORK. */
function determinize(nfa: Nfa): Dfa | null {
  const stepper = new SubsetStepper(nfa);
  const sets: StateSet[] = [];
  const index = new Map<string, number>();
  const intern = (set: StateSet): number => {
    const key = setKey(set);
    let id = index.get(key);
    if (id === undefined) {
      id = sets.length;
      sets.push(set);
      index.set(key, id);
    }
    return id;
  };
  const moves: number[][] = [];
  intern(stepper.startSet());
  let work = 0;
  for (let i = 0; i < sets.length; i++) {
    const set = sets[i];
    const starts = runStarts(nfa, set);
    work += set.length * starts.length;
    if (sets.length > MAX_DETERMINIZED_STATES || work > MAX_DETERMINIZE_WORK) return null;
    const out: number[] = [];
    starts.forEach((first, k) => {
      const last = k + 1 < starts.length ? starts[k + 1] - 1 : MAX_UNIT;
      const next = stepper.step(set, first);
      if (next.length === 0) return;
      const target = intern(next);
      const previous = out.length - 3;
      if (previous >= 0 && out[previous + 2] === target && out[previous + 1] === first - 1)
        out[previous + 1] = last;
      else out.push(first, last, target);
    });
    moves.push(out);
  }
  return { start: 0, accepting: sets.map((set) => stepper.accepts(set)), moves };
}

/** Every unit string the DFA rejects: completed with a dead state, acceptance flipped. */
function complement(dfa: Dfa): Dfa {
  const dead = dfa.accepting.length;
  const moves = [...dfa.moves, [0, MAX_UNIT, dead]].map((stateMoves) => {
    const complete: number[] = [];
    let next = 0;
    for (let k = 0; k < stateMoves.length; k += 3) {
      if (stateMoves[k] > next) complete.push(next, stateMoves[k] - 1, dead);
      complete.push(stateMoves[k], stateMoves[k + 1], stateMoves[k + 2]);
      next = stateMoves[k + 1] + 1;
    }
    if (next <= MAX_UNIT) complete.push(next, MAX_UNIT, dead);
    return complete;
  });
  return { start: dfa.start, accepting: [...dfa.accepting, false].map((accepts) => !accepts), moves };
}

/** The product DFA (strings both accept), or null past MAX_DETERMINIZED_STATES. */
function intersect(a: Dfa, b: Dfa): Dfa | null {
  const pairs: [number, number][] = [];
  const index = new Map<number, number>();
  const width = b.accepting.length;
  const intern = (x: number, y: number): number => {
    const key = x * width + y;
    let id = index.get(key);
    if (id === undefined) {
      id = pairs.length;
      pairs.push([x, y]);
      index.set(key, id);
    }
    return id;
  };
  intern(a.start, b.start);
  const moves: number[][] = [];
  for (let i = 0; i < pairs.length; i++) {
    if (pairs.length > MAX_DETERMINIZED_STATES) return null;
    const [x, y] = pairs[i];
    const ma = a.moves[x];
    const mb = b.moves[y];
    const out: number[] = [];
    let j = 0;
    let k = 0;
    while (j < ma.length && k < mb.length) {
      const first = Math.max(ma[j], mb[k]);
      const last = Math.min(ma[j + 1], mb[k + 1]);
      if (first <= last) out.push(first, last, intern(ma[j + 2], mb[k + 2]));
      if (ma[j + 1] < mb[k + 1]) j += 3;
      else k += 3;
    }
    moves.push(out);
  }
  return { start: 0, accepting: pairs.map(([x, y]) => a.accepting[x] && b.accepting[y]), moves };
}
