import type { EventQuery, Expression, Field, Literal, Query, SequenceTerm, Statement } from "./ast.ts";
import { KEYWORDS } from "./token.ts";

/**
 * Prints a syntax tree back to EQL: one line, canonical spacing, and only the
 * parentheses that precedence requires, so that parse(print(ast)) equals ast.
 */
export function print(node: Statement | Query | Expression): string {
  switch (node.kind) {
    case "Statement":
      return print(node.query) + node.pipes.map((p) => ` | ${p.name} ${p.count}`).join("");
    case "EventQuery":
      return printEventQuery(node);
    case "SequenceQuery": {
      let text = "sequence";
      if (node.joinKeys.length) text += ` by ${node.joinKeys.map(printField).join(", ")}`;
      if (node.maxspan) text += ` with maxspan=${node.maxspan.value}${node.maxspan.unit}`;
      text += node.terms.map((t) => ` ${printTerm(t)}`).join("");
      if (node.until) text += ` until ${printTerm(node.until)}`;
      return text;
    }
    case "SampleQuery": {
      let text = "sample";
      if (node.joinKeys.length) text += ` by ${node.joinKeys.map(printField).join(", ")}`;
      return text + node.terms.map((t) => ` ${printTerm(t)}`).join("");
    }
    default:
      return printExpression(node, Level.Any);
  }
}

function printEventQuery(query: EventQuery): string {
  const category =
    query.category === null
      ? "any"
      : query.categoryQuoted || !isPlainIdentifier(query.category)
        ? printString(query.category)
        : query.category;
  return `${category} where ${printExpression(query.condition, Level.Any)}`;
}

function printTerm(term: SequenceTerm): string {
  let text = `${term.missing ? "![" : "["}${printEventQuery(term.query)}]`;
  if (term.joinKeys.length) text += ` by ${term.joinKeys.map(printField).join(", ")}`;
  if (term.runs !== 1) text += ` with runs=${term.runs}`;
  return text;
}

/** Binding strength, loosest first; mirrors the parser's descent. */
const Level = {
  Any: 0,
  Or: 1,
  And: 2,
  Not: 3,
  Comparison: 4,
  Additive: 5,
  Multiplicative: 6,
  Unary: 7,
  Predicate: 8,
  Primary: 9,
} as const;
type Level = number;

function levelOf(e: Expression): Level {
  switch (e.kind) {
    case "Logical":
      return e.op === "or" ? Level.Or : Level.And;
    case "Not":
      return Level.Not;
    case "Comparison":
      return Level.Comparison;
    case "Arithmetic":
      return e.op === "+" || e.op === "-" ? Level.Additive : Level.Multiplicative;
    case "Negate":
      return Level.Unary;
    case "Match":
    case "In":
      return Level.Predicate;
    default:
      return Level.Primary;
  }
}

/** Prints `e` where the grammar accepts only expressions binding at least as tightly as `min`. */
function printExpression(e: Expression, min: Level): string {
  const text = printBare(e);
  return levelOf(e) < min ? `(${text})` : text;
}

function printBare(e: Expression): string {
  switch (e.kind) {
    case "Literal":
      return printLiteral(e);
    case "Field":
      return printField(e);
    case "FunctionCall":
      return `${e.name}${e.caseInsensitive ? "~" : ""}(${e.args.map((a) => printExpression(a, Level.Any)).join(", ")})`;
    case "Negate":
      return `${e.op}${printExpression(e.operand, Level.Unary)}`;
    case "Arithmetic": {
      const level = levelOf(e);
      return `${printExpression(e.left, level)} ${e.op} ${printExpression(e.right, level + 1)}`;
    }
    case "Comparison":
      return `${printExpression(e.left, Level.Additive)} ${e.op} ${printExpression(e.right, Level.Additive)}`;
    case "Match": {
      const op = e.op === ":" ? ":" : `${e.op}${e.caseInsensitive ? "~" : ""}`;
      const patterns = e.patterns.map(printLiteral).join(", ");
      return `${printExpression(e.subject, Level.Primary)} ${op} ${e.list ? `(${patterns})` : patterns}`;
    }
    case "In": {
      const op = `${e.negated ? "not " : ""}in${e.caseInsensitive ? "~" : ""}`;
      return `${printExpression(e.subject, Level.Primary)} ${op} (${e.values.map((v) => printExpression(v, Level.Any)).join(", ")})`;
    }
    case "Not":
      return `not ${printExpression(e.operand, Level.Not)}`;
    case "Logical": {
      const level = levelOf(e);
      return `${printExpression(e.left, level)} ${e.op} ${printExpression(e.right, level + 1)}`;
    }
  }
}

export function printLiteral(l: Literal): string {
  if (l.value === null) return "null";
  if (typeof l.value === "boolean") return String(l.value);
  if (typeof l.value === "string") return printString(l.value);
  if (l.type === "double")
    return Number.isInteger(l.value) && Math.abs(l.value) < 1e21 ? `${l.value}.0` : String(l.value);
  return String(l.value);
}

const ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\", '"': '\\"' };

export function printString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (Object.hasOwn(ESCAPES, ch)) out += ESCAPES[ch];
    else if (code < 0x20 || code === 0x7f) out += `\\u{${code.toString(16).padStart(2, "0")}}`;
    else out += ch;
  }
  return `${out}"`;
}

const isPlainIdentifier = (s: string) => /^[A-Za-z_@][A-Za-z0-9_]*$/.test(s) && !KEYWORDS.has(s);

export function printField(f: Field): string {
  const parts = f.parts.map((p) => (isPlainIdentifier(p) ? p : `\`${p.replace(/`/g, "``")}\``));
  return (f.optional ? "?" : "") + parts.join(".");
}
