/**
 * Translation of Lucene `RegExp` syntax (what EQL `regex`/`regex~` use, with
 * every optional operator enabled as Elasticsearch does) into an anchored JS
 * RegExp.
 *
 * Lucene matches a whole string against an automaton, so the translation wraps
 * the body as `^(?:…)$` and differs from JS syntax in ways that matter:
 * `^` and `$` are plain characters, `.` matches newlines, `\` escapes any
 * character (so `\n` is the letter n), a quantifier after a quantifier is
 * another quantifier (never lazy), an operator character with nothing before
 * it is a literal (`*a` is the text `*a`), and `@ # <n-m> ~ &` exist.
 *
 * The pattern is parsed into a small tree first so that `~` (complement) and
 * `&` (intersection), which JS has no operator for, can be translated with
 * look-arounds where that is exact, and rejected elsewhere.
 *
 * The output deliberately uses neither the `u` nor the `i` flag: on Node 20,
 * V8's linear-time fallback engine (see regex-safety.ts) refuses regexes with
 * either flag, leaving them open to catastrophic backtracking on attacker-
 * controlled command lines. Instead, Lucene's code-point semantics are spelled
 * out with surrogate pairs, and case-insensitivity (ASCII letters, as in
 * Elasticsearch) is spelled out as `[aA]`-style classes.
 *
 * Long values are not given to the RegExp: regex-automaton.ts builds an
 * automaton from the same tree that agrees with it on every value.
 */

import { quote } from "./source.ts";

export class LuceneRegexError extends Error {
  readonly offset: number;
  readonly reason: string;

  constructor(pattern: string, offset: number, reason: string) {
    super(`invalid regex [${quote({ body: pattern }, 0, pattern.length)}] at offset ${offset}: ${reason}`);
    this.name = "LuceneRegexError";
    this.offset = offset;
    this.reason = reason;
  }
}

export function translateLuceneRegex(
  pattern: string,
  options: { caseInsensitive: boolean },
  tree: RegexNode = parseLuceneRegex(pattern),
): RegExp {
  const body = emit(tree, WHOLE_INPUT, { pattern, caseInsensitive: options.caseInsensitive });
  try {
    // `s` is not needed by what is emitted today; it keeps any future `.` faithful to Lucene.
    return new RegExp("^(?:" + body + ")$", "s");
  } catch (error) {
    // Only resource limits are expected here (e.g. a huge `{n}`); the syntax we emit is always valid.
    throw new LuceneRegexError(pattern, 0, `cannot be compiled: ${(error as Error).message}`);
  }
}

/**
 * The text a pattern matches when it matches exactly one string (`abc`,
 * `"C:\Windows"`, `a\.b`), so callers can use plain equality; else null
 * (including for patterns that do not parse).
 */
export function luceneRegexIsLiteral(pattern: string): string | null {
  try {
    return literalText(parseLuceneRegex(pattern));
  } catch (error) {
    if (error instanceof LuceneRegexError) return null;
    throw error;
  }
}

// ---------------------------------------------------------------------------
// Syntax tree

export type PredefinedClass = "d" | "D" | "s" | "S" | "w" | "W";

export type ClassItem =
  | { kind: "char"; codePoint: number }
  | { kind: "range"; from: number; to: number }
  | { kind: "predefined"; name: PredefinedClass };

export type RegexNode =
  | { kind: "literal"; text: string }
  | { kind: "anyChar" }
  | { kind: "anyString" }
  | { kind: "nothing" }
  | { kind: "class"; negated: boolean; items: ClassItem[] }
  | { kind: "repeat"; operand: RegexNode; min: number; max: number; offset: number }
  | { kind: "concat"; parts: RegexNode[] }
  | { kind: "union"; alternatives: RegexNode[] }
  | { kind: "intersection"; operands: RegexNode[]; offset: number }
  | { kind: "complement"; operand: RegexNode; offset: number };

const EMPTY: RegexNode = { kind: "literal", text: "" };

/** Lucene parses counts and interval bounds as Java ints. */
const MAX_JAVA_INT = 2147483647;

