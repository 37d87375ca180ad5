/**
 * Wildcard patterns, any number of them, as one NFA over code points, so that the lazy DFA
 * (lazy-dfa.ts) decides a value against all of them in one pass: a table read per character
 * once the states it meets are cached, however many patterns and `?` there are. Run one by
 * one, a rule's list of 5,000 patterns read a 100 KB value 5,000 times, and a pattern with
 * many `?` after a `*` read it again at each position (seconds per event).
 *
 * The patterns share their common beginnings (a trie), so that a list's leading `*` is one
 * state and not one per pattern; and a `*` covers the states of its pattern before it (see
 * Nfa.covers), as whatever they go on to match, the `*` matches too: a set then holds, per
 * pattern, only the states since its last `*`.
 */

import { MAX_CODE_POINT, type Nfa } from "./nfa.ts";
import type { WildcardOptions } from "./wildcard-pattern.ts";
import { EXACT, ONE, STAR, type WildcardToken } from "./wildcard-token.ts";

const ACCEPT = 0;
const ROOT = 1;

interface TrieNode {
  readonly children: Map<number, TrieNode>;
  /** a pattern ends here */
  end: boolean;
}

/** A trie node as a state: numbered in preorder, so that a chain of single children is consecutive. */
interface Numbered {
  readonly node: TrieNode;
  readonly parent: number;
  /** the symbol from the parent to it */
  readonly symbol: number;
}

export function compileWildcardAutomaton(
  patterns: readonly (readonly WildcardToken[])[],
  { caseInsensitive, withinLines = false }: WildcardOptions,
): Nfa {
  const states = numberStates(trieOf(patterns));
  const any = withinLines ? ANY_BUT_LINE_TERMINATORS : ANY;
  const epsilon: number[][] = states.map(({ node }) => (node.end ? [ACCEPT] : []));
  const moves: number[][] = states.map(() => []);
  const covers = new Int32Array(states.length).map((_, state) => state);
  states.forEach(({ parent, symbol }, state) => {
    if (parent < ROOT) return;
    if (symbol === STAR) {
      epsilon[parent].push(state);
      for (const [first, last] of any) moves[state].push(first, last, state);
      covers[state] = chainTop(state);
    } else {
      for (const [first, last] of symbolRanges(symbol, any, caseInsensitive))
        moves[parent].push(first, last, state);
    }
  });
  return { start: ROOT, accept: ACCEPT, epsilon, moves, alphabet: "codePoints", covers };

  /**
   * The first state of the chain of single children that ends with the `*` at `star`: each of
   * them leads only to the next, by a symbol the `*` takes too, so the `*` accepts all they
   * do. A pattern's end (which accepts there, and with a `*` of its own, anything after) and a
   * literal line terminator (which a script's `*` does not take) end the chain.
   */
  function chainTop(star: number): number {
    let top = star;
    for (;;) {
      const { parent, symbol } = states[top];
      if (parent < ROOT || states[parent].node.children.size !== 1 || states[parent].node.end) return top;
      if (withinLines && symbol >= 0 && isLineTerminator(symbol)) return top;
      top = parent;
    }
  }
}

function trieOf(patterns: readonly (readonly WildcardToken[])[]): TrieNode {
  const root: TrieNode = { children: new Map(), end: false };
  for (const pattern of patterns) {
    let node = root;
    for (const symbol of symbolsOf(pattern)) {
      let child = node.children.get(symbol);
      if (!child) {
        child = { children: new Map(), end: false };
        node.children.set(symbol, child);
      }
      node = child;
    }
    node.end = true;
  }
  return root;
}

/** The accepting state first, then the trie in preorder (iteratively: a pattern may be long). */
function numberStates(root: TrieNode): Numbered[] {
  const states: Numbered[] = [{ node: { children: new Map(), end: false }, parent: -1, symbol: 0 }];
  const stack: Numbered[] = [{ node: root, parent: -1, symbol: 0 }];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    const state = states.length;
    states.push(entry);
    // Reversed, so that the first child is numbered next.
    for (const [symbol, child] of [...entry.node.children].reverse())
      stack.push({ node: child, parent: state, symbol });
  }
  return states;
}

/**
 * A pattern's tokens as symbols: a surrogate pair of literal text as its code point, and every
 * run of `*` and `?` holding a `*` as its `?`s followed by one `*` (`?*?` and `**` say no more
 * than `??*` and `*`), so that a long run costs a short chain rather than a set per `*`.
 */
function symbolsOf(tokens: readonly WildcardToken[]): number[] {
  const symbols: number[] = [];
  let star = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === STAR) {
      star = true;
      continue;
    }
    if (t === ONE) {
      symbols.push(ONE);
      continue;
    }
    if (star) {
      symbols.push(STAR);
      star = false;
    }
    const next = tokens[i + 1];
    if (t >= EXACT) {
      symbols.push(exactSymbol(t - EXACT));
    } else if (isHighSurrogate(t) && next !== undefined && isLowSurrogate(next)) {
      symbols.push(String.fromCharCode(t, next).codePointAt(0)!);
      i++;
    } else {
      symbols.push(t);
    }
  }
  if (star) symbols.push(STAR);
  return symbols;
}

type Range = readonly [number, number];

const ANY: readonly Range[] = [[0, MAX_CODE_POINT]];

/** What `.` takes in a java.util.regex pattern without DOTALL (see wildcard-pattern.ts). */
const ANY_BUT_LINE_TERMINATORS: readonly Range[] = [
  [0, 0x09],
  [0x0b, 0x0c],
  [0x0e, 0x84],
  [0x86, 0x2027],
  [0x202a, MAX_CODE_POINT],
];

/**
 * The code points a symbol takes. Patterns that ignore case come with their ASCII letters
 * folded, so the other case is added; one marked EXACT takes itself alone.
 */
function symbolRanges(symbol: number, any: readonly Range[], caseInsensitive: boolean): readonly Range[] {
  if (symbol === ONE) return any;
  if (symbol <= EXACT_SYMBOLS) return [[EXACT_SYMBOLS - symbol, EXACT_SYMBOLS - symbol]];
  return caseInsensitive && isAsciiLower(symbol)
    ? [
        [symbol, symbol],
        [symbol - 0x20, symbol - 0x20],
      ]
    : [[symbol, symbol]];
}

/**
 * A letter marked EXACT, as a symbol: below STAR and ONE, since code points take every number
 * from 0 up, EXACT's among them.
 */
const EXACT_SYMBOLS = -16;
const exactSymbol = (c: number) => EXACT_SYMBOLS - c;

const isAsciiLower = (c: number) => c >= 0x61 && c <= 0x7a;

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;
const isLineTerminator = (c: number) =>
  c === 0x0a || c === 0x0d || c === 0x85 || c === 0x2028 || c === 0x2029;
