import type { Requirement } from "../eql/requirement.ts";
import type { LineFilter } from "../io/line-filter.ts";

/**
 * The raw-line prefilter: decides from the bytes of an NDJSON line, without parsing it,
 * that no loaded rule can match its event, so the line is never parsed.
 *
 * Each rule's requirement (what a matching event must have, from its positive field
 * conditions) is checked on the text: a field condition holds when some key ending in the
 * field's last name (`"name"` or `"process.name"`), followed by `:`, has a value that passes
 * the rule's own per-value test — the very test the evaluator runs, applied to the value
 * read from the text. Keys of other fields with the same last name only make it pass more.
 *
 * It must never lose a match, so whatever it cannot read exactly passes: a value that is an
 * array or an object, a string with an escape in it, a malformed token, and any line with a
 * `\u` escape (which could spell a key differently). Lines that are not one `{...}` object
 * are never given to it.
 */
type RawTest = (buf: Buffer, start: number, end: number) => boolean;

/** Beyond this many distinct key names per line the prefilter costs more than it saves. */
const MAX_NEEDLES = 48;

/**
 * The prefilter of a rule set, or undefined when it could not skip anything (a rule that
 * takes every event) or would cost too much.
 */
export function buildLineFilter(requirements: readonly Requirement[]): LineFilter | undefined {
  if (requirements.length === 0 || requirements.some((r) => r.kind === "always")) return undefined;
  const needles = new Map<string, Needle>();
  const needleFor = (text: string) => {
    let needle = needles.get(text);
    if (!needle) {
      needle = new Needle(text);
      needles.set(text, needle);
    }
    return needle;
  };
  const compile = (r: Requirement): RawTest => {
    switch (r.kind) {
      case "always":
        return passes;
      case "never":
        return fails;
      case "field": {
        const name = lastName(r.query.field);
        if (!isPlainKey(name)) return passes;
        return valueTest(needleFor(`${name}"`), r.query.test);
      }
      case "all":
        return mostSelectiveFirst(r.of.map(compile));
      case "some": {
        const parts = r.of.map(compile);
        return (buf, start, end) => parts.some((p) => p(buf, start, end));
      }
    }
  };
  const rules = requirements.map(compile);
  if (needles.size > MAX_NEEDLES) return undefined;
  const unicodeEscape = new Needle("\\u");
  const all = [...needles.values(), unicodeEscape];
  let current: Buffer | undefined;
  const reset = () => {
    current = undefined;
    for (const n of all) n.reset();
  };
  return {
    reset,
    accepts(buf, start, end) {
      if (buf !== current) {
        reset();
        current = buf;
      }
      for (const rule of rules) if (rule(buf, start, end)) return true;
      return unicodeEscape.next(buf, start) < end;
    },
  };
}

/** How often a conjunction re-sorts its parts by how often each lets a line through. */
const REORDER_EVERY = 1024;

/**
 * A conjunction that tries first the part that has rejected the most lines so far: the
 * order of `and` does not change its answer, and most lines then cost one key search.
 */
function mostSelectiveFirst(parts: RawTest[]): RawTest {
  const tried = new Float64Array(parts.length);
  const passed = new Float64Array(parts.length);
  let order = parts.map((_, i) => i);
  let calls = 0;
  const rate = (i: number) => (tried[i] === 0 ? 0 : passed[i] / tried[i]);
  return (buf, start, end) => {
    if (++calls % REORDER_EVERY === 0) order = [...order].sort((a, b) => rate(a) - rate(b));
    for (const i of order) {
      tried[i]++;
      if (!parts[i](buf, start, end)) return false;
      passed[i]++;
    }
    return true;
  };
}

const passes: RawTest = () => true;
const fails: RawTest = () => false;

const lastName = (field: string) => field.slice(field.lastIndexOf(".") + 1);

/** A key name that JSON can only write one way without `\u`: no quote, backslash, slash or control character. */
function isPlainKey(name: string): boolean {
  if (name === "") return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0x2f) return false;
  }
  return true;
}

/**
 * Occurrences of a byte string, found forward through a buffer: each line asks from its
 * start, and an answer beyond the line is kept for the lines after it, so a needle costs
 * one pass over the buffer however many lines ask.
 */
class Needle {
  private readonly bytes: Buffer;
  private found = -1;
  private from = 0;

  constructor(text: string) {
    this.bytes = Buffer.from(text, "utf8");
  }

  get length(): number {
    return this.bytes.length;
  }

  reset(): void {
    this.found = -1;
    this.from = 0;
  }

  /** The first occurrence at or after `at`, or a position past every line when there is none. */
  next(buf: Buffer, at: number): number {
    // the last search began at or before `at` and found nothing before it: its answer holds
    if (at >= this.from && this.found >= at) return this.found;
    const i = buf.indexOf(this.bytes, at);
    this.from = at;
    this.found = i < 0 ? NONE : i;
    return this.found;
  }
}

const NONE = Number.MAX_SAFE_INTEGER;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const DOT = 0x2e;
const COLON = 0x3a;

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;

type ValueTest = (value: string | number | boolean) => boolean;

/** Whether some `name":` key on the line has a value that passes `test` (or that cannot be read). */
function valueTest(needle: Needle, test: ValueTest): RawTest {
  return (buf, start, end) => {
    for (let at = needle.next(buf, start); at < end; at = needle.next(buf, at + 1)) {
      const before = at > start ? buf[at - 1] : -1;
      if (before !== QUOTE && before !== DOT) continue;
      let p = at + needle.length;
      while (p < end && isSpace(buf[p])) p++;
      if (buf[p] !== COLON) continue;
      p++;
      while (p < end && isSpace(buf[p])) p++;
      if (valuePasses(buf, p, end, test)) return true;
    }
    return false;
  };
}

/** The value at `p`: true when it passes or cannot be read exactly. */
function valuePasses(buf: Buffer, p: number, end: number, test: ValueTest): boolean {
  const c = buf[p];
  if (c === QUOTE) {
    let q = p + 1;
    while (q < end) {
      const b = buf[q];
      if (b === QUOTE) break;
      if (b === BACKSLASH) return true;
      q++;
    }
    if (q >= end) return true;
    return test(buf.toString("utf8", p + 1, q));
  }
  if (c === 0x74 /* t */) return isWord(buf, p, end, "true") ? test(true) : true;
  if (c === 0x66 /* f */) return isWord(buf, p, end, "false") ? test(false) : true;
  if (c === 0x6e /* n */) return !isWord(buf, p, end, "null");
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
    let q = p + 1;
    while (q < end && isNumberByte(buf[q])) q++;
    const n = Number(buf.toString("latin1", p, q));
    return Number.isNaN(n) ? true : test(n);
  }
  // an array, an object, or something malformed: not judged here
  return true;
}

function isWord(buf: Buffer, p: number, end: number, word: string): boolean {
  if (p + word.length > end) return false;
  for (let i = 0; i < word.length; i++) if (buf[p + i] !== word.charCodeAt(i)) return false;
  const after = p + word.length < end ? buf[p + word.length] : -1;
  return !(after >= 0x61 && after <= 0x7a) && !(after >= 0x30 && after <= 0x39);
}

const isNumberByte = (b: number) =>
  (b >= 0x30 && b <= 0x39) || b === 0x2e || b === 0x2d || b === 0x2b || b === 0x65 || b === 0x45;
