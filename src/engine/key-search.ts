import type { Requirement } from "../eql/requirement.ts";
import type { LineFilter } from "../io/line-filter.ts";
import { isPlainField, readArray, readScalar, type Scalar } from "./line-scan.ts";
import { requirementTest } from "./line-test.ts";

/**
 * The prefilter of a few rules, for every line alike: each key name a requirement tests is
 * searched for in the raw text (the byte search runs at memory speed), and a field condition
 * holds when some key ending in the field's last name (`"name"` or `"process.name"`),
 * followed by `:`, has a value that passes the rule's own per-value test — the very test the
 * evaluator runs, applied to the value read from the text (each element of an array of
 * scalars). Keys of other fields with the same last name only make it pass more. Its cost
 * grows with the number of names, not with the structure of the line: the choice for a
 * small rule set.
 *
 * It must never lose a match, so whatever it cannot read exactly passes: a value that is an
 * object or holds one, a string with an escape in it, a malformed token, and any line with a
 * `\u` escape (which could spell a key differently).
 */
export function keySearchFilter(requirements: Iterable<Requirement>): LineFilter | undefined {
  const searches = new Map<string, KeySearch>();
  const searchFor = (name: string) => {
    let search = searches.get(name);
    if (!search) {
      search = new KeySearch(name);
      searches.set(name, search);
    }
    return search;
  };
  const rules: RawTest[] = [];
  for (const requirement of requirements) {
    if (requirement.kind === "always") return undefined;
    rules.push(compile(requirement, searchFor));
    if (searches.size > MAX_NAMES) return undefined;
  }
  if (rules.length === 0) return undefined;
  const unicodeEscape = new ForwardSearch("\\u");
  let current: Buffer | undefined;
  const reset = () => {
    current = undefined;
    unicodeEscape.reset();
    for (const s of searches.values()) s.reset();
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

/** Beyond this many distinct key names the searches cost more than they save. */
const MAX_NAMES = 48;

type RawTest = (buf: Buffer, start: number, end: number) => boolean;

function compile(r: Requirement, searchFor: (name: string) => KeySearch): RawTest {
  return requirementTest<Buffer, number, number>(r, (query) => {
    const name = lastName(query.field);
    if (!isPlainField(name)) return undefined;
    const search = searchFor(name);
    const test = query.test;
    return (buf, start, end) => search.some(buf, start, end, test);
  });
}

const lastName = (field: string) => field.slice(field.lastIndexOf(".") + 1);

/**
 * Occurrences of a byte string, found forward through a buffer: each line asks from its
 * start, and an answer beyond the line is kept for the lines after it, so a search costs
 * one pass over the buffer however many lines ask.
 */
class ForwardSearch {
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
    this.found = i < 0 ? NOT_FOUND : i;
    return this.found;
  }
}

const NOT_FOUND = Number.MAX_SAFE_INTEGER;

/**
 * The values of every key of one name on a line (`"name":` and `"….name":`), read once per
 * line however many rules ask, and whether some value could not be read.
 */
class KeySearch {
  private readonly needle: ForwardSearch;
  private buf: Buffer | undefined;
  private start = -1;
  private readonly values: Scalar[] = [];
  private unreadable = false;

  constructor(name: string) {
    this.needle = new ForwardSearch(`${name}"`);
  }

  reset(): void {
    this.needle.reset();
    this.buf = undefined;
    this.start = -1;
  }

  /** Whether some value of the key on the line passes `test`, or some value cannot be read. */
  some(buf: Buffer, start: number, end: number, test: (value: Scalar) => boolean): boolean {
    if (buf !== this.buf || start !== this.start) this.read(buf, start, end);
    if (this.unreadable) return true;
    const values = this.values;
    for (let i = 0; i < values.length; i++) if (test(values[i])) return true;
    return false;
  }

  private read(buf: Buffer, start: number, end: number): void {
    this.buf = buf;
    this.start = start;
    this.values.length = 0;
    this.unreadable = false;
    const needle = this.needle;
    for (let at = needle.next(buf, start); at < end; at = needle.next(buf, at + 1)) {
      const before = at > start ? buf[at - 1] : -1;
      if (before !== QUOTE && before !== DOT) continue;
      let p = at + needle.length;
      while (p < end && isSpace(buf[p])) p++;
      if (buf[p] !== COLON) continue;
      p++;
      while (p < end && isSpace(buf[p])) p++;
      const after =
        buf[p] === LBRACKET ? readArray(buf, p, end, this.values) : readScalar(buf, p, end, this.values);
      if (after < 0) {
        this.unreadable = true;
        return;
      }
    }
  }
}

const QUOTE = 0x22;
const DOT = 0x2e;
const COLON = 0x3a;
const LBRACKET = 0x5b;

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