function literalText(node: RegexNode): string | null {
  if (node.kind === "literal") return node.text;
  if (node.kind !== "concat") return null;
  let text = "";
  for (const part of node.parts) {
    const partText = literalText(part);
    if (partText === null) return null;
    text += partText;
  }
  return text;
}

// ---------------------------------------------------------------------------
// Parser: recursive descent over Lucene's grammar, loosest operator first:
// union `|`, intersection `&`, concatenation, repeat `? * + {}`, complement `~`,
// then atoms. Characters are code points, as in Lucene.

/**
 * How deep groups and complements may nest. The parser, the translation and V8's own regex
 * compiler all recurse, on top of a query that may itself nest (nesting.ts); real patterns
 * nest a handful of groups.
 */
export const MAX_REGEX_NESTING = 250;

/**
 * How deep the tree may go, quantifiers stacked on quantifiers (`a**…`) included: the parser
 * reads a stack in a loop, but the translation and the automaton recurse once per level (two
 * thousand stacked `*` overflowed the call stack).
 */
export const MAX_REGEX_DEPTH = 1000;

/** The deepest path of the tree, without recursion, and where its deepest operator is. */
function deepestPlace(tree: RegexNode): { depth: number; offset: number } {
  let deepest = { depth: 0, offset: 0 };
  const pending: Array<[RegexNode, number, number]> = [[tree, 1, 0]];
  while (pending.length > 0) {
    const [node, depth, offset] = pending.pop()!;
    const at = "offset" in node ? node.offset : offset;
    if (depth > deepest.depth) deepest = { depth, offset: at };
    const children =
      node.kind === "repeat" || node.kind === "complement"
        ? [node.operand]
        : node.kind === "concat"
          ? node.parts
          : node.kind === "union"
            ? node.alternatives
            : node.kind === "intersection"
              ? node.operands
              : [];
    for (const child of children) pending.push([child, depth + 1, at]);
  }
  return deepest;
}

/** The syntax tree of a Lucene regex; throws LuceneRegexError. */
export function parseLuceneRegex(pattern: string): RegexNode {
  return new LuceneRegexParser(pattern).parse();
}

class LuceneRegexParser {
  private pos = 0;
  private nesting = 0;

  constructor(private readonly pattern: string) {}

  parse(): RegexNode {
    // An empty pattern is the empty string in Lucene, not a syntax error.
    if (this.pattern === "") return EMPTY;
    const tree = this.parseUnion();
    // Concatenation stops only before `)`, `|` or `&` and the last two are consumed above.
    if (this.more()) throw this.error(this.pos, "unbalanced parenthesis");
    const deepest = deepestPlace(tree);
    if (deepest.depth > MAX_REGEX_DEPTH)
      throw this.error(
        deepest.offset,
        `quantifiers, groups and complements nest more than ${MAX_REGEX_DEPTH} deep (a quantifier on a quantifier counts as one more)`,
      );
    return tree;
  }

  private parseUnion(): RegexNode {
    const alternatives = [this.parseIntersection()];
    while (this.eat("|")) alternatives.push(this.parseIntersection());
    return union(alternatives);
  }

  private parseIntersection(): RegexNode {
    const operands = [this.parseConcat()];
    const offset = this.pos;
    while (this.eat("&")) operands.push(this.parseConcat());
    return operands.length === 1 ? operands[0] : { kind: "intersection", operands, offset };
  }

  private parseConcat(): RegexNode {
    const parts = [this.parseRepeat()];
    while (this.more() && !this.peekAny(")|&")) parts.push(this.parseRepeat());
    return parts.length === 1 ? parts[0] : { kind: "concat", parts };
  }

  private parseRepeat(): RegexNode {
    let node = this.parseComplement();
    for (;;) {
      const offset = this.pos;
      if (this.eat("?")) node = repeat(node, 0, 1, offset);
      else if (this.eat("*")) node = repeat(node, 0, Number.POSITIVE_INFINITY, offset);
      else if (this.eat("+")) node = repeat(node, 1, Number.POSITIVE_INFINITY, offset);
      else if (this.peekAny("{")) node = this.parseCountedRepeat(node);
      else return node;
    }
  }

