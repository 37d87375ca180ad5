import { syntaxError } from "./error.ts";
import type { Source } from "./source.ts";
import { KEYWORDS, type Token, type TokenKind } from "./token.ts";

const isLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isDigit = (c: number) => c >= 48 && c <= 57;
const isIdentStart = (c: number) => isLetter(c) || c === 95 /* _ */ || c === 64; /* @ */
const isHex = (c: number) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

const ONE_CHAR: Record<string, TokenKind> = {
  "<": "<",
  ">": ">",
  ":": ":",
  "=": "=",
  "+": "+",
  "-": "-",
  "*": "*",
  "/": "/",
  "%": "%",
  ".": ".",
  ",": ",",
  "[": "[",
  "]": "]",
  "(": "(",
  ")": ")",
  "|": "|",
  "?": "?",
};

// Sticky patterns scan runs of characters natively: a query is read once, mostly while the
// lexer is still cold, and a loop per character is what costs then.
const IDENT_REST = /[A-Za-z0-9_]*/y;
const SPACES = /[ \t\n\r]*/y;
const STRING_CHUNK = /[^"\\\n\r]*/y;

/** Splits a query into tokens; comments and whitespace are dropped. */
export function tokenize(source: Source): Token[] {
  const body = source.body;
  const tokens: Token[] = [];
  let pos = 0;
  const fail = (start: number, end: number, message: string) => syntaxError(source, start, end, message);

  while (true) {
    pos = skipTrivia(source, pos);
    if (pos >= body.length) {
      tokens.push({ kind: "<EOF>", start: body.length, end: body.length, value: "" });
      return tokens;
    }
    const start = pos;
    const c = body.charCodeAt(pos);

    if (isIdentStart(c)) {
      IDENT_REST.lastIndex = pos + 1;
      IDENT_REST.test(body);
      pos = IDENT_REST.lastIndex;
      const name = body.slice(start, pos);
      if (body.charCodeAt(pos) === 126 /* ~ */) {
        pos++;
        const kind: TokenKind =
          name === "in" ? "in~" : name === "like" ? "like~" : name === "regex" ? "regex~" : "tildeIdentifier";
        tokens.push({ kind, start, end: pos, value: name });
      } else {
        tokens.push({
          kind: KEYWORDS.has(name) ? (name as TokenKind) : "identifier",
          start,
          end: pos,
          value: name,
        });
      }
      continue;
    }
    if (isDigit(c) || (c === 46 /* . */ && isDigit(body.charCodeAt(pos + 1)))) {
      tokens.push(readNumber(body, pos));
      pos = tokens[tokens.length - 1].end;
      continue;
    }
    if (c === 34 /* " */) {
      const token = body.startsWith('"""', pos) ? readRawString(source, pos) : readString(source, pos);
      tokens.push(token);
      pos = token.end;
      continue;
    }
    if (c === 96 /* ` */) {
      const token = readQuotedIdentifier(source, pos);
      tokens.push(token);
      pos = token.end;
      continue;
    }
    if (c === 39 /* ' */) {
      throw fail(pos + 1, pos + 2, `Use double quotes ["] to define string literals, not single quotes [']`);
    }
    if (c === 63 /* ? */ && (body[pos + 1] === '"' || body[pos + 1] === "'")) {
      throw fail(
        pos,
        pos + 2,
        `Use triple double quotes ["""] to define unescaped string literals, not [?${body[pos + 1]}]`,
      );
    }
    if (c === 33 /* ! */ && body[pos + 1] === ":") {
      throw fail(pos, pos + 2, `'!:' is not an operator; write not (field : "value")`);
    }
    const two = twoCharOperator(c, body.charCodeAt(pos + 1));
    if (two) {
      tokens.push({ kind: two, start, end: pos + 2, value: two });
      pos += 2;
      continue;
    }
    const one = ONE_CHAR[body[pos]];
    if (one) {
      tokens.push({ kind: one, start, end: pos + 1, value: body[pos] });
      pos++;
      continue;
    }
    if (c === 126 /* ~ */) {
      throw fail(pos, pos + 1, "'~' must directly follow a function name or in/like/regex, without a space");
    }
    const ch = String.fromCodePoint(body.codePointAt(pos)!);
    throw fail(pos, pos + ch.length, `token recognition error at: '${ch}'`);
  }
}

/** `==`, `!=`, `<=`, `>=` and `![` by their two character codes. */
function twoCharOperator(c: number, next: number): TokenKind | undefined {
  if (next === 61 /* = */) {
    if (c === 61) return "==";
    if (c === 33 /* ! */) return "!=";
    if (c === 60 /* < */) return "<=";
    if (c === 62 /* > */) return ">=";
  }
  return c === 33 && next === 91 /* [ */ ? "![" : undefined;
}

function skipTrivia(source: Source, start: number): number {
  const body = source.body;
  let pos = start;
  while (pos < body.length) {
    const c = body.charCodeAt(pos);
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      SPACES.lastIndex = pos + 1;
      SPACES.test(body);
      pos = SPACES.lastIndex;
    } else if (c === 47 && body.charCodeAt(pos + 1) === 47) {
      while (pos < body.length && body.charCodeAt(pos) !== 10 && body.charCodeAt(pos) !== 13) pos++;
    } else if (c === 47 && body.charCodeAt(pos + 1) === 42) {
      pos = skipBlockComment(source, pos);
    } else {
      break;
    }
  }
  return pos;
}

