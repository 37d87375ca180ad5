/**
 * Turning a `JSON.parse` failure into a `line:column: reason` people can act on.
 *
 * V8 reports a position for some errors ("... in JSON at position 6") but only a
 * text snippet for others ("Unexpected token '}', "{"a": }" is not valid JSON"),
 * so when it gives none we find the first offending character ourselves. This is
 * the slow path: it only runs on text that has already failed to parse.
 */

export interface JsonErrorDetail {
  /** offset into the text in UTF-16 units, when it can be known */
  offset?: number;
  reason: string;
}

const POSITION = / in JSON at position (\d+)(?: \(line \d+ column \d+\))?$/;
// the snippet can be a whole short document, newlines included, so match across lines
const SNIPPET = /, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s;

export function explainJsonError(text: string, error: unknown): JsonErrorDetail {
  const message = error instanceof Error ? error.message : String(error);
  const match = POSITION.exec(message);
  const offset = match ? Number(match[1]) : findJsonErrorOffset(text);
  // V8 quotes the invisible character itself: "Unexpected token ''"
  const reason =
    offset >= 0 && text.charCodeAt(offset) === 0xfeff
      ? "invalid JSON: a byte order mark (U+FEFF) where a value should be; only a file's first line may start with one (files joined with cat?)"
      : `invalid JSON: ${message.replace(POSITION, "").replace(SNIPPET, "")}`;
  return offset < 0 ? { reason } : { offset, reason };
}

/** 0-based line delta and 1-based column of an offset, columns in UTF-16 units as editors count them. */
export function lineColumnAt(text: string, offset: number): { lines: number; column: number } {
  let lines = 0;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      lines++;
      lineStart = i + 1;
    }
  }
  return { lines, column: offset - lineStart + 1 };
}

const OBJECT = 0;
const ARRAY = 1;

/**
 * Offset of the first character that makes `text` invalid JSON (RFC 8259), or -1 if it is valid.
 * Iterative with an explicit stack, so deeply nested input cannot overflow the call stack.
 */
export function findJsonErrorOffset(text: string): number {
  const n = text.length;
  const stack: number[] = [];
  let i = 0;

  const skipSpace = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return;
      i++;
    }
  };

  // each helper leaves `i` on the offending character when it returns false
  const string = (): boolean => {
    i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return true;
      }
      if (c < 32) return false;
      if (c === 92) {
        const e = text.charCodeAt(i + 1);
        if (e === 117) {
          for (let k = 2; k < 6; k++) {
            if (!isHex(text.charCodeAt(i + k))) {
              i += k;
              return false;
            }
          }
          i += 6;
        } else if (
          e === 34 ||
          e === 92 ||
          e === 47 ||
          e === 98 ||
          e === 102 ||
          e === 110 ||
          e === 114 ||
          e === 116
        ) {
          i += 2;
        } else {
          i++;
          return false;
        }
      } else {
        i++;
      }
    }
    return false;
  };

  const digits = (): boolean => {
    const from = i;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
    return i > from;
  };

  const number = (): boolean => {
    if (text.charCodeAt(i) === 45) i++;
    if (text.charCodeAt(i) === 48) i++;
    else if (!digits()) return false;
    if (text.charCodeAt(i) === 46) {
      i++;
      if (!digits()) return false;
    }
    const e = text.charCodeAt(i);
    if (e === 101 || e === 69) {
      i++;
      const sign = text.charCodeAt(i);
      if (sign === 43 || sign === 45) i++;
      if (!digits()) return false;
    }
    return true;
  };

  const literal = (word: string): boolean => {
    for (let k = 0; k < word.length; k++, i++) {
      if (text.charCodeAt(i) !== word.charCodeAt(k)) return false;
    }
    return true;
  };

  const key = (): boolean => {
    skipSpace();
    if (text.charCodeAt(i) !== 34 || !string()) return false;
    skipSpace();
    if (text.charCodeAt(i) !== 58) return false;
    i++;
    return true;
  };

  for (;;) {
    // a value is expected here
    skipSpace();
    if (i >= n) return i;
    const c = text.charCodeAt(i);
    if (c === 123) {
      i++;
      skipSpace();
      if (text.charCodeAt(i) === 125) i++;
      else {
        stack.push(OBJECT);
        if (!key()) return i;
        continue;
      }
    } else if (c === 91) {
      i++;
      skipSpace();
      if (text.charCodeAt(i) === 93) i++;
      else {
        stack.push(ARRAY);
        continue;
      }
    } else if (c === 34) {
      if (!string()) return i;
    } else if (c === 45 || isDigit(c)) {
      if (!number()) return i;
    } else if (c === 116) {
      if (!literal("true")) return i;
    } else if (c === 102) {
      if (!literal("false")) return i;
    } else if (c === 110) {
      if (!literal("null")) return i;
    } else {
      return i;
    }

    // a value just ended: close containers until one expects another value
    for (;;) {
      skipSpace();
      if (stack.length === 0) return i < n ? i : -1;
      if (i >= n) return i;
      const top = stack[stack.length - 1];
      const d = text.charCodeAt(i);
      if (d === 44) {
        i++;
        if (top === OBJECT && !key()) return i;
        break;
      }
      if ((top === OBJECT && d === 125) || (top === ARRAY && d === 93)) {
        i++;
        stack.pop();
        continue;
      }
      return i;
    }
  }
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isHex = (c: number): boolean => isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