  private parseCountedRepeat(operand: RegexNode): RegexNode {
    const offset = this.pos++; // {
    const min = this.parseCount();
    const max = this.eat(",") ? this.parseOptionalCount() : min;
    if (!this.eat("}")) throw this.error(this.pos, "expected '}' to close the repeat count");
    return repeat(operand, min, max, offset);
  }

  private parseCount(): number {
    const count = this.parseOptionalCount();
    if (count === Number.POSITIVE_INFINITY) throw this.error(this.pos, "expected a repeat count");
    return count;
  }

  /** Digits, or Infinity when there are none (the open upper bound of `{n,}`). */
  private parseOptionalCount(): number {
    const start = this.pos;
    while (this.more() && isDigit(this.pattern.charCodeAt(this.pos))) this.pos++;
    if (start === this.pos) return Number.POSITIVE_INFINITY;
    const count = Number(this.pattern.slice(start, this.pos));
    if (count > MAX_JAVA_INT) throw this.error(start, "repeat count too large");
    return count;
  }

  private parseComplement(): RegexNode {
    if (!this.peekAny("~")) return this.parseCharClass();
    const offset = this.pos++;
    this.enter(offset);
    const operand = this.parseComplement();
    this.nesting--;
    return { kind: "complement", operand, offset };
  }

  private parseCharClass(): RegexNode {
    if (!this.peekAny("[")) return this.parseSimple();
    const start = this.pos++;
    const negated = this.eat("^");
    // The first item is always an item, so `[]a]` is the class of `]` and `a`.
    const items: ClassItem[] = [];
    do {
      if (!this.more()) throw this.error(start, "unterminated character class");
      items.push(this.parseClassItem());
    } while (!this.peekAny("]"));
    this.pos++; // ]
    return { kind: "class", negated, items };
  }

  private parseClassItem(): ClassItem {
    const predefined = this.parsePredefined();
    if (predefined !== null) return { kind: "predefined", name: predefined };
    const start = this.pos;
    const from = this.parseChar();
    if (!this.eat("-")) return { kind: "char", codePoint: from };
    const to = this.parseChar();
    if (from > to) throw this.error(start, "invalid character range: start is after end");
    return { kind: "range", from, to };
  }

  private parseSimple(): RegexNode {
    if (this.eat(".")) return { kind: "anyChar" };
    if (this.eat("#")) return { kind: "nothing" };
    if (this.eat("@")) return { kind: "anyString" };
    if (this.peekAny('"')) return this.parseQuoted();
    if (this.peekAny("(")) return this.parseGroup();
    if (this.peekAny("<")) return this.parseInterval();
    const predefined = this.parsePredefined();
    if (predefined !== null)
      return { kind: "class", negated: false, items: [{ kind: "predefined", name: predefined }] };
    return { kind: "literal", text: String.fromCodePoint(this.parseChar()) };
  }

  private parseQuoted(): RegexNode {
    const start = this.pos++;
    const end = this.pattern.indexOf('"', this.pos);
    if (end < 0) throw this.error(start, "unterminated quoted string");
    const text = this.pattern.slice(this.pos, end);
    this.pos = end + 1;
    return { kind: "literal", text };
  }

  private parseGroup(): RegexNode {
    const start = this.pos++;
    if (this.eat(")")) return EMPTY;
    if (!this.more()) throw this.error(start, "unbalanced parenthesis");
    this.enter(start);
    const inner = this.parseUnion();
    this.nesting--;
    if (!this.eat(")")) throw this.error(start, "unbalanced parenthesis");
    return inner;
  }

  private enter(offset: number): void {
    if (++this.nesting > MAX_REGEX_NESTING) {
      throw this.error(offset, `groups and complements nest more than ${MAX_REGEX_NESTING} deep`);
    }
  }

