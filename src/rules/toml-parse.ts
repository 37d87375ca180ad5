import { randomBytes } from "node:crypto";
import { parse as parseToml } from "smol-toml";
import { detachedSlice } from "./detached-slice.ts";

/**
 * smol-toml's `parse`, faster on detection-rules files. Most of their bytes are the `note`
 * and `setup` of the rule: long multi-line strings without an escape, which smol-toml reads
 * one character at a time, in code that is still cold while a command loads its rules.
 * Such strings are set aside before parsing (each replaced by a short literal string holding
 * a token) and put back into the parsed document. The result is smol-toml's on the original
 * text, errors included: anything this cannot vouch for is parsed as written.
 */
export function parseTomlDocument(text: string, minLength = SET_ASIDE_MIN_LENGTH): Record<string, unknown> {
  const aside = setAsideLongStrings(text, minLength);
  if (aside) {
    try {
      const doc = parseToml(aside.text);
      if (putBack(doc, aside.strings)) return doc;
    } catch {
      // the error is reported from the text as written, where its line and column are
    }
  }
  return parseToml(text);
}

/** Strings shorter than this are not worth setting aside. */
const SET_ASIDE_MIN_LENGTH = 256;

/**
 * Unguessable (a rare character and 64 random bits, new in every process), so a rule file
 * cannot hold a token of its own; one holding that character is parsed as written anyway. The
 * character is Latin-1 (`ÿ`): V8 keeps a text of Latin-1 characters one byte a character, and
 * one character above that would double the text and every value sliced from it.
 */
const TOKEN_START = 0xff;
const TOKEN = `${String.fromCharCode(TOKEN_START)}eqlite-${randomBytes(8).toString("hex")}-`;

interface SetAside {
  text: string;
  strings: string[];
}

enum Ch {
  LF = 10,
  CR = 13,
  DoubleQuote = 34,
  Hash = 35,
  SingleQuote = 39,
  Backslash = 92,
}

/** Where a string or a comment starts. */
const LEXICAL = /["'#]/g;
/** What TOML forbids in a multi-line string: control characters other than tab and line ends. */
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;
/** A carriage return is allowed only before a line feed (the lookahead is slow: tried only on text holding one). */
const LONE_CR = /\r(?!\n)/;

const allowedInMultiline = (body: string): boolean =>
  !CONTROL.test(body) && !(body.includes("\r") && LONE_CR.test(body));

/**
 * Finds the multi-line strings of the text the way TOML's lexer does (outside strings only
 * quotes and `#` matter: bare keys and values hold neither) and replaces the plain long ones.
 * Undefined when there is nothing to set aside, or the text is malformed where this looked.
 */
export function setAsideLongStrings(text: string, minLength: number): SetAside | undefined {
  if (text.includes(String.fromCharCode(TOKEN_START))) return undefined;
  const pieces: string[] = [];
  const strings: string[] = [];
  let copied = 0;
  let i = 0;
  for (;;) {
    LEXICAL.lastIndex = i;
    if (!LEXICAL.test(text)) break;
    const start = LEXICAL.lastIndex - 1;
    const c = text.charCodeAt(start);
    if (c === Ch.Hash) {
      const end = text.indexOf("\n", start);
      if (end < 0) break;
      i = end + 1;
      continue;
    }
    const multiline = text.charCodeAt(start + 1) === c && text.charCodeAt(start + 2) === c;
    if (!multiline) {
      const end = endOfLineString(text, start, c);
      if (end < 0) return undefined;
      i = end;
      continue;
    }
    const string = multilineString(text, start, c);
    if (!string) return undefined;
    const { bodyStart, bodyEnd, end, escaped } = string;
    if (bodyEnd - bodyStart >= minLength && !escaped && allowedInMultiline(text.slice(bodyStart, bodyEnd))) {
      pieces.push(text.slice(copied, start), `'${TOKEN}${strings.length}'`);
      strings.push(detachedSlice(text, bodyStart, bodyEnd));
      copied = end;
    }
    i = end;
  }
  if (strings.length === 0) return undefined;
  pieces.push(text.slice(copied));
  return { text: pieces.join(""), strings };
}

/** The offset after a one-line string's closing quote; -1 when the line or text ends first. */
function endOfLineString(text: string, start: number, quote: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === quote) return i + 1;
    if (c === Ch.LF) return -1;
    if (c === Ch.Backslash && quote === Ch.DoubleQuote) i++;
  }
  return -1;
}

/**
 * A multi-line string's content (without the line end TOML drops after the opening
 * delimiter) and the offset after its closing delimiter, of which up to two more quotes
 * belong to the content. `escaped` when a basic string holds a backslash.
 */
function multilineString(
  text: string,
  start: number,
  quote: number,
): { bodyStart: number; bodyEnd: number; end: number; escaped: boolean } | undefined {
  let bodyStart = start + 3;
  if (text.charCodeAt(bodyStart) === Ch.LF) bodyStart += 1;
  else if (text.charCodeAt(bodyStart) === Ch.CR && text.charCodeAt(bodyStart + 1) === Ch.LF) bodyStart += 2;
  const delimiter = quote === Ch.DoubleQuote ? '"""' : "'''";
  let escaped = false;
  let from = bodyStart;
  let close = text.indexOf(delimiter, from);
  for (;;) {
    if (close < 0) return undefined;
    if (quote === Ch.DoubleQuote) {
      const backslash = text.indexOf("\\", from);
      if (backslash >= 0 && backslash < close) {
        // an escape may hide a quote of the delimiter: step over it, and look for the delimiter
        // again only past it (looking again after every escape would be quadratic)
        escaped = true;
        from = backslash + 2;
        if (from > close) close = text.indexOf(delimiter, from);
        continue;
      }
    }
    let bodyEnd = close;
    if (text.charCodeAt(bodyEnd + 3) === quote) bodyEnd++;
    if (text.charCodeAt(bodyEnd + 3) === quote) bodyEnd++;
    return { bodyStart, bodyEnd, end: bodyEnd + 3, escaped };
  }
}

/**
 * Replaces every token in the parsed document by its string. False unless each token was
 * found as a whole string value: otherwise the parser read the text differently from the scan
 * above (a token taken as a key, inside a comment or another string), and the text must be
 * parsed as written. Each token is written once, so it cannot be found twice.
 */
function putBack(doc: Record<string, unknown>, strings: string[]): boolean {
  let count = 0;
  // breadth first: the tokens are shallow (a rule's note, an osquery's query), the threat mappings deep
  const containers: object[] = [doc];
  for (let next = 0; next < containers.length; next++) {
    const record = containers[next] as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const value = record[key];
      if (typeof value === "string") {
        const k = tokenIndex(value, strings.length);
        if (k === undefined) continue;
        record[key] = strings[k];
        if (++count === strings.length) return true;
      } else if (isContainer(value)) containers.push(value);
    }
  }
  return false;
}

function tokenIndex(value: string, count: number): number | undefined {
  if (value.charCodeAt(0) !== TOKEN_START || !value.startsWith(TOKEN)) return undefined;
  const k = Number(value.slice(TOKEN.length));
  return Number.isInteger(k) && k >= 0 && k < count && value.length === TOKEN.length + String(k).length
    ? k
    : undefined;
}

/** Tables (null-prototype objects), inline tables and arrays; not smol-toml's dates. */
function isContainer(value: unknown): value is object {
  if (typeof value !== "object" || value === null) return false;
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}
