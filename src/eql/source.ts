import { visibleLine } from "./terminal-text.ts";
import { type WrittenText, writtenOffset } from "./written-text.ts";

/** A query's text and where it came from, so errors can point into it. */
export interface Source {
  body: string;
  /** e.g. a rule file; used in messages as `name:line:column` */
  name?: string;
  /** where the body starts inside `name` (1-based), for queries embedded in rule files */
  lineOffset?: number;
  columnOffset?: number;
  /** the body as the file writes it, when escapes make the two differ; it starts at the offsets above */
  written?: WrittenText;
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
 * Where an offset of the body is in the file that holds it (`name`): the body's own line and
 * column when it stands alone, else counted from where it starts in the file, escapes included.
 */
export function placeOf(source: Source, offset: number): SourceLocation {
  const { line, column } = source.written
    ? getLocation({ body: source.written.text }, writtenOffset(source.written, offset))
    : getLocation(source, offset);
  return {
    line: line + (source.lineOffset ?? 1) - 1,
    column: line === 1 ? column + (source.columnOffset ?? 1) - 1 : column,
  };
}

/** Longer quotes of a query in messages keep their two ends: a message names its place, not a copy of the query. */
const QUOTE_LIMIT = 160;

/** The text of a span of the query, as a message quotes it. */
export function quote(source: Source, start: number, end: number): string {
  if (end - start <= QUOTE_LIMIT) return source.body.slice(start, end);
  const half = QUOTE_LIMIT / 2;
  return `${source.body.slice(start, start + half)}…${source.body.slice(end - half, end)}`;
}

/** A frame shows at most this much of a line: around the caret, with `…` where it is cut. */
const FRAME_WIDTH = 160;

/**
 * The lines around a location with a caret under the problem:
 *
 *     1 | process where name = "x"
 *       |                    ^
 */
export function printCodeFrame(source: Source, offset: number, length = 1): string {
  const { written } = source;
  if (written) {
    // the frame shows the file's characters, escapes as written, with the caret under them
    const start = writtenOffset(written, offset);
    const end = writtenOffset(written, offset + length);
    return printCodeFrame({ body: written.text, lineOffset: source.lineOffset }, start, end - start);
  }
  const { line, column } = getLocation(source, offset);
  const lines = source.body.split(/\r\n|[\n\r]/);
  const first = Math.max(1, line - 1);
  const last = Math.min(lines.length, line + 1);
  const width = String(last + (source.lineOffset ?? 1) - 1).length;
  // every line of the frame is cut the same way, so that the caret stays under its column
  const from = Math.max(0, column - 1 - FRAME_WIDTH / 2);
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const shown = String(n + (source.lineOffset ?? 1) - 1).padStart(width);
    // one stand-in for each control character, as for a tab: the caret stays under its column
    const whole = visibleLine(lines[n - 1].replace(/\t/g, " "));
    const text = window(whole, from);
    out.push(`${shown} | ${text}`.trimEnd());
    if (n === line) {
      const caretColumn = column - from + (from > 0 ? 1 : 0);
      const caretLength = Math.max(1, Math.min(length, text.length - caretColumn + 1));
      out.push(`${" ".repeat(width)} | ${" ".repeat(caretColumn - 1)}${"^".repeat(caretLength)}`);
    }
  }
  return out.join("\n");
}

/** FRAME_WIDTH characters of a line from `from`, marked `…` where cut. */
function window(line: string, from: number): string {
  if (line.length <= FRAME_WIDTH && from === 0) return line;
  const shown = line.slice(from, from + FRAME_WIDTH);
  return `${from > 0 ? "…" : ""}${shown}${from + FRAME_WIDTH < line.length ? "…" : ""}`;
}
