import type { Position } from "./diagnostic.ts";
import { type DocumentPath, PositionMap } from "./position-map.ts";

/**
 * Finds where every key, table header and array element of a TOML document is written.
 * It runs only on text smol-toml has already parsed, so it can trust the syntax and stay a
 * single cheap pass: no values are built, strings and comments are only skipped.
 *
 * Paths follow the parsed document: `[[rule.threat]]` elements are numbered, and
 * `[rule.threat.tactic]` belongs to the last `[[rule.threat]]` above it.
 */
export function locateTomlKeys(text: string, documentStart: Position = { line: 1, column: 1 }): PositionMap {
  const map = new PositionMap(text, documentStart);
  new TomlKeyScanner(text, (path, keyOffset, valueOffset) => {
    map.set(path, keyOffset, valueOffset);
    return false;
  }).scan();
  return map;
}

/**
 * Offset of the value of one top-level key of a table (`rule.query`), scanning only as far
 * as it: every EQL rule needs its query's place, few need any other.
 */
export function findTomlValue(text: string, table: string, key: string): number | undefined {
  const scanner = new TomlKeyScanner(text, undefined, { table, key });
  scanner.scan();
  return scanner.found;
}

/** Called for every key, header and element found; returning true stops the scan. */
type KeyVisitor = (path: DocumentPath, keyOffset: number, valueOffset: number) => boolean;

enum Ch {
  Tab = 9,
  LF = 10,
  CR = 13,
  Space = 32,
  DoubleQuote = 34,
  Hash = 35,
  SingleQuote = 39,
  Comma = 44,
  Dot = 46,
  Equals = 61,
  OpenBracket = 91,
  Backslash = 92,
  CloseBracket = 93,
  OpenBrace = 123,
  CloseBrace = 125,
}

class TomlKeyScanner {
  private i = 0;
  private done = false;
  /** the target's value offset, when looking for one key */
  found: number | undefined;
  private table: (string | number)[] = [];
  /** how many elements each array of tables has so far, by resolved path */
  private readonly arrayTables = new Map<string, number>();

  /** with a visitor every key is reported; with a target only that key is looked for */
  constructor(
    private readonly text: string,
    private readonly visit: KeyVisitor | undefined,
    private readonly target?: { table: string; key: string },
  ) {}

  scan(): void {
    const n = this.text.length;
    while (this.i < n && !this.done) {
      this.skipBlank(true);
      if (this.i >= n) break;
      const start = this.i;
      if (this.char() === Ch.OpenBracket) {
        const isArray = this.text.charCodeAt(this.i + 1) === Ch.OpenBracket;
        this.i += isArray ? 2 : 1;
        this.skipBlank(false);
        const segments = this.key();
        this.table = this.resolveHeader(segments, isArray);
        this.record(this.table, start, start);
        this.i = this.text.indexOf("]", this.i) + (isArray ? 2 : 1);
      } else {
        const segments = this.key();
        this.skipBlank(false);
        this.i++; // =
        this.skipBlank(false);
        if (this.target) {
          if (this.isTarget(segments)) {
            this.found = this.i;
            return;
          }
          this.value(NO_PATH, start);
        } else this.value([...this.table, ...segments], start);
      }
      this.skipToLineEnd();
    }
  }

  /** `[a.b]` and `[[a.b]]`: intermediate arrays of tables resolve to their last element. */
  private resolveHeader(segments: string[], isArray: boolean): (string | number)[] {
    const resolved: (string | number)[] = [];
    segments.forEach((segment, index) => {
      resolved.push(segment);
      const id = resolved.join("\u0000");
      const count = this.arrayTables.get(id);
      if (index < segments.length - 1) {
        if (count !== undefined) resolved.push(count - 1);
      } else if (isArray) {
        this.arrayTables.set(id, (count ?? 0) + 1);
        resolved.push(count ?? 0);
      }
    });
    return resolved;
  }

  private isTarget(segments: string[]): boolean {
    const target = this.target!;
    return (
      segments.length === 1 &&
      segments[0] === target.key &&
      this.table.length === 1 &&
      this.table[0] === target.table
    );
  }

  private record(path: DocumentPath, keyOffset: number, valueOffset: number): void {
    if (this.visit?.(path, keyOffset, valueOffset)) this.done = true;
  }

  /** The path of an element or inline key: only built when every key is being reported. */
  private child(path: DocumentPath, ...segments: (string | number)[]): DocumentPath {
    return this.visit ? [...path, ...segments] : NO_PATH;
  }

