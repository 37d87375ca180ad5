/**
 * Instants as `bigint` nanoseconds since the Unix epoch.
 *
 * Elasticsearch keeps `date_nanos` at nanosecond precision and the conformance
 * specs compare at that precision, which a double (53 bits) cannot hold for
 * present-day instants; a bigint keeps every instant exact and orders with `<`.
 */

const NS_PER_MS = 1_000_000n;
const NS_PER_SECOND = 1_000_000_000n;
const NS_PER_DAY = 86_400n * NS_PER_SECOND;

/** The broken-down fields of a local date-time before it is turned into an instant. */
interface DateTimeFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  nano: number;
  /** seconds east of UTC */
  offsetSeconds: number;
}

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/**
 * Reads a timestamp as event data carries it: a JS number is epoch
 * milliseconds, an all-digit string is epoch milliseconds (with up to six
 * fraction digits of sub-millisecond precision), anything else must be an
 * ISO-8601 / RFC 3339 date or date-time. Returns null when it is none of those.
 *
 * A four-digit string such as "2022" is read as epoch milliseconds, not as a
 * year: event data writes epoch millis as strings (`"1"`, `"1234567991"`).
 * Use parseDateWithFormat with a mapping format for year-only dates.
 */
export function parseTimestamp(value: unknown): bigint | null {
  if (typeof value === "number") return millisNumberToNanos(value);
  if (typeof value !== "string") return null;
  return parseEpochDecimal(value, 3, 6) ?? parseIsoDateTime(value);
}

/**
 * ISO-8601 in UTC, e.g. `1970-01-01T00:00:00.000Z`.
 *
 * "ms" truncates to milliseconds (floor, so instants before the epoch round
 * towards the past like Java's Instant) and always prints three digits.
 * "ns" prints the shortest of 3, 6 or 9 fraction digits that loses nothing,
 * so an instant with whole milliseconds prints the same in both precisions
 * (date and date_nanos join keys then compare equal as strings).
 *
 * Years 0000-9999 print as four digits; outside that range the year carries
 * a sign and at least four digits (`+10000-…`, `-0001-…`), as Java does.
 */
export function formatTimestamp(ns: bigint, precision: "ms" | "ns" = "ms"): string {
  const days = floorDiv(ns, NS_PER_DAY);
  const nsOfDay = ns - days * NS_PER_DAY;
  const { year, month, day } = civilFromDays(Number(days));
  const secondOfDay = Number(nsOfDay / NS_PER_SECOND);
  const nano = Number(nsOfDay % NS_PER_SECOND);
  const hh = Math.floor(secondOfDay / 3600);
  const mm = Math.floor(secondOfDay / 60) % 60;
  const ss = secondOfDay % 60;
  return (
    `${formatYear(year)}-${pad(month, 2)}-${pad(day, 2)}` +
    `T${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}.${formatFraction(nano, precision)}Z`
  );
}

/**
 * Java's `ZonedDateTime.toString` of an instant in UTC, which is what a script makes of a date
 * field's value (`string(@timestamp)`): the seconds only when the time has seconds or a fraction,
 * the fraction only when not zero, in 3, 6 or 9 digits (`2020-01-01T00:00Z`, `…T00:00:01.500Z`).
 */
export function formatJavaDateTime(ns: bigint): string {
  const iso = formatTimestamp(ns, "ns"); // …THH:mm:ss.fffZ
  const time = iso.lastIndexOf("T");
  const fraction = iso.slice(time + 9, -1); // ".fff…"
  if (/^\.0+$/.test(fraction)) {
    const seconds = iso.slice(time + 6, time + 9);
    return `${iso.slice(0, time + 6)}${seconds === ":00" ? "" : seconds}Z`;
  }
  return iso;
}

