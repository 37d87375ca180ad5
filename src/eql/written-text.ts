/**
 * A query as written inside a string of its file, when escapes make it differ from the query
 * itself: a JSON string (`\n`, `\"`, `\u0041`) or a TOML basic string (those, `\U0001F600`, and
 * a backslash at a line's end, which drops the line break and the blanks after it). Positions
 * and code frames are worked out in this text, so they land on the file's own characters.
 */
export interface WrittenText {
  /** the string's content as the file has it, delimiters left out */
  text: string;
  escapes: "json" | "toml";
}

/** The offset in the written text of the query character at `offset`. */
export function writtenOffset(written: WrittenText, offset: number): number {
  const { text } = written;
  let at = 0;
  let decoded = 0;
  while (at < text.length) {
    const [length, yields] = escapeAt(written, at);
    // a line-end backslash yields nothing: the character at `offset` comes after it
    if (decoded + yields > offset || (decoded === offset && yields > 0)) return at;
    at += length;
    decoded += yields;
  }
  return at;
}

const BACKSLASH = 92;

/** The written length of the character or escape at `at`, and how many UTF-16 units it stands for. */
function escapeAt({ text, escapes }: WrittenText, at: number): [number, number] {
  if (text.charCodeAt(at) !== BACKSLASH) return [1, 1];
  const kind = text[at + 1];
  if (kind === "u") return [6, 1];
  if (kind === "U" && escapes === "toml") {
    const code = Number.parseInt(text.slice(at + 2, at + 10), 16);
    return [10, code > 0xffff ? 2 : 1];
  }
  if (escapes === "toml") {
    LINE_END.lastIndex = at;
    const lineEnd = LINE_END.exec(text);
    if (lineEnd) return [lineEnd[0].length, 0];
  }
  return [2, 1];
}

/** TOML's line-ending backslash, with the blanks and line breaks it drops. */
const LINE_END = /\\[ \t]*\r?\n[ \t\r\n]*/y;
