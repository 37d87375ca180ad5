import type { Position } from "./diagnostic.ts";

/** A path into a rule document: object keys and array indices, e.g. `["rule", "threat", 0, "tactic", "id"]`. */
export type DocumentPath = readonly (string | number)[];

export interface Located {
  /** where the key is written (for array elements: where the element starts) */
  key: Position;
  /** offset of the value's first character in the file text */
  valueOffset: number;
}

/**
 * Where each key of a rule document is written in its file. Values parsers return no
 * positions, so the loaders find them in the raw text; a path that was not recorded
 * (a default, a key inside a value the locator did not enter) falls back to its nearest
 * recorded ancestor, and finally to the document's own start.
 */
export class PositionMap {
  /** key offset and value offset by path; lines and columns are worked out when asked */
  private readonly entries = new Map<string, [number, number]>();
  private lineStarts: readonly number[] | undefined;

  constructor(
    private readonly text: string,
    private readonly documentStart: Position,
    lineStarts?: readonly number[],
  ) {
    this.lineStarts = lineStarts;
  }

  set(path: DocumentPath, keyOffset: number, valueOffset: number): void {
    this.entries.set(pathKey(path), [keyOffset, valueOffset]);
  }

  get(path: DocumentPath): Located | undefined {
    const found = this.entries.get(pathKey(path));
    return found && { key: this.positionOf(found[0]), valueOffset: found[1] };
  }

  /** The position of the key at `path`, or of its closest recorded ancestor. */
  at(path: DocumentPath): Position {
    for (let n = path.length; n > 0; n--) {
      const found = this.entries.get(pathKey(path.slice(0, n)));
      if (found) return this.positionOf(found[0]);
    }
    return this.documentStart;
  }

  /** Where the document begins: its first line in a TOML file, its line in an NDJSON export. */
  get start(): Position {
    return this.documentStart;
  }

  /** 1-based line and column of an offset in the file text. */
  positionOf(offset: number): Position {
    this.lineStarts ??= lineStartsOf(this.text);
    return positionIn(this.lineStarts, offset);
  }
}

const pathKey = (path: DocumentPath): string => path.join("\u0000");

/** Offsets where each line starts (`\n`, `\r\n` and lone `\r` end lines, as in EQL sources). */
export function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13 && text.charCodeAt(i + 1) !== 10) starts.push(i + 1);
  }
  return starts;
}

/** 1-based line and column of an offset, given where lines start. */
export function positionIn(lineStarts: readonly number[], offset: number): Position {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - lineStarts[lo] + 1 };
}