  private parseInterval(): RegexNode {
    const start = this.pos++;
    const end = this.pattern.indexOf(">", this.pos);
    if (end < 0) throw this.error(start, "unterminated numeric interval, expected '>'");
    const body = this.pattern.slice(this.pos, end);
    this.pos = end + 1;
    const bounds = /^([0-9]+)-([0-9]+)$/.exec(body);
    if (bounds === null) {
      if (!body.includes("-")) throw this.error(start, `named automaton <${body}> is not supported`);
      throw this.error(start, `invalid numeric interval <${body}>, expected <min-max>`);
    }
    const [, low, high] = bounds;
    const a = Number(low);
    const b = Number(high);
    if (a > MAX_JAVA_INT || b > MAX_JAVA_INT) throw this.error(start, "numeric interval bound too large");
    // Equal-length bounds (`<01-10>`) mean a fixed number of digits; otherwise any leading zeros.
    const digits = low.length === high.length ? low.length : 0;
    return decimalInterval(Math.min(a, b), Math.max(a, b), digits, start);
  }

  /** `\d \D \s \S \w \W` (Lucene 9+); any other escape is a literal character. */
  private parsePredefined(): PredefinedClass | null {
    if (this.pattern[this.pos] !== "\\") return null;
    const name = this.pattern[this.pos + 1];
    if (name === undefined || !"dDsSwW".includes(name)) return null;
    this.pos += 2;
    return name as PredefinedClass;
  }

  private parseChar(): number {
    const escaped = this.eat("\\");
    if (!this.more()) {
      throw this.error(this.pos, escaped ? "nothing to escape after '\\'" : "unexpected end of pattern");
    }
    const codePoint = this.pattern.codePointAt(this.pos)!;
    this.pos += codePoint > 0xffff ? 2 : 1;
    return codePoint;
  }

  private more(): boolean {
    return this.pos < this.pattern.length;
  }

  private peekAny(chars: string): boolean {
    return this.more() && chars.includes(this.pattern[this.pos]);
  }

  private eat(char: string): boolean {
    if (this.pattern[this.pos] !== char) return false;
    this.pos++;
    return true;
  }

  private error(offset: number, reason: string): LuceneRegexError {
    return new LuceneRegexError(this.pattern, offset, reason);
  }
}

function isDigit(charCode: number): boolean {
  return charCode >= 0x30 && charCode <= 0x39;
}

function repeat(operand: RegexNode, min: number, max: number, offset: number): RegexNode {
  if (min > max) return { kind: "nothing" }; // Lucene: an impossible count is the empty language
  // `@` already absorbs any repetition; nesting stars on it would only invite backtracking.
  if (operand.kind === "anyString") return operand;
  return { kind: "repeat", operand, min, max, offset };
}

// ---------------------------------------------------------------------------
// Emitter

interface EmitContext {
  readonly pattern: string;
  readonly caseInsensitive: boolean;
}

/**
 * Where a node sits in the whole input. A complement or intersection can be
 * expressed with a look-around only when one of its ends is pinned to an end
 * of the input: then `$` (or `^` in a look-behind) marks where the other
 * operand's match must stop.
 */
interface Anchoring {
  readonly atStart: boolean;
  readonly atEnd: boolean;
}

const WHOLE_INPUT: Anchoring = { atStart: true, atEnd: true };
const FLOATING: Anchoring = { atStart: false, atEnd: false };

/**
 * Any run of UTF-16 units. Used for `@` and `.*` only: every other construct
 * consumes whole code points, so a run ending inside a surrogate pair can only
 * be followed by another such run, which is the same as not splitting the pair.
 * Lone surrogates (malformed values) stay matchable by `.*`.
 */
const ANY_UNITS = "(?:[^]*)"; // grouped, so a following `?` stays a quantifier, not laziness

function emit(node: RegexNode, where: Anchoring, context: EmitContext): string {
  switch (node.kind) {
    case "literal":
      return emitLiteral(node.text, context.caseInsensitive);
    case "anyString":
      return ANY_UNITS;
    case "nothing":
      return "(?!)";
    case "anyChar":
    case "class":
      return emitCodePointSet(codePointRanges(node, context.caseInsensitive));
    case "repeat":
      return emitRepeat(node, where, context);
    case "concat":
      return emitConcat(node.parts, where, context);
    case "union":
      return (
        "(?:" + node.alternatives.map((alternative) => emit(alternative, where, context)).join("|") + ")"
      );
    case "intersection":
      return emitIntersection(node.operands, node.offset, where, context);
    case "complement":
      return emitComplement(node.operand, node.offset, where, context);
  }
}