/** Block comments nest, so `/* a /* b *\/ c *\/` is one comment. */
function skipBlockComment(source: Source, start: number): number {
  const body = source.body;
  let depth = 0;
  let pos = start;
  const openings: number[] = [];
  while (pos < body.length) {
    if (body.startsWith("/*", pos)) {
      depth++;
      openings.push(pos);
      pos += 2;
    } else if (body.startsWith("*/", pos)) {
      depth--;
      openings.pop();
      pos += 2;
      if (depth === 0) return pos;
    } else {
      pos++;
    }
  }
  const open = openings[openings.length - 1] ?? start;
  throw syntaxError(source, open, open + 2, "unterminated comment: this '/*' has no matching '*/'");
}

function readNumber(body: string, start: number): Token {
  let pos = start;
  while (isDigit(body.charCodeAt(pos))) pos++;
  let decimal = false;
  // As Elasticsearch's DECIMAL_VALUE: a point after digits is always the number's (`1.e3` is 1000.0).
  if (body.charCodeAt(pos) === 46 /* . */) {
    decimal = true;
    pos++;
    while (isDigit(body.charCodeAt(pos))) pos++;
  }
  const e = body.charCodeAt(pos);
  if (e === 69 || e === 101) {
    let p = pos + 1;
    if (body[p] === "+" || body[p] === "-") p++;
    if (isDigit(body.charCodeAt(p))) {
      decimal = true;
      while (isDigit(body.charCodeAt(p))) p++;
      pos = p;
    }
  }
  return { kind: decimal ? "decimal" : "integer", start, end: pos, value: body.slice(start, pos) };
}

function readString(source: Source, start: number): Token {
  const body = source.body;
  let pos = start + 1;
  let value = "";
  let chunkStart = pos;
  while (true) {
    STRING_CHUNK.lastIndex = pos;
    STRING_CHUNK.test(body);
    pos = STRING_CHUNK.lastIndex;
    const c = body.charCodeAt(pos);
    if (pos >= body.length || c === 10 /* \n */ || c === 13 /* \r */) {
      throw syntaxError(
        source,
        start,
        start + 1,
        "unterminated string: this '\"' is never closed (strings cannot span lines; write \\n for a line break)",
      );
    }
    if (c === 34 /* " */) {
      value += body.slice(chunkStart, pos);
      return { kind: "string", start, end: pos + 1, value };
    }
    // a backslash: the chunk stops only at the characters handled above and here
    value += body.slice(chunkStart, pos);
    const [decoded, next] = readEscape(source, pos);
    value += decoded;
    pos = next;
    chunkStart = pos;
  }
}

/**
 * The documented escapes plus the `\b \f \'` that Elasticsearch's lexer still accepts
 * (real rules use `\'`).
 */