/**
 * Parses a date with an Elasticsearch mapping `format`: built-in names
 * (`strict_date_optional_time`, `epoch_millis`, …) or a Java DateTimeFormatter
 * pattern (`yyyy-MM-dd`, `dd-MM-yyyy`, …), with `||` separating alternatives
 * that are tried in order. A format this module does not understand falls back
 * to parseTimestamp rather than rejecting the value, because refusing every
 * date of a field over an exotic format would be worse than guessing.
 *
 * The result keeps whatever precision the text has; truncating to
 * milliseconds for `date` (as opposed to `date_nanos`) fields is the caller's
 * business, since it depends on the field type, not on the format.
 */
export function parseDateWithFormat(value: string, format: string): bigint | null {
  for (const alternative of format.split("||")) {
    const parser = formatParser(alternative.trim());
    const result = parser === null ? parseTimestamp(value) : parser(value);
    if (result !== null) return result;
  }
  return null;
}

/**
 * The instant as a `date` field holds it: whole milliseconds, the finer digits dropped
 * towards the past (Java's `Instant.toEpochMilli`, also before the epoch).
 */
export function truncateToMillis(ns: bigint): bigint {
  return floorDiv(ns, NS_PER_MS) * NS_PER_MS;
}

const UNIT_NANOS = {
  ms: NS_PER_MS,
  s: NS_PER_SECOND,
  m: 60n * NS_PER_SECOND,
  h: 3600n * NS_PER_SECOND,
  d: NS_PER_DAY,
};

/**
 * A duration such as `maxspan=30s` in nanoseconds. A fractional value is
 * converted from its decimal digits (so 1.5s is exactly 1_500_000_000n) and
 * truncated towards zero to whole nanoseconds.
 */
export function timeUnitToNanos(value: number, unit: "ms" | "s" | "m" | "h" | "d"): bigint {
  if (!Number.isFinite(value)) throw new RangeError(`invalid duration [${value}${unit}]`);
  const factor = UNIT_NANOS[unit];
  if (Number.isInteger(value)) return BigInt(value) * factor;
  const decimal = numberToDecimal(value);
  const scaled = scaleDecimal(decimal, 9, "trunc");
  const nanosPerUnitTimesBillion = scaled * factor;
  return nanosPerUnitTimesBillion / NS_PER_SECOND;
}

// ---------------------------------------------------------------------------
// Epoch numbers
// ---------------------------------------------------------------------------

/** A finite decimal number split into its digits: value = ±digits × 10^(pointPosition − digits.length). */
interface Decimal {
  negative: boolean;
  digits: string;
  /** how many of `digits` are before the decimal point (may be < 0 or > digits.length) */
  pointPosition: number;
}

function millisNumberToNanos(ms: number): bigint | null {
  if (!Number.isFinite(ms)) return null;
  // Integral doubles are exact integers, even beyond 2^53.
  if (Number.isInteger(ms)) return BigInt(ms) * NS_PER_MS;
  // The shortest round-trip decimal of the double is what the JSON text said,
  // so its digits are the sub-millisecond precision the producer meant.
  return scaleDecimal(numberToDecimal(ms), 6, "floor");
}

/** The shortest decimal that round-trips to `x` (JS's own Number-to-String digits). */
function numberToDecimal(x: number): Decimal {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x));
  if (match === null) throw new RangeError(`not a finite number: ${x}`);
  const [, sign, intPart, fracPart = "", exponent = "0"] = match;
  return {
    negative: sign === "-",
    digits: intPart + fracPart,
    pointPosition: intPart.length + Number(exponent),
  };
}

/**
 * value × 10^scale as an integer. "floor" is used for instants (an instant
 * inside a nanosecond belongs to that nanosecond, also before the epoch),
 * "trunc" for durations.
 */
function scaleDecimal(d: Decimal, scale: number, rounding: "floor" | "trunc"): bigint {
  const shift = d.pointPosition - d.digits.length + scale;
  const magnitude = BigInt(d.digits);
  if (shift >= 0) {
    const scaled = magnitude * 10n ** BigInt(shift);
    return d.negative ? -scaled : scaled;
  }
  const divisor = 10n ** BigInt(-shift);
  const quotient = magnitude / divisor;
  if (!d.negative) return quotient;
  const inexact = magnitude % divisor !== 0n;
  return rounding === "floor" && inexact ? -(quotient + 1n) : -quotient;
}

