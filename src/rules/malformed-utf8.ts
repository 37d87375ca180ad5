import { isUtf8 } from "node:buffer";

/**
 * Where the first byte that is not UTF-8 sits in `text`, the bytes as Node decodes them (each
 * malformed sequence becomes U+FFFD), or undefined when the bytes are UTF-8. A file saved as
 * Latin-1 or Windows-1252 reads without an error but with its accented letters replaced: a
 * query's `"café"` would never match again.
 */
export function malformedUtf8At(bytes: Uint8Array, text: string): number | undefined {
  let at = text.indexOf(REPLACEMENT);
  if (at < 0 || isUtf8(bytes)) return undefined;
  // the text before the first U+FFFD decoded exactly, so its UTF-8 length is its byte count
  let byte = Buffer.byteLength(text.slice(0, at));
  while (at >= 0) {
    // a U+FFFD written in the file is the three bytes EF BF BD; any other is a replacement
    if (bytes[byte] !== 0xef || bytes[byte + 1] !== 0xbf || bytes[byte + 2] !== 0xbd) return at;
    const next = text.indexOf(REPLACEMENT, at + 1);
    byte += 3 + Buffer.byteLength(text.slice(at + 1, next < 0 ? text.length : next));
    at = next;
  }
  return undefined;
}

const REPLACEMENT = "\ufffd";
