import { ANY_VALUE } from "../rules/term-index.ts";
import { eventIndex } from "./index-pattern.ts";

export type Scalar = string | number | boolean;

/**
 * One pass over the text of an NDJSON line, without parsing it: the values of the fields the
 * prefilter asks about, and the index the event belongs to. It follows the JSON structure
 * (strings, nesting, which strings are keys) byte by byte, so that whatever the line holds,
 * it is read once.
 *
 * - Values: a field's values are those whose path — the keys from the top, joined with dots,
 *   arrays looked through — spells the field, as the evaluator reads `{"process": {"name":
 *   …}}`, `{"process.name": …}` and `{"process": [{"name": …}]}` alike. Paths are compared
 *   by a hash: a collision only adds values, which can only let more lines through. The
 *   scalars of each value are kept, array elements included; a value that is an object,
 *   holds one, or is a string with an escape is unreadable.
 * - Index: the data stream `data_stream.*` names, as `eventIndex` reads it from the parsed
 *   event — known when the top-level object has one `data_stream` key, whose value is an
 *   object with no object or array inside, and no dotted `data_stream.…` key (another value
 *   of the same fields); undefined otherwise, which, like an event with no data stream,
 *   means that every rule may see the event.
 *
 * A line it cannot read exactly is not judged (`scan` returns false): a `\u` escape (only
 * `\u` can spell a key's letters otherwise than as themselves), nesting deeper than it
 * follows, or text that is not one well-formed object. Keys with other escapes spell no
 * field a query can name without one, so what they hold is left out.
 */
export class LineScanner {
  /** wanted fields by the hash of their name */
  private readonly wanted = new Map<number, number[]>();
  private readonly slotByField = new Map<string, number>();
  /** whether some wanted field's hash has these low bits: most keys are dismissed by one look */
  private readonly hashBits = new Uint8Array(HASH_BITS + 1);
  private readonly slotValues: Scalar[][] = [];
  private readonly slotUnreadable: boolean[] = [];
  /** slots given values by the last scan, to clear before the next */
  private readonly touched: number[] = [];
  /** per depth: the container's byte, the hash of its path, whether its path is empty or escaped */
  private readonly kinds = new Uint8Array(MAX_DEPTH + 2);
  private readonly paths = new Int32Array(MAX_DEPTH + 2);
  private readonly pathState = new Uint8Array(MAX_DEPTH + 2);
  /** the index of the last line scanned */
  index: string | undefined;

  /** The slot that will hold the values of `field` (a name `isPlainField` accepts). */
  want(field: string): number {
    const known = this.slotByField.get(field);
    if (known !== undefined) return known;
    const hash = hashOf(Buffer.from(field, "utf8"));
    this.hashBits[hash & HASH_BITS] = 1;
    let slots = this.wanted.get(hash);
    if (!slots) {
      slots = [];
      this.wanted.set(hash, slots);
    }
    const slot = this.slotValues.length;
    this.slotValues.push([]);
    this.slotUnreadable.push(false);
    slots.push(slot);
    this.slotByField.set(field, slot);
    return slot;
  }

  get slots(): number {
    return this.slotValues.length;
  }

  /** The values of the slot's field on the line (until the next scan), or ANY_VALUE when some could not be read. */
  valuesOf(slot: number): readonly Scalar[] | typeof ANY_VALUE {
    return this.slotUnreadable[slot] ? ANY_VALUE : this.slotValues[slot];
  }

  /** Whether some value of the slot's field passes `test`, or some value could not be read. */
  some(slot: number, test: (value: Scalar) => boolean): boolean {
    if (this.slotUnreadable[slot]) return true;
    const values = this.slotValues[slot];
    for (let i = 0; i < values.length; i++) if (test(values[i])) return true;
    return false;
  }