const SIMPLE_ESCAPES: Record<string, string> = {
  n: "\n",
  r: "\r",
  t: "\t",
  b: "\b",
  f: "\f",
  "\\": "\\",
  '"': '"',
  "'": "'",
};

function readEscape(source: Source, backslash: number): [string, number] {
  const body = source.body;
  const ch = body[backslash + 1];
  if (ch !== undefined && Object.hasOwn(SIMPLE_ESCAPES, ch)) return [SIMPLE_ESCAPES[ch], backslash + 2];
  if (ch === "u") return readUnicodeEscape(source, backslash);
  throw syntaxError(
    source,
    backslash,
    backslash + 2,
    `unknown escape sequence '\\${ch ?? ""}': the escapes are \\n \\r \\t \\\\ \\" and \\u{hex}; write \\\\ for a backslash or use a """raw""" string`,
  );
}

function readUnicodeEscape(source: Source, backslash: number): [string, number] {
  const body = source.body;
  let pos = backslash + 2;
  if (body[pos] !== "{") {
    throw syntaxError(
      source,
      backslash,
      pos + 1,
      `token recognition error at: '${body.slice(backslash, pos + 1)}'`,
    );
  }
  pos++;
  const digitsStart = pos;
  while (isHex(body.charCodeAt(pos))) pos++;
  if (body[pos] !== "}") {
    throw syntaxError(
      source,
      backslash,
      pos + 1,
      `token recognition error at: '${body.slice(backslash, pos + 1)}'`,
    );
  }
  const hex = body.slice(digitsStart, pos);
  const text = body.slice(backslash, pos + 1);
  if (hex.length < 2 || hex.length > 8) {
    throw syntaxError(
      source,
      backslash,
      pos + 1,
      `Unicode sequence should use [2-8] hex digits, [${text}] has [${hex.length}]`,
    );
  }
  const code = Number.parseInt(hex, 16);
  if (code > 0x10ffff) {
    throw syntaxError(source, backslash, pos + 1, `Invalid unicode character code [${hex}]`);
  }
  if (code >= 0xd800 && code <= 0xdfff) {
    throw syntaxError(
      source,
      backslash,
      pos + 1,
      `Invalid unicode character code, [${hex.replace(/^0+(?=.)/, "").toLowerCase()}] is a surrogate code`,
    );
  }
  return [String.fromCodePoint(code), pos + 1];
}

/**
 * `"""..."""` takes its content verbatim. It ends at the first `"""`, and up to two
 * quotes right after it still belong to the content, so `"""a""""` is `a"`. Like every
 * Elasticsearch string it stays on one line (its grammar has `(~[\r\n])*?` inside).
 */
function readRawString(source: Source, start: number): Token {
  const body = source.body;
  const close = body.indexOf('"""', start + 3);
  const lineBreak = body.slice(start + 3, close < 0 ? body.length : close).search(/[\r\n]/);
  if (close < 0 || lineBreak >= 0) {
    throw syntaxError(
      source,
      start,
      start + 3,
      close < 0
        ? 'unterminated raw string: this \'"""\' is never closed'
        : 'unterminated raw string: this \'"""\' is not closed on its line (strings cannot span lines; write \\n in a "..." string for a line break)',
    );
  }
  let end = close + 3;
  for (let extra = 0; extra < 2 && body[end] === '"'; extra++) end++;
  return { kind: "string", start, end, value: body.slice(start + 3, end - 3), raw: true };
}

/** Backticks quote any field name; a backtick inside is written twice. */
function readQuotedIdentifier(source: Source, start: number): Token {
  const body = source.body;
  let pos = start + 1;
  let value = "";
  while (true) {
    const next = body.indexOf("`", pos);
    if (next < 0) {
      throw syntaxError(source, start, start + 1, "unterminated quoted name: this '`' is never closed");
    }
    value += body.slice(pos, next);
    if (body[next + 1] === "`") {
      value += "`";
      pos = next + 2;
      continue;
    }
    return { kind: "quotedIdentifier", start, end: next + 1, value };
  }
}
