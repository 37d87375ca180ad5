import { quote } from "./source.ts";

/** Token kinds of the EQL lexer. Keywords are lower-case only, as in Elasticsearch. */
export type TokenKind =
  | "<EOF>"
  | "identifier"
  | "quotedIdentifier"
  /** a name immediately followed by `~`: the case-insensitive form of a function */
  | "tildeIdentifier"
  | "string"
  | "integer"
  | "decimal"
  | "and"
  | "any"
  | "by"
  | "false"
  | "in"
  | "in~"
  | "join"
  | "like"
  | "like~"
  | "maxspan"
  | "not"
  | "null"
  | "of"
  | "or"
  | "regex"
  | "regex~"
  | "sample"
  | "sequence"
  | "true"
  | "until"
  | "where"
  | "with"
  | "=="
  | "!="
  | "<"
  | "<="
  | ">"
  | ">="
  | ":"
  | "="
  | "+"
  | "-"
  | "*"
  | "/"
  | "%"
  | "."
  | ","
  | "["
  | "]"
  | "("
  | ")"
  | "|"
  | "?"
  | "![";

export interface Token {
  kind: TokenKind;
  /** offsets into the query text, end exclusive */
  start: number;
  end: number;
  /** the unescaped value of strings and quoted identifiers; the name of identifiers */
  value: string;
  /** `"""raw"""` strings keep their backslashes */
  raw?: boolean;
}

export const KEYWORDS: ReadonlySet<string> = new Set([
  "and",
  "any",
  "by",
  "false",
  "in",
  "join",
  "like",
  "maxspan",
  "not",
  "null",
  "of",
  "or",
  "regex",
  "sample",
  "sequence",
  "true",
  "until",
  "where",
  "with",
]);

/** How a token is named in "expected ..." messages. */
export function describeToken(t: Token, body: string): string {
  if (t.kind === "<EOF>") return "end of query";
  return `'${quote({ body }, t.start, t.end)}'`;
}