function emitConcat(parts: readonly RegexNode[], where: Anchoring, context: EmitContext): string {
  // Empty parts (`()`, `""`) do not move the match position, so they do not unpin their neighbours.
  const first = parts.findIndex((part) => !isEmptyLiteral(part));
  const last = parts.findLastIndex((part) => !isEmptyLiteral(part));
  return parts
    .map((part, i) =>
      emit(part, { atStart: where.atStart && i <= first, atEnd: where.atEnd && i >= last }, context),
    )
    .join("");
}

function emitRepeat(
  node: Extract<RegexNode, { kind: "repeat" }>,
  where: Anchoring,
  context: EmitContext,
): string {
  if (matchesAnyUnits(node)) return ANY_UNITS;
  // At most one occurrence spans the whole node, so it keeps the node's anchoring.
  const operandWhere = node.max <= 1 ? where : FLOATING;
  const operand = emit(node.operand, operandWhere, context);
  const atom = isSingleAtom(node.operand) ? operand : "(?:" + operand + ")";
  // The group keeps a following quantifier from reading as JS's lazy `??`, `*?`, `+?`.
  return "(?:" + atom + quantifier(node.min, node.max) + ")";
}

function quantifier(min: number, max: number): string {
  if (max === Number.POSITIVE_INFINITY) {
    if (min === 0) return "*";
    if (min === 1) return "+";
    return `{${min},}`;
  }
  if (min === 0 && max === 1) return "?";
  return min === max ? `{${min}}` : `{${min},${max}}`;
}

/** `~X` matches every string X does not match: assert "not X up to the pinned end", then take it all. */
function emitComplement(operand: RegexNode, offset: number, where: Anchoring, context: EmitContext): string {
  if (where.atEnd) {
    const excluded = emit(operand, { atStart: where.atStart, atEnd: true }, context);
    return "(?:(?!(?:" + excluded + ")$)" + ANY_UNITS + ")";
  }
  if (where.atStart) {
    const excluded = emit(operand, { atStart: true, atEnd: false }, context);
    return "(?:" + ANY_UNITS + "(?<!^(?:" + excluded + ")))";
  }
  throw new LuceneRegexError(
    context.pattern,
    offset,
    "the complement operator ~ cannot be translated here; it is supported only where its operand reaches the start or the end of the pattern",
  );
}

/** `A&B` matches strings both match: consume with the last operand, check the others up to the pinned end. */
function emitIntersection(
  operands: readonly RegexNode[],
  offset: number,
  where: Anchoring,
  context: EmitContext,
): string {
  const consumed = emit(operands[operands.length - 1], where, context);
  const checked = operands.slice(0, -1);
  if (where.atEnd) {
    const inner: Anchoring = { atStart: where.atStart, atEnd: true };
    const lookaheads = checked.map((operand) => "(?=(?:" + emit(operand, inner, context) + ")$)");
    return "(?:" + lookaheads.join("") + "(?:" + consumed + "))";
  }
  if (where.atStart) {
    const inner: Anchoring = { atStart: true, atEnd: false };
    const lookbehinds = checked.map((operand) => "(?<=^(?:" + emit(operand, inner, context) + "))");
    return "(?:(?:" + consumed + ")" + lookbehinds.join("") + ")";
  }
  throw new LuceneRegexError(
    context.pattern,
    offset,
    "the intersection operator & cannot be translated here; it is supported only where it reaches the start or the end of the pattern",
  );
}

/**
 * `@` and `.*` match any run of UTF-16 units, not only whole code points (see ANY_UNITS);
 * the automaton (regex-automaton.ts) must agree.
 */
export function matchesAnyUnits(node: RegexNode): boolean {
  if (node.kind === "anyString") return true;
  return (
    node.kind === "repeat" &&
    node.operand.kind === "anyChar" &&
    node.min === 0 &&
    node.max === Number.POSITIVE_INFINITY
  );
}

