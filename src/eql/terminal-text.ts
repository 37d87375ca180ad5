/**
 * Text from events and rule files, made safe to show on a terminal. Such text is untrusted: an
 * escape sequence in a command line could retitle the window, write the clipboard (OSC 52), or erase
 * and overwrite the lines above — hiding an alert from the analyst reading it. A line break could
 * forge a line of output, and a bidirectional override reorder what is read. Each such character
 * becomes one visible stand-in (the Unicode control pictures: ␛ for ESC, ␊ for a line break; �
 * for the C1 controls and the bidirectional ones), one for one, so columns and carets still line up.
 * JSON output is made safe by `terminalSafeJson`, which keeps the data.
 */
export function visibleLine(text: string): string {
  return text.replace(LINE_UNSAFE, picture);
}

/** The same for text of several lines (a message with a code frame): line breaks and tabs are kept. */
export function visibleText(text: string): string {
  return text.replace(TEXT_UNSAFE, picture);
}

const BIDI_AND_C1 = "\\u007f-\\u009f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069";
const LINE_UNSAFE = new RegExp(`[\\u0000-\\u001f${BIDI_AND_C1}]`, "g");
const TEXT_UNSAFE = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f${BIDI_AND_C1}]`, "g");

function picture(c: string): string {
  const code = c.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  return code === 0x7f ? "\u2421" : "\ufffd";
}

/**
 * JSON text with every character a terminal acts on written as a `\u` escape. JSON.stringify
 * escapes the C0 controls but leaves DEL, the C1 controls (U+009B is a CSI on terminals that take
 * 8-bit controls) and the bidirectional overrides raw, and alerts and matches go to terminals as
 * often as to files. Such characters can only stand inside JSON strings, where the escape means
 * the same character: a parser reads the same data.
 */
export function terminalSafeJson(json: string): string {
  return JSON_UNSAFE.test(json) ? json.replace(JSON_UNSAFE_ALL, jsonEscape) : json;
}

const JSON_UNSAFE = new RegExp(`[${BIDI_AND_C1}\\u2028\\u2029]`);
const JSON_UNSAFE_ALL = new RegExp(JSON_UNSAFE.source, "g");

const jsonEscape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;

/** A JSON document as the commands print one (`--json`, SARIF): indented, terminal-safe, a line. */
export const jsonDocument = (value: unknown): string =>
  `${terminalSafeJson(JSON.stringify(value, null, 2))}\n`;