  private value(path: DocumentPath, keyOffset: number): void {
    this.record(path, keyOffset, this.i);
    if (this.done) return;
    const c = this.char();
    if (c === Ch.DoubleQuote || c === Ch.SingleQuote) this.string();
    else if (c === Ch.OpenBracket) this.array(path);
    else if (c === Ch.OpenBrace) this.inlineTable(path);
    else this.scalar();
  }

  private array(path: DocumentPath): void {
    this.i++;
    for (let index = 0; ; index++) {
      this.skipBlank(true);
      if (this.i >= this.text.length || this.char() === Ch.CloseBracket) break;
      this.value(this.child(path, index), this.i);
      this.skipBlank(true);
      if (this.char() === Ch.Comma) this.i++;
    }
    this.i++;
  }

  private inlineTable(path: DocumentPath): void {
    this.i++;
    for (;;) {
      // TOML 1.1 lets inline tables span lines; smol-toml accepts that, so this does too
      this.skipBlank(true);
      if (this.i >= this.text.length || this.char() === Ch.CloseBrace) break;
      const start = this.i;
      const segments = this.key();
      this.skipBlank(false);
      this.i++; // =
      this.skipBlank(false);
      this.value(this.child(path, ...segments), start);
      this.skipBlank(true);
      if (this.char() === Ch.Comma) this.i++;
    }
    this.i++;
  }

  /** A dotted key: bare, "basic" or 'literal' segments. */
  private key(): string[] {
    const segments: string[] = [];
    for (;;) {
      const c = this.char();
      if (c === Ch.DoubleQuote || c === Ch.SingleQuote) {
        const start = this.i;
        this.string();
        const raw = this.text.slice(start + 1, this.i - 1);
        segments.push(c === Ch.DoubleQuote ? unescapeBasic(raw) : raw);
      } else {
        const start = this.i;
        while (this.i < this.text.length && isBareKeyChar(this.char())) this.i++;
        segments.push(this.text.slice(start, this.i));
      }
      this.skipBlank(false);
      if (this.char() !== Ch.Dot) return segments;
      this.i++;
      this.skipBlank(false);
    }
  }

  /** Any of the four string forms; leaves `i` after the closing delimiter. */
  private string(): void {
    const quote = this.char();
    const text = this.text;
    const multi = text.charCodeAt(this.i + 1) === quote && text.charCodeAt(this.i + 2) === quote;
    this.i += multi ? 3 : 1;
    // notes and descriptions are long: jump between the characters that matter
    const stops = quote === Ch.DoubleQuote ? BASIC_STOPS : LITERAL_STOPS;
    for (;;) {
      stops.lastIndex = this.i;
      if (!stops.test(text)) {
        this.i = text.length;
        return;
      }
      this.i = stops.lastIndex - 1;
      if (text.charCodeAt(this.i) === Ch.Backslash) {
        this.i += 2;
        continue;
      }
      if (!multi) {
        this.i++;
        return;
      }
      if (text.charCodeAt(this.i + 1) === quote && text.charCodeAt(this.i + 2) === quote) {
        this.i += 3;
        // up to two quotes may end the content right before the delimiter
        for (let extra = 0; extra < 2 && text.charCodeAt(this.i) === quote; extra++) this.i++;
        return;
      }
      this.i++;
    }
  }

  private scalar(): void {
    while (this.i < this.text.length) {
      const c = this.char();
      if (
        c === Ch.Comma ||
        c === Ch.CloseBracket ||
        c === Ch.CloseBrace ||
        c === Ch.LF ||
        c === Ch.CR ||
        c === Ch.Hash
      )
        return;
      this.i++;
    }
  }

  /** Spaces and tabs; with `newlines`, also line ends and comments. */
  private skipBlank(newlines: boolean): void {
    const text = this.text;
    while (this.i < text.length) {
      const c = text.charCodeAt(this.i);
      if (c === Ch.Space || c === Ch.Tab) this.i++;
      else if (newlines && (c === Ch.LF || c === Ch.CR)) this.i++;
      else if (newlines && c === Ch.Hash) this.skipToLineEnd();
      else return;
    }
  }

  private skipToLineEnd(): void {
    const end = this.text.indexOf("\n", this.i);
    this.i = end < 0 ? this.text.length : end + 1;
  }

  private char(): number {
    return this.text.charCodeAt(this.i);
  }
}

const NO_PATH: DocumentPath = [];

const BASIC_STOPS = /["\\]/g;
const LITERAL_STOPS = /'/g;

const isBareKeyChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45;

const unescapeBasic = (raw: string): string => (raw.includes("\\") ? JSON.parse(`"${raw}"`) : raw);
