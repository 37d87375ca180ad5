/** A query's text and where it came from, so errors can point into it. */
export interface Source {
  body: string;
  /** e.g. a rule file; used in messages as `name:line:column` */
  name?: string;
  /** where the body starts inside `name` (1-based), for queries embedded in rule files */
  lineOffset?: number;
  columnOffset?: number;
}

export interface SourceLocation {
  line: number;
  column: number;
}

export const makeSource = (body: string, name?: string): Source => ({ body, name });

/** 1-based line and column of an offset, columns counted in UTF-16 units as editors do. */
export function getLocation(source: Source, offset: number): SourceLocation {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, source.body.length);
  for (let i = 0; i < end; i++) {
    const c = source.body.charCodeAt(i);
    if (c === 10 || (c === 13 && source.body.charCodeAt(i + 1) !== 10)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * The lines around a location with a caret under the problem:
 *
 *     1 | process where name = "x"
 *       |                    ^
 */
export function printCodeFrame(source: Source, offset: number, length = 1): string {
  const { line, column } = getLocation(source, offset);
  const lines = source.body.split(/\r\n|[\n\r]/);
  const first = Math.max(1, line - 1);
  const last = Math.min(lines.length, line + 1);
  const width = String(last + (source.lineOffset ?? 1) - 1).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const shown = String(n + (source.lineOffset ?? 1) - 1).padStart(width);
    const text = lines[n - 1].replace(/\t/g, " ");
    out.push(`${shown} | ${text}`.trimEnd());
    if (n === line) {
      const caretLength = Math.max(1, Math.min(length, text.length - column + 1));
      out.push(`${" ".repeat(width)} | ${" ".repeat(column - 1)}${"^".repeat(caretLength)}`);
    }
  }
  return out.join("\n");
}
