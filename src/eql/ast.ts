/**
 * The EQL syntax tree: plain data, every node with its offsets in the query text.
 * Field predicates and scripts are told apart later, by the compiler.
 */

export interface Loc {
  start: number;
  end: number;
}

export type LiteralType = "keyword" | "integer" | "long" | "double" | "boolean" | "null";

export interface Literal {
  kind: "Literal";
  value: string | number | boolean | null;
  type: LiteralType;
  loc: Loc;
}

export interface Field {
  kind: "Field";
  /** dotted path as written, with backticked parts unquoted */
  name: string;
  /** `?name`: null instead of an error when the field does not exist */
  optional: boolean;
  /** whether a part needed backticks, so the printer can put them back */
  parts: string[];
  loc: Loc;
}

export interface FunctionCall {
  kind: "FunctionCall";
  /** as written; names are case-insensitive */
  name: string;
  /** the `name~(...)` form */
  caseInsensitive: boolean;
  args: Expression[];
  loc: Loc;
}

export interface Negate {
  kind: "Negate";
  op: "-" | "+";
  operand: Expression;
  loc: Loc;
}

export type ArithmeticOp = "+" | "-" | "*" | "/" | "%";

export interface Arithmetic {
  kind: "Arithmetic";
  op: ArithmeticOp;
  left: Expression;
  right: Expression;
  loc: Loc;
}

export type ComparisonOp = "==" | "!=" | "<" | "<=" | ">" | ">=";

export interface Comparison {
  kind: "Comparison";
  op: ComparisonOp;
  left: Expression;
  right: Expression;
  loc: Loc;
}

/** `:` , `like`, `regex` and their `~` forms: string matching against constant patterns. */
export interface Match {
  kind: "Match";
  op: ":" | "like" | "regex";
  caseInsensitive: boolean;
  subject: Expression;
  patterns: Literal[];
  /** written as a parenthesised list (kept for printing) */
  list: boolean;
  loc: Loc;
}

export interface In {
  kind: "In";
  subject: Expression;
  values: Expression[];
  negated: boolean;
  caseInsensitive: boolean;
  loc: Loc;
}

export interface Not {
  kind: "Not";
  operand: Expression;
  loc: Loc;
}

export interface Logical {
  kind: "Logical";
  op: "and" | "or";
  left: Expression;
  right: Expression;
  loc: Loc;
}

export type Expression =
  | Literal
  | Field
  | FunctionCall
  | Negate
  | Arithmetic
  | Comparison
  | Match
  | In
  | Not
  | Logical;

/** `<category> where <condition>`; `any where` has no category. */
export interface EventQuery {
  kind: "EventQuery";
  category: string | null;
  /** whether the category was written as a string literal (for printing) */
  categoryQuoted: boolean;
  condition: Expression;
  loc: Loc;
}

export interface SequenceTerm {
  query: EventQuery;
  joinKeys: Field[];
  /** `with runs=N`: the term stands for N identical terms */
  runs: number;
  /** `![...]`: an event that must not happen */
  missing: boolean;
  loc: Loc;
}

export type TimeUnit = "ms" | "s" | "m" | "h" | "d";

export interface Maxspan {
  value: number;
  unit: TimeUnit;
  loc: Loc;
}

export interface SequenceQuery {
  kind: "SequenceQuery";
  joinKeys: Field[];
  maxspan: Maxspan | null;
  terms: SequenceTerm[];
  until: SequenceTerm | null;
  loc: Loc;
}

export interface SampleQuery {
  kind: "SampleQuery";
  joinKeys: Field[];
  terms: SequenceTerm[];
  loc: Loc;
}

export type Query = EventQuery | SequenceQuery | SampleQuery;

export interface Pipe {
  name: "head" | "tail";
  count: number;
  loc: Loc;
}

export interface Statement {
  kind: "Statement";
  query: Query;
  pipes: Pipe[];
  loc: Loc;
}