/**
 * An epoch count written in decimal: optional `-`, digits, and at most
 * `maxFractionDigits` fraction digits. `unitDigits` is the power of ten of
 * the unit in seconds' fraction (3 = milliseconds, 0 = seconds). The digits
 * are converted exactly; no float is involved.
 */
function parseEpochDecimal(text: string, unitDigits: number, maxFractionDigits: number): bigint | null {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (match === null) return null;
  const [, sign, intPart, fracPart = ""] = match;
  if (fracPart.length > maxFractionDigits) return null;
  const decimal = { negative: sign === "-", digits: intPart + fracPart, pointPosition: intPart.length };
  return scaleDecimal(decimal, 9 - unitDigits, "floor");
}

// ---------------------------------------------------------------------------
// ISO-8601
// ---------------------------------------------------------------------------

/**
 * The liberal ISO-8601 / RFC 3339 reading used for event data: a full date,
 * optionally followed by `T`, `t` or a space and `HH:mm[:ss[.fffffffff]]` and
 * an optional offset (`Z`, `z`, `±HH`, `±HHmm`, `±HH:mm`). No offset means UTC.
 */
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

function parseIsoDateTime(text: string): bigint | null {
  const m = ISO_DATE_TIME.exec(text);
  if (m === null) return null;
  return fieldsFromMatch(m);
}

/**
 * Elasticsearch's `strict_date_optional_time`: `yyyy[-MM[-dd]]` with exactly
 * four-digit years and two-digit fields, then optionally `T` and
 * `HH[:mm[:ss[.f…]]]` (`,` also separates the fraction) and an offset.
 */
const STRICT_DATE_OPTIONAL_TIME =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?$/;

/**
 * The non-strict `date_optional_time`: the same shape, but month, day and
 * time fields may have one or two digits. Years stay at four digits so that
 * `date_optional_time||epoch_millis` does not read epoch millis as a year.
 */