function isEmptyLiteral(node: RegexNode): boolean {
  return node.kind === "literal" && node.text === "";
}

/** Whether the emitted source can take a quantifier as is (one character, class or group). */
function isSingleAtom(node: RegexNode): boolean {
  switch (node.kind) {
    case "literal": {
      const codePoint = node.text.codePointAt(0);
      // An astral character is emitted as two units, which a quantifier would split.
      return codePoint !== undefined && codePoint <= 0xffff && node.text.length === 1;
    }
    case "concat":
    case "nothing":
      return false;
    default:
      return true;
  }
}

function emitLiteral(text: string, caseInsensitive: boolean): string {
  let out = "";
  for (const char of text) {
    const codePoint = char.codePointAt(0)!;
    const other = caseInsensitive ? otherAsciiCase(codePoint) : null;
    out += other === null ? escapeCodePoint(codePoint) : "[" + char + String.fromCharCode(other) + "]";
  }
  return out;
}

/** The other case of an ASCII letter: `regex~` folds only these, as Elasticsearch does. */
export function otherAsciiCase(codePoint: number): number | null {
  if (codePoint >= 0x61 && codePoint <= 0x7a) return codePoint - 0x20;
  if (codePoint >= 0x41 && codePoint <= 0x5a) return codePoint + 0x20;
  return null;
}

// ---------------------------------------------------------------------------
// Character classes as sets of code points
//
// Classes are computed as explicit code-point ranges (negation, `\S` inside a
// class and case folding are set operations) and emitted as a class of BMP
// units plus surrogate-pair alternatives for astral code points, so that one
// Lucene character always consumes one whole code point.

export type Range = readonly [from: number, to: number];

const MAX_CODE_POINT = 0x10ffff;
const FULL_RANGE: readonly Range[] = [[0, MAX_CODE_POINT]];
const SURROGATES: Range = [0xd800, 0xdfff];

/** Lucene follows java.util.regex for these, narrower than JS's Unicode `\s`. */
const PREDEFINED_RANGES: Record<"d" | "s" | "w", readonly Range[]> = {
  d: [[0x30, 0x39]],
  s: [
    [0x09, 0x0d], // \t \n \v \f \r
    [0x20, 0x20],
  ],
  w: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x5f, 0x5f],
    [0x61, 0x7a],
  ],
};

/** The code points one `.` or character class matches, folded for `regex~`. */
export function codePointRanges(
  node: Extract<RegexNode, { kind: "anyChar" | "class" }>,
  caseInsensitive: boolean,
): readonly Range[] {
  return node.kind === "anyChar" ? FULL_RANGE : classRanges(node, caseInsensitive);
}

function classRanges(node: Extract<RegexNode, { kind: "class" }>, caseInsensitive: boolean): Range[] {
  let members: Range[] = [];
  for (const item of node.items) {
    if (item.kind === "char") members.push([item.codePoint, item.codePoint]);
    else if (item.kind === "range") members.push([item.from, item.to]);
    else members.push(...predefinedRanges(item.name));
  }
  members = normalizeRanges(members);
  // Fold before negating, so that `[^a]` excludes both `a` and `A`.
  if (caseInsensitive) members = normalizeRanges([...members, ...asciiCaseCounterparts(members)]);
  return node.negated ? complementRanges(members) : members;
}

function predefinedRanges(name: PredefinedClass): readonly Range[] {
  const lower = name.toLowerCase() as "d" | "s" | "w";
  return name === lower ? PREDEFINED_RANGES[lower] : complementRanges(PREDEFINED_RANGES[lower]);
}

function asciiCaseCounterparts(ranges: readonly Range[]): Range[] {
  const counterparts: Range[] = [];
  for (const [from, to] of ranges) {
    const lower = intersectRange(from, to, 0x61, 0x7a);
    if (lower !== null) counterparts.push([lower[0] - 0x20, lower[1] - 0x20]);
    const upper = intersectRange(from, to, 0x41, 0x5a);
    if (upper !== null) counterparts.push([upper[0] + 0x20, upper[1] + 0x20]);
  }
  return counterparts;
}