  /** Reads the line on `buf[start, end)`; false when it cannot be read exactly. */
  scan(buf: Buffer, start: number, end: number): boolean {
    for (const slot of this.touched) {
      this.slotValues[slot].length = 0;
      this.slotUnreadable[slot] = false;
    }
    this.touched.length = 0;
    this.index = undefined;
    const { kinds, paths, pathState } = this;
    let dataStreams = 0;
    let dataStreamValue = -1;
    let dottedDataStream = false;
    let depth = 0;
    let expectKey = false;
    // where the value of the last key starts, when it is an object or an array, and its path
    let containerAt = -1;
    let containerPath = 0;
    let containerState = PATH;
    let i = start;
    while (i < end) {
      const c = buf[i];
      if (c === QUOTE) {
        if (!expectKey) {
          i = stringEnd(buf, i, end);
          if (i < 0) return false;
          continue;
        }
        const keyStart = i + 1;
        const state = pathState[depth];
        let hash = state === EMPTY ? 0 : (Math.imul(paths[depth], 31) + DOT) | 0;
        let escaped = state === ESCAPED;
        let j = keyStart;
        for (;;) {
          if (j >= end) return false;
          const b = buf[j];
          if (b === QUOTE) break;
          if (b === BACKSLASH) {
            if (buf[j + 1] === LOWER_U) return false;
            escaped = true;
            j += 2;
            continue;
          }
          hash = (Math.imul(hash, 31) + b) | 0;
          j++;
        }
        const keyEnd = j;
        i = skipSpace(buf, keyEnd + 1, end);
        if (buf[i] !== COLON) return false;
        i = skipSpace(buf, i + 1, end);
        expectKey = false;
        if (depth === 1 && !escaped && buf[keyStart] === LOWER_D) {
          const length = keyEnd - keyStart;
          if (length === DATA_STREAM.length && startsWith(buf, keyStart, DATA_STREAM)) {
            dataStreams++;
            dataStreamValue = i;
          } else if (length > DATA_STREAM.length && startsWith(buf, keyStart, DATA_STREAM_DOT)) {
            dottedDataStream = true;
          }
        }
        const slots = escaped || this.hashBits[hash & HASH_BITS] === 0 ? undefined : this.wanted.get(hash);
        if (slots !== undefined) {
          for (const slot of slots) {
            const values = this.slotValues[slot];
            if (values.length === 0 && !this.slotUnreadable[slot]) this.touched.push(slot);
            const after =
              buf[i] === LBRACKET ? readArray(buf, i, end, values) : readScalar(buf, i, end, values);
            // an unreadable value is walked by the scan like any other
            if (after < 0) this.slotUnreadable[slot] = true;
            else if (slots.length === 1) i = after;
          }
        }
        const v = buf[i];
        if (v === LBRACE || v === LBRACKET) {
          containerAt = i;
          containerPath = hash;
          containerState = escaped ? ESCAPED : PATH;
        }
        continue;
      }
      if (c === LBRACE || c === LBRACKET) {
        if (++depth > MAX_DEPTH) return false;
        kinds[depth] = c;
        if (i === containerAt) {
          // the value of a key: its path goes on from the key's
          paths[depth] = containerPath;
          pathState[depth] = containerState;
        } else if (depth === 1) {
          pathState[depth] = EMPTY;
        } else {
          // an element of an array: the array's path, looked through
          paths[depth] = paths[depth - 1];
          pathState[depth] = pathState[depth - 1];
        }
        if (c === LBRACE) {
          // a key or the end must follow
          i = skipSpace(buf, i + 1, end);
          const next = buf[i];
          if (next !== QUOTE && next !== RBRACE) return false;
          expectKey = true;
          continue;
        }
      } else if (c === RBRACE || c === RBRACKET) {
        if (depth === 0 || kinds[depth] !== c - 2) return false;
        if (--depth === 0) {
          i = skipSpace(buf, i + 1, end);
          if (i !== end) return false;
          break;
        }
        expectKey = false;
      } else if (c === COMMA && kinds[depth] === LBRACE) {
        i = skipSpace(buf, i + 1, end);
        if (buf[i] !== QUOTE) return false;
        expectKey = true;
        continue;
      }
      i++;
    }
    if (depth !== 0) return false;
    if (dataStreams === 1 && !dottedDataStream) this.index = indexOf(buf, dataStreamValue, end);
    return true;
  }
}

/** A field name written the one way JSON can write it without an escape: no quote, backslash, slash or control character. */
export function isPlainField(name: string): boolean {
  if (name === "") return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0x2f) return false;
  }
  return true;
}

/** Path states: what a key's path goes on from. */
const PATH = 0;
const EMPTY = 1;
const ESCAPED = 2;

const HASH_BITS = 4095;

/** Nesting deeper than this is not followed (the line is not judged). */
const MAX_DEPTH = 256;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const DOT = 0x2e;
const COLON = 0x3a;
const COMMA = 0x2c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const LOWER_U = 0x75;
const LOWER_D = 0x64;
const DATA_STREAM = Buffer.from("data_stream");
const DATA_STREAM_DOT = Buffer.from("data_stream.");

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;

