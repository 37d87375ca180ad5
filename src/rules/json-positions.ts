import type { Position } from "./diagnostic.ts";
import { type DocumentPath, PositionMap } from "./position-map.ts";

/**
 * Finds where every key and array element of one JSON value is written, for a rule in a
 * Kibana export (one object per line) or a `.json` file. Runs only on text `JSON.parse`
 * has accepted, so it just skips over strings and scalars.
 */
export function locateJsonKeys(
  text: string,
  from: number,
  documentStart: Position,
  lineStarts?: readonly number[],
): PositionMap {
  const map = new PositionMap(text, documentStart, lineStarts);
  const scanner = new JsonKeyScanner(text, map);
  scanner.i = from;
  scanner.value([], from);
  return map;
}

class JsonKeyScanner {
  i = 0;

  constructor(
    private readonly text: string,
    private readonly map: PositionMap,
  ) {}

  value(path: DocumentPath, keyOffset: number): void {
    this.skipSpace();
    if (path.length > 0) this.map.set(path, keyOffset, this.i);
    const c = this.text.charCodeAt(this.i);
    if (c === 123) this.object(path);
    else if (c === 91) this.array(path);
    else if (c === 34) this.string();
    else this.scalar();
  }

  private object(path: DocumentPath): void {
    this.i++;
    for (;;) {
      this.skipSpace();
      if (this.i >= this.text.length || this.text.charCodeAt(this.i) === 125) break;
      const keyOffset = this.i;
      this.string();
      const raw = this.text.slice(keyOffset + 1, this.i - 1);
      const key = raw.includes("\\") ? (JSON.parse(`"${raw}"`) as string) : raw;
      this.skipSpace();
      this.i++; // :
      this.value([...path, key], keyOffset);
      this.skipSpace();
      if (this.text.charCodeAt(this.i) === 44) this.i++;
    }
    this.i++;
  }

  private array(path: DocumentPath): void {
    this.i++;
    for (let index = 0; ; index++) {
      this.skipSpace();
      if (this.i >= this.text.length || this.text.charCodeAt(this.i) === 93) break;
      this.value([...path, index], this.i);
      this.skipSpace();
      if (this.text.charCodeAt(this.i) === 44) this.i++;
    }
    this.i++;
  }

  private string(): void {
    this.i = endOfJsonString(this.text, this.i);
  }

  private scalar(): void {
    const text = this.text;
    while (this.i < text.length) {
      const c = text.charCodeAt(this.i);
      if (c === 44 || c === 93 || c === 125 || c === 32 || c === 9 || c === 10 || c === 13) return;
      this.i++;
    }
  }

  private skipSpace(): void {
    const text = this.text;
    while (this.i < text.length) {
      const c = text.charCodeAt(this.i);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return;
      this.i++;
    }
  }
}

/** The offset after the closing quote of the JSON string whose opening quote is at `quoteOffset`. */
export function endOfJsonString(text: string, quoteOffset: number): number {
  let i = quoteOffset + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 92) i += 2;
    else if (c === 34) return i + 1;
    else i++;
  }
  return i;
}