function intersectRange(from: number, to: number, lo: number, hi: number): Range | null {
  const start = Math.max(from, lo);
  const end = Math.min(to, hi);
  return start <= end ? [start, end] : null;
}

/** Sorted, non-overlapping, non-adjacent ranges. */
function normalizeRanges(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [from, to] of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else merged.push([from, to]);
  }
  return merged;
}

function complementRanges(ranges: readonly Range[]): Range[] {
  const complement: Range[] = [];
  let next = 0;
  for (const [from, to] of normalizeRanges(ranges)) {
    if (from > next) complement.push([next, from - 1]);
    next = to + 1;
  }
  if (next <= MAX_CODE_POINT) complement.push([next, MAX_CODE_POINT]);
  return complement;
}

/** One code point from `ranges` (normalized): a unit class for the BMP, surrogate pairs above it. */
function emitCodePointSet(ranges: readonly Range[]): string {
  const { units, pairs } = codePointUnits(ranges);
  const unitClass = "[" + units.map(([from, to]) => classRange(from, to)).join("") + "]";
  if (pairs.length === 0) return unitClass; // `[]` is a valid class that matches nothing
  const pairSources = pairs.map(({ high, low }) => {
    const highSource =
      high[0] === high[1] ? escapeCodeUnit(high[0]) : "[" + classRange(high[0], high[1]) + "]";
    return highSource + "[" + classRange(low[0], low[1]) + "]";
  });
  return "(?:" + (units.length === 0 ? pairSources : [unitClass, ...pairSources]).join("|") + ")";
}

/** A set of code points as UTF-16: single BMP units, and (high, low) surrogate ranges for astral ones. */
export interface CodePointUnits {
  readonly units: Range[];
  readonly pairs: { readonly high: Range; readonly low: Range }[];
}

export function codePointUnits(ranges: readonly Range[]): CodePointUnits {
  const units: Range[] = [];
  const pairs: CodePointUnits["pairs"] = [];
  for (const [from, to] of ranges) {
    // Surrogate code points are not characters; values with lone surrogates are malformed.
    for (const part of [
      intersectRange(from, to, 0, SURROGATES[0] - 1),
      intersectRange(from, to, SURROGATES[1] + 1, 0xffff),
    ]) {
      if (part !== null) units.push(part);
    }
    const astral = intersectRange(from, to, 0x10000, MAX_CODE_POINT);
    if (astral !== null) pairs.push(...surrogatePairRanges(astral[0], astral[1]));
  }
  return { units, pairs };
}

function classRange(from: number, to: number): string {
  if (from === to) return escapeClassUnit(from);
  const separator = to === from + 1 ? "" : "-";
  return escapeClassUnit(from) + separator + escapeClassUnit(to);
}

/** Astral code points `from..to` as (high surrogate, low surrogate) range pairs. */
function surrogatePairRanges(from: number, to: number): CodePointUnits["pairs"] {
  const [fromHigh, fromLow] = surrogatePair(from);
  const [toHigh, toLow] = surrogatePair(to);
  if (fromHigh === toHigh) return [{ high: [fromHigh, fromHigh], low: [fromLow, toLow] }];
  const pairs: CodePointUnits["pairs"] = [];
  let fullFrom = fromHigh;
  let fullTo = toHigh;
  if (fromLow !== 0xdc00) {
    pairs.push({ high: [fromHigh, fromHigh], low: [fromLow, 0xdfff] });
    fullFrom++;
  }
  if (toLow !== 0xdfff) {
    pairs.push({ high: [toHigh, toHigh], low: [0xdc00, toLow] });
    fullTo--;
  }
  if (fullFrom <= fullTo) pairs.push({ high: [fullFrom, fullTo], low: [0xdc00, 0xdfff] });
  return pairs;
}

function surrogatePair(codePoint: number): [high: number, low: number] {
  const offset = codePoint - 0x10000;
  return [0xd800 + (offset >> 10), 0xdc00 + (offset & 0x3ff)];
}

// ---------------------------------------------------------------------------
// Escaping

const SYNTAX_CHARACTERS = "^$\\.*+?()[]{}|/";