function skipSpace(buf: Buffer, p: number, end: number): number {
  while (p < end && isSpace(buf[p])) p++;
  return p;
}

function hashOf(bytes: Buffer): number {
  let hash = 0;
  for (let i = 0; i < bytes.length; i++) hash = (Math.imul(hash, 31) + bytes[i]) | 0;
  return hash;
}

function startsWith(buf: Buffer, at: number, prefix: Buffer): boolean {
  for (let k = 0; k < prefix.length; k++) if (buf[at + k] !== prefix[k]) return false;
  return true;
}

/** The position after the string opening at `p`, or -1 when it does not end on the line or has a `\u`. */
function stringEnd(buf: Buffer, p: number, end: number): number {
  for (let i = p + 1; i < end; i++) {
    const c = buf[i];
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) {
      if (buf[i + 1] === LOWER_U) return -1;
      i++;
    }
  }
  return -1;
}

/** The data stream of the object value at `p`, when it is flat, read as `eventIndex` reads it. */
function indexOf(buf: Buffer, p: number, end: number): string | undefined {
  if (buf[p] !== LBRACE) return undefined;
  let i = p + 1;
  while (i < end) {
    const c = buf[i];
    if (c === QUOTE) {
      i = stringEnd(buf, i, end);
      if (i < 0) return undefined;
      continue;
    }
    if (c === RBRACE) break;
    if (c === LBRACE || c === LBRACKET || c === RBRACKET) return undefined;
    i++;
  }
  if (i >= end) return undefined;
  let dataStream: unknown;
  try {
    dataStream = JSON.parse(buf.toString("utf8", p, i + 1));
  } catch {
    return undefined;
  }
  return eventIndex({ data_stream: dataStream });
}

/**
 * Reads the scalar at `p` into `out` (a null adds nothing: it is no value) and returns the
 * position after it, or -1 when it is not a scalar that can be read exactly.
 */
export function readScalar(buf: Buffer, p: number, end: number, out: Scalar[]): number {
  const c = buf[p];
  if (c === QUOTE) {
    let q = p + 1;
    while (q < end) {
      const b = buf[q];
      if (b === QUOTE) break;
      if (b === BACKSLASH) return -1;
      q++;
    }
    if (q >= end) return -1;
    out.push(buf.toString("utf8", p + 1, q));
    return q + 1;
  }
  if (c === 0x74 /* t */) return readWord(buf, p, end, "true", true, out);
  if (c === 0x66 /* f */) return readWord(buf, p, end, "false", false, out);
  if (c === 0x6e /* n */) return isWord(buf, p, end, "null") ? p + 4 : -1;
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
    let q = p + 1;
    while (q < end && isNumberByte(buf[q])) q++;
    const n = Number(buf.toString("latin1", p, q));
    if (Number.isNaN(n)) return -1;
    out.push(n);
    return q;
  }
  // an object, or something malformed: not judged here
  return -1;
}

/** The scalars of a flat array at `p` into `out`; -1 when an element is not a plain scalar. */
export function readArray(buf: Buffer, p: number, end: number, out: Scalar[]): number {
  p = skipSpace(buf, p + 1, end);
  if (buf[p] === RBRACKET) return p + 1;
  for (;;) {
    p = readScalar(buf, p, end, out);
    if (p < 0) return -1;
    p = skipSpace(buf, p, end);
    if (buf[p] === RBRACKET) return p + 1;
    if (buf[p] !== COMMA) return -1;
    p = skipSpace(buf, p + 1, end);
  }
}

function readWord(buf: Buffer, p: number, end: number, word: string, value: boolean, out: Scalar[]): number {
  if (!isWord(buf, p, end, word)) return -1;
  out.push(value);
  return p + word.length;
}

function isWord(buf: Buffer, p: number, end: number, word: string): boolean {
  if (p + word.length > end) return false;
  for (let i = 0; i < word.length; i++) if (buf[p + i] !== word.charCodeAt(i)) return false;
  const after = p + word.length < end ? buf[p + word.length] : -1;
  return !(after >= 0x61 && after <= 0x7a) && !(after >= 0x30 && after <= 0x39);
}

const isNumberByte = (b: number) =>
  (b >= 0x30 && b <= 0x39) || b === 0x2e || b === 0x2d || b === 0x2b || b === 0x65 || b === 0x45;
