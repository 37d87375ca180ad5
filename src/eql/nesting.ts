import type { Expression, Loc } from "./ast.ts";

/**
 * How deep a query may nest: brackets, `not`, signs and function calls, and chains of
 * operators, whose trees lean one level deeper with each operator. Every pass over a query
 * (the parser, the checks, the compiler, the printer, a compiled condition running on an
 * event) recurses through it, and a hostile or generated query could otherwise overflow the
 * stack. Real rules stay far below: the detection-rules corpus nests 30 levels at most.
 */
export const MAX_NESTING = 1000;

export const TOO_DEEP = `the query nests more than ${MAX_NESTING} levels deep (brackets, 'not', signs and function calls, and each operator of a chain of 'and', 'or' or arithmetic count one level); split it into several rules, or write a list of values as 'field in (...)'`;

/**
 * The first node of a condition below MAX_NESTING levels, if any. Without recursion: the
 * condition is not yet known to be shallow enough for it.
 */
export function tooDeepNode(condition: Expression): Loc | undefined {
  const pending: Array<{ e: Expression; depth: number }> = [{ e: condition, depth: 1 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { e, depth } = next;
    if (depth > MAX_NESTING) return e.loc;
    // the first child last, to be looked at first: a chain is placed at its start
    const below = children(e);
    for (let i = below.length - 1; i >= 0; i--) pending.push({ e: below[i], depth: depth + 1 });
  }
  return undefined;
}

function children(e: Expression): readonly Expression[] {
  switch (e.kind) {
    case "FunctionCall":
      return e.args;
    case "Negate":
    case "Not":
      return [e.operand];
    case "Arithmetic":
    case "Comparison":
    case "Logical":
      return [e.left, e.right];
    case "Match":
      return [e.subject];
    case "In":
      return [e.subject, ...e.values];
    default:
      return [];
  }
}