function escapeCodePoint(codePoint: number): string {
  if (codePoint > 0xffff) {
    const [high, low] = surrogatePair(codePoint);
    return escapeCodeUnit(high) + escapeCodeUnit(low);
  }
  const char = String.fromCharCode(codePoint);
  if (SYNTAX_CHARACTERS.includes(char)) return "\\" + char;
  return isPlainAscii(codePoint) ? char : escapeCodeUnit(codePoint);
}

function escapeClassUnit(unit: number): string {
  const char = String.fromCharCode(unit);
  if (SYNTAX_CHARACTERS.includes(char) || char === "-") return "\\" + char;
  return isPlainAscii(unit) ? char : escapeCodeUnit(unit);
}

function isPlainAscii(codePoint: number): boolean {
  return codePoint >= 0x20 && codePoint < 0x7f;
}

/** Also keeps surrogates and control characters readable in the emitted source. */
function escapeCodeUnit(unit: number): string {
  return "\\u" + unit.toString(16).padStart(4, "0");
}

// ---------------------------------------------------------------------------
// Numeric intervals `<min-max>`

/**
 * Decimal integers in [min, max]. With `digits > 0` the text has exactly that
 * many digits (zero-padded); otherwise any number of leading zeros is allowed.
 * Built digit by digit, so its size grows with the number of digits, not with
 * the width of the range.
 */
function decimalInterval(min: number, max: number, digits: number, offset: number): RegexNode {
  if (digits > 0) return fixedWidthRange(padDigits(min, digits), padDigits(max, digits), offset);
  const minText = String(min);
  const maxText = String(max);
  const byLength: RegexNode[] = [];
  for (let length = minText.length; length <= maxText.length; length++) {
    const low = length === minText.length ? minText : "1" + "0".repeat(length - 1);
    const high = length === maxText.length ? maxText : "9".repeat(length);
    byLength.push(fixedWidthRange(low, high, offset));
  }
  const leadingZeros = repeat({ kind: "literal", text: "0" }, 0, Number.POSITIVE_INFINITY, offset);
  return { kind: "concat", parts: [leadingZeros, union(byLength)] };
}

function padDigits(value: number, digits: number): string {
  return String(value).padStart(digits, "0");
}

/** All digit strings of one length between `low` and `high` inclusive (`low <= high`). */
function fixedWidthRange(low: string, high: string, offset: number): RegexNode {
  if (low === high) return { kind: "literal", text: low };
  const restLength = low.length - 1;
  const lowFirst = low.codePointAt(0)!;
  const highFirst = high.codePointAt(0)!;
  if (restLength === 0) return digitRange(lowFirst, highFirst);
  const lowRest = low.slice(1);
  const highRest = high.slice(1);
  const first = (digit: string, rest: RegexNode): RegexNode => ({
    kind: "concat",
    parts: [{ kind: "literal", text: digit }, rest],
  });
  if (lowFirst === highFirst) return first(low[0], fixedWidthRange(lowRest, highRest, offset));

  const alternatives: RegexNode[] = [];
  let fullFrom = lowFirst;
  let fullTo = highFirst;
  if (lowRest !== "0".repeat(restLength)) {
    alternatives.push(first(low[0], fixedWidthRange(lowRest, "9".repeat(restLength), offset)));
    fullFrom++;
  }
  if (highRest !== "9".repeat(restLength)) {
    alternatives.push(first(high[0], fixedWidthRange("0".repeat(restLength), highRest, offset)));
    fullTo--;
  }
  if (fullFrom <= fullTo) {
    const anyRest = repeat(digitRange(0x30, 0x39), restLength, restLength, offset);
    alternatives.push({ kind: "concat", parts: [digitRange(fullFrom, fullTo), anyRest] });
  }
  return union(alternatives);
}

function digitRange(from: number, to: number): RegexNode {
  return { kind: "class", negated: false, items: [{ kind: "range", from, to }] };
}

function union(alternatives: RegexNode[]): RegexNode {
  return alternatives.length === 1 ? alternatives[0] : { kind: "union", alternatives };
}