const DATE_OPTIONAL_TIME =
  /^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2})(?:T(\d{1,2})(?::(\d{1,2})(?::(\d{1,2})(?:[.,](\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?$/;

function parseWith(regex: RegExp): (text: string) => bigint | null {
  return (text) => {
    const m = regex.exec(text);
    return m === null ? null : fieldsFromMatch(m);
  };
}

/** Groups: year, month, day, hour, minute, second, fraction, offset; absent ones take their defaults. */
function fieldsFromMatch(m: RegExpExecArray): bigint | null {
  const offsetSeconds = parseOffset(m[8]);
  if (offsetSeconds === null) return null;
  return instantFromFields({
    year: Number(m[1]),
    month: m[2] === undefined ? 1 : Number(m[2]),
    day: m[3] === undefined ? 1 : Number(m[3]),
    hour: m[4] === undefined ? 0 : Number(m[4]),
    minute: m[5] === undefined ? 0 : Number(m[5]),
    second: m[6] === undefined ? 0 : Number(m[6]),
    nano: m[7] === undefined ? 0 : Number(m[7].padEnd(9, "0")),
    offsetSeconds,
  });
}

/** `Z`/`z`/absent → 0; `±HH`, `±HHmm`, `±HH:mm` within Java's ±18:00 → seconds; else null. */
function parseOffset(text: string | undefined): number | null {
  if (text === undefined || text === "Z" || text === "z") return 0;
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(text);
  if (m === null) return null;
  const hours = Number(m[2]);
  const minutes = m[3] === undefined ? 0 : Number(m[3]);
  if (minutes > 59 || hours * 60 + minutes > 18 * 60) return null;
  const seconds = hours * 3600 + minutes * 60;
  return m[1] === "-" ? -seconds : seconds;
}

function instantFromFields(f: DateTimeFields): bigint | null {
  if (f.month < 1 || f.month > 12) return null;
  if (f.day < 1 || f.day > daysInMonth(f.year, f.month)) return null;
  // 24:00 and leap second 60 are rejected, as Java's strict resolver does.
  if (f.hour > 23 || f.minute > 59 || f.second > 59) return null;
  const days = daysFromCivil(f.year, f.month, f.day);
  const seconds = days * 86_400 + f.hour * 3600 + f.minute * 60 + f.second - f.offsetSeconds;
  return BigInt(seconds) * NS_PER_SECOND + BigInt(f.nano);
}

// ---------------------------------------------------------------------------
// Mapping formats
// ---------------------------------------------------------------------------

type Parser = (text: string) => bigint | null;

const NAMED_FORMATS: Record<string, Parser> = {
  epoch_millis: (t) => parseEpochDecimal(t, 3, 6),
  epoch_second: (t) => parseEpochDecimal(t, 0, 9),
  strict_date_optional_time: parseWith(STRICT_DATE_OPTIONAL_TIME),
  strict_date_optional_time_nanos: parseWith(STRICT_DATE_OPTIONAL_TIME),
  date_optional_time: parseWith(DATE_OPTIONAL_TIME),
};

/** Built-in names that are plain patterns. */
const NAMED_PATTERNS: Record<string, string> = {
  strict_date: "yyyy-MM-dd",
  date: "yyyy-MM-dd",
  basic_date: "yyyyMMdd",
  strict_year_month_day: "yyyy-MM-dd",
  year_month_day: "yyyy-MM-dd",
};

// Mappings repeat the same few formats for every document: compile each once.
const compiledFormats = new Map<string, Parser | null>();

/** The parser for one `||` alternative, or null when the format is not understood. */
function formatParser(format: string): Parser | null {
  let parser = compiledFormats.get(format);
  if (parser === undefined) {
    parser = NAMED_FORMATS[format] ?? compilePattern(stripJavaTimePrefix(NAMED_PATTERNS[format] ?? format));
    compiledFormats.set(format, parser);
  }
  return parser;
}

/** Elasticsearch 6.x/7.x accepted an `8` prefix to ask for java.time patterns; it means nothing now. */
function stripJavaTimePrefix(format: string): string {
  return /^8[^0-9]/.test(format) ? format.slice(1) : format;
}

type PatternToken =
  | { kind: "literal"; text: string }
  | { kind: "field"; field: NumericField; minDigits: number; maxDigits: number; twoDigitYear: boolean }
  | { kind: "fraction"; digits: number }
  | { kind: "offset" };

type NumericField = "year" | "month" | "day" | "hour" | "minute" | "second";

const FIELD_LETTERS: Record<string, NumericField> = {
  y: "year",
  u: "year",
  M: "month",
  d: "day",
  H: "hour",
  m: "minute",
  s: "second",
};

/**
 * Compiles the subset of Java DateTimeFormatter patterns that mappings use:
 * `y`/`u` year, `M` month (numeric), `d`, `H`, `m`, `s`, `S…` fraction,
 * `X`/`x`/`Z` offset, quoted literals and punctuation. A letter repeated n ≥ 2
 * times means exactly n digits (`yy` is a two-digit year in 2000-2099); a
 * single letter means one or two digits (one to four for a year). Anything
 * else (month names, AM/PM, week dates, …) makes the pattern unsupported.
 */
function compilePattern(pattern: string): Parser | null {
  const tokens = tokenizePattern(pattern);
  return tokens === null ? null : (text) => parseWithTokens(tokens, text);
}

function tokenizePattern(pattern: string): PatternToken[] | null {
  const tokens: PatternToken[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === "'") {
      const quoted = readQuoted(pattern, i);
      if (quoted === null) return null;
      tokens.push({ kind: "literal", text: quoted.text });
      i = quoted.end;
      continue;
    }
    if (!/[A-Za-z]/.test(c)) {
      tokens.push({ kind: "literal", text: c });
      i++;
      continue;
    }
    let count = 1;
    while (pattern[i + count] === c) count++;
    const token = letterToken(c, count);
    if (token === null) return null;
    tokens.push(token);
    i += count;
  }
  return tokens.length === 0 ? null : tokens;
}

/** A quoted literal starting at `start`: `''` alone is a quote, and so is `''` inside quotes. */
function readQuoted(pattern: string, start: number): { text: string; end: number } | null {
  let text = "";
  let i = start + 1;
  if (pattern[i] === "'") return { text: "'", end: i + 1 };
  while (i < pattern.length) {
    if (pattern[i] !== "'") text += pattern[i++];
    else if (pattern[i + 1] === "'") {
      text += "'";
      i += 2;
    } else return { text, end: i + 1 };
  }
  return null;
}

function letterToken(letter: string, count: number): PatternToken | null {
  if (letter === "S") return count <= 9 ? { kind: "fraction", digits: count } : null;
  if (letter === "X" || letter === "x" || letter === "Z") return { kind: "offset" };
  const field = FIELD_LETTERS[letter];
  // Three or more letters mean text (`MMM` = "Dec") or are invalid for non-year fields.
  if (field === undefined || (field !== "year" && count > 2)) return null;
  if (count > 1)
    return {
      kind: "field",
      field,
      minDigits: count,
      maxDigits: count,
      twoDigitYear: field === "year" && count === 2,
    };
  return { kind: "field", field, minDigits: 1, maxDigits: field === "year" ? 4 : 2, twoDigitYear: false };
}

function parseWithTokens(tokens: PatternToken[], text: string): bigint | null {
  const f: DateTimeFields = {
    year: 1970,
    month: 1,
    day: 1,
    hour: 0,
    minute: 0,
    second: 0,
    nano: 0,
    offsetSeconds: 0,
  };
  let pos = 0;
  for (const token of tokens) {
    if (token.kind === "literal") {
      if (!text.startsWith(token.text, pos)) return null;
      pos += token.text.length;
    } else if (token.kind === "offset") {
      const m = /^(?:Z|[+-]\d{2}(?::?\d{2})?)/.exec(text.slice(pos));
      const seconds = m === null ? null : parseOffset(m[0]);
      if (m === null || seconds === null) return null;
      f.offsetSeconds = seconds;
      pos += m[0].length;
    } else {
      const min = token.kind === "fraction" ? token.digits : token.minDigits;
      const max = token.kind === "fraction" ? token.digits : token.maxDigits;
      const digits = readDigits(text, pos, max);
      if (digits.length < min) return null;
      pos += digits.length;
      if (token.kind === "fraction") f.nano = Number(digits.padEnd(9, "0"));
      else f[token.field] = token.twoDigitYear ? 2000 + Number(digits) : Number(digits);
    }
  }
  return pos === text.length ? instantFromFields(f) : null;
}

function readDigits(text: string, from: number, max: number): string {
  let end = from;
  while (end < text.length && end - from < max && text[end] >= "0" && text[end] <= "9") end++;
  return text.slice(from, end);
}

// ---------------------------------------------------------------------------
// Proleptic Gregorian calendar arithmetic
// ---------------------------------------------------------------------------

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/*
 * Days since 1970-01-01 from a civil date and back. Both shift the year to
 * start in March so that the leap day is the last day of a "year", then count
 * whole 400-year cycles (146097 days each) plus the position inside one.
 * 719468 is the number of days from 0000-03-01 to 1970-01-01.
 */

function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const monthFromMarch = month > 2 ? month - 3 : month + 9;
  const dayOfYear = Math.floor((153 * monthFromMarch + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day };
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

function formatYear(year: number): string {
  if (year > 9999) return `+${year}`;
  if (year < 0) return `-${pad(-year, 4)}`;
  return pad(year, 4);
}

function formatFraction(nano: number, precision: "ms" | "ns"): string {
  const nine = pad(nano, 9);
  if (precision === "ms") return nine.slice(0, 3);
  if (nano % 1_000_000 === 0) return nine.slice(0, 3);
  if (nano % 1_000 === 0) return nine.slice(0, 6);
  return nine;
}
