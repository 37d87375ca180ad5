import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  formatJavaDateTime,
  formatTimestamp,
  parseDateWithFormat,
  parseTimestamp,
  timeUnitToNanos,
  truncateToMillis,
} from "../../src/eql/timestamp.ts";

const MS = 1_000_000n;
const S = 1_000_000_000n;

test("numbers are epoch milliseconds", () => {
  assert.equal(parseTimestamp(0), 0n);
  assert.equal(parseTimestamp(1516116808349), 1516116808349n * MS);
  assert.equal(parseTimestamp(-1), -MS);
  assert.equal(parseTimestamp(1.5), 1_500_000n);
  assert.equal(parseTimestamp(-1.5), -1_500_000n);
  assert.equal(parseTimestamp(131485996510.125), 131485996510125000n);
  // the digits are those of the double's shortest decimal form, not of the source text
  const rounded = Number("131485996510.12345");
  assert.equal(String(rounded), "131485996510.12344");
  assert.equal(parseTimestamp(rounded), 131485996510123440n);
  // below a nanosecond: floored to the nanosecond that contains it
  assert.equal(parseTimestamp(1e-7), 0n);
  assert.equal(parseTimestamp(-1e-7), -1n);
  // integral doubles beyond 2^53 are still exact integers
  assert.equal(parseTimestamp(2 ** 60), 2n ** 60n * MS);
});

test("non-finite numbers and other types are rejected", () => {
  for (const v of [
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    null,
    undefined,
    true,
    {},
    [],
    5n,
  ]) {
    assert.equal(parseTimestamp(v), null, String(v));
  }
});

test("numeric strings are epoch milliseconds with exact sub-millisecond digits", () => {
  assert.equal(parseTimestamp("1"), MS);
  assert.equal(parseTimestamp("1234567991"), 1234567991n * MS);
  assert.equal(parseTimestamp("131485996510"), 131485996510n * MS);
  assert.equal(parseTimestamp("131485996510.123456"), 131485996510123456n);
  assert.equal(parseTimestamp("131485996510.1"), 131485996510100000n);
  assert.equal(parseTimestamp("-1"), -MS);
  assert.equal(parseTimestamp("-0.5"), -500_000n);
  assert.equal(parseTimestamp("0"), 0n);
  // far beyond what a double holds exactly
  assert.equal(parseTimestamp("9007199254740993"), 9007199254740993n * MS);
});

test("malformed numeric strings are rejected", () => {
  for (const s of ["", "-", "1.", ".5", "1.1234567", "+1", " 1", "1 ", "1e3", "0x10", "1,5", "--1"]) {
    assert.equal(parseTimestamp(s), null, JSON.stringify(s));
  }
});

test("ISO-8601 date-times", () => {
  assert.equal(parseTimestamp("2017-08-30T20:47:33Z"), 1504126053n * S);
  assert.equal(parseTimestamp("1970-01-01T00:00:00Z"), 0n);
  assert.equal(parseTimestamp("1970-01-01T00:00:00.001Z"), MS);
  assert.equal(parseTimestamp("2022-05-04T12:00:00.001Z"), 1651665600001n * MS);
  assert.equal(parseTimestamp("1974-03-03T02:22:54.294365140Z"), 131509374294365140n);
  assert.equal(parseTimestamp("1974-03-03T02:22:54.29436514Z"), 131509374294365140n);
  assert.equal(parseTimestamp("1970-01-01T00:00:00.000000001Z"), 1n);
  assert.equal(parseTimestamp("1970-01-01T00:00:00.5Z"), 500n * MS);
});

test("ISO-8601 offsets, separators and short forms", () => {
  const noon = parseTimestamp("2022-05-04T12:00:00Z");
  assert.equal(parseTimestamp("2022-05-04T14:00:00+02:00"), noon);
  assert.equal(parseTimestamp("2022-05-04T14:00:00+0200"), noon);
  assert.equal(parseTimestamp("2022-05-04T14:00:00+02"), noon);
  assert.equal(parseTimestamp("2022-05-04T06:30:00-0530"), noon);
  assert.equal(parseTimestamp("2022-05-04T06:30:00-05:30"), noon);
  assert.equal(parseTimestamp("2022-05-04T12:00:00"), noon);
  assert.equal(parseTimestamp("2022-05-04T12:00"), noon);
  assert.equal(parseTimestamp("2022-05-04T12:00Z"), noon);
  assert.equal(parseTimestamp("2022-05-04t12:00:00z"), noon);
  assert.equal(parseTimestamp("2022-05-04 12:00:00"), noon);
  assert.equal(parseTimestamp("2022-05-04T14:00:00+18:00"), noon! - 16n * 3600n * S);
  assert.equal(parseTimestamp("2022-05-04"), 1651622400n * S);
});

test("ISO-8601 range validation", () => {
  assert.notEqual(parseTimestamp("2020-02-29"), null);
  assert.notEqual(parseTimestamp("2000-02-29"), null);
  assert.notEqual(parseTimestamp("2022-12-31T23:59:59.999999999Z"), null);
  assert.notEqual(parseTimestamp("2022-04-30"), null);
  for (const s of [
    "2021-02-29",
    "1900-02-29",
    "2020-02-30",
    "2022-04-31",
    "2022-00-10",
    "2022-13-01",
    "2022-01-00",
    "2022-01-32",
    "2022-01-01T24:00:00Z",
    "2022-01-01T23:60:00Z",
    "2022-01-01T23:59:60Z",
    "2022-01-01T12:00:00+19:00",
    "2022-01-01T12:00:00+18:01",
    "2022-01-01T12:00:00+05:60",
  ]) {
    assert.equal(parseTimestamp(s), null, s);
  }
});

test("malformed ISO-8601 is rejected", () => {
  for (const s of [
    "2022-5-4",
    "22-05-04",
    "2022/05/04",
    "2022-05-04T",
    "2022-05-04T12",
    "2022-05-04T12:00:00.",
    "2022-05-04T12:00:00.1234567890Z",
    "2022-05-04T12:00:00ZZ",
    "2022-05-04T12:00:00+2",
    "2022-05-04T12:00:00+02:",
    "2022-05-04Z",
    " 2022-05-04",
    "2022-05-04 ",
    "2022-05-04TT12:00",
    "May 4, 2022",
    "2022-05-04T12:00:00 Z",
  ]) {
    assert.equal(parseTimestamp(s), null, s);
  }
});

test("formatJavaDateTime prints as ZonedDateTime.toString: no zero seconds, no zero fraction", () => {
  assert.equal(formatJavaDateTime(0n), "1970-01-01T00:00Z");
  assert.equal(formatJavaDateTime(1_000_000_000n), "1970-01-01T00:00:01Z");
  assert.equal(formatJavaDateTime(1_000_000n), "1970-01-01T00:00:00.001Z");
  assert.equal(formatJavaDateTime(1_000n), "1970-01-01T00:00:00.000001Z");
  assert.equal(formatJavaDateTime(1n), "1970-01-01T00:00:00.000000001Z");
  assert.equal(formatJavaDateTime(-1_000_000n), "1969-12-31T23:59:59.999Z");
  assert.equal(formatJavaDateTime(253402300800n * 1_000_000_000n), "+10000-01-01T00:00Z");
});

test("formatTimestamp at millisecond precision", () => {
  assert.equal(formatTimestamp(0n), "1970-01-01T00:00:00.000Z");
  assert.equal(formatTimestamp(0n, "ms"), "1970-01-01T00:00:00.000Z");
  assert.equal(formatTimestamp(1504126053n * S), "2017-08-30T20:47:33.000Z");
  assert.equal(formatTimestamp(131509374294365140n), "1974-03-03T02:22:54.294Z");
  // before the epoch, sub-millisecond parts round towards the past
  assert.equal(formatTimestamp(-1n), "1969-12-31T23:59:59.999Z");
  assert.equal(formatTimestamp(-MS), "1969-12-31T23:59:59.999Z");
  assert.equal(formatTimestamp(-MS - 1n), "1969-12-31T23:59:59.998Z");
  assert.equal(formatTimestamp(parseTimestamp("2020-02-29T23:59:59.999Z")!), "2020-02-29T23:59:59.999Z");
});

test("formatTimestamp at nanosecond precision uses the shortest of 3, 6 or 9 digits", () => {
  assert.equal(formatTimestamp(0n, "ns"), "1970-01-01T00:00:00.000Z");
  assert.equal(formatTimestamp(MS, "ns"), "1970-01-01T00:00:00.001Z");
  assert.equal(formatTimestamp(1000n, "ns"), "1970-01-01T00:00:00.000001Z");
  assert.equal(formatTimestamp(1n, "ns"), "1970-01-01T00:00:00.000000001Z");
  assert.equal(formatTimestamp(131509374294365140n, "ns"), "1974-03-03T02:22:54.294365140Z");
  assert.equal(formatTimestamp(-1n, "ns"), "1969-12-31T23:59:59.999999999Z");
});

test("formatTimestamp covers years 0000-9999 and signs years outside", () => {
  assert.equal(formatTimestamp(parseTimestamp("0000-01-01T00:00:00Z")!), "0000-01-01T00:00:00.000Z");
  assert.equal(formatTimestamp(parseTimestamp("0000-02-29T00:00:00Z")!), "0000-02-29T00:00:00.000Z");
  assert.equal(
    formatTimestamp(parseTimestamp("9999-12-31T23:59:59.999999999Z")!, "ns"),
    "9999-12-31T23:59:59.999999999Z",
  );
  assert.equal(formatTimestamp(parseTimestamp("0000-01-01T00:00:00Z")! - 1n), "-0001-12-31T23:59:59.999Z");
  assert.equal(
    formatTimestamp(parseTimestamp("9999-12-31T23:59:59.999999999Z")! + 1n),
    "+10000-01-01T00:00:00.000Z",
  );
});

test("formatTimestamp agrees with Date for millisecond instants", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: Date.parse("0000-01-01T00:00:00Z"), max: Date.parse("9999-12-31T23:59:59.999Z") }),
      (ms) => {
        assert.equal(formatTimestamp(BigInt(ms) * MS), new Date(ms).toISOString());
      },
    ),
  );
});

test("parse(format(ns)) is the identity", () => {
  const lo = parseTimestamp("0000-01-01T00:00:00Z")!;
  const hi = parseTimestamp("9999-12-31T23:59:59.999999999Z")!;
  fc.assert(
    fc.property(fc.bigInt({ min: lo, max: hi }), (ns) => {
      assert.equal(parseTimestamp(formatTimestamp(ns, "ns")), ns);
      assert.equal(parseTimestamp(formatTimestamp(ns, "ms")), ns - (((ns % MS) + MS) % MS));
    }),
  );
});

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const daysIn = (y: number, m: number): number =>
  m === 2 ? (isLeap(y) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;
const two = (n: number): string => String(n).padStart(2, "0");

const isoInput = fc
  .record({
    year: fc.integer({ min: 0, max: 9999 }),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 31 }),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.integer({ min: 0, max: 59 }),
    second: fc.integer({ min: 0, max: 59 }),
    fraction: fc.stringMatching(/^\d{0,9}$/),
    separator: fc.constantFrom("T", "t", " "),
    offsetMinutes: fc.option(fc.integer({ min: -18 * 60, max: 18 * 60 })),
    zulu: fc.constantFrom("Z", "z", ""),
    colon: fc.boolean(),
  })
  .map((r) => ({ ...r, day: Math.min(r.day, daysIn(r.year, r.month)) }));

test("ISO strings round-trip through parse and format, matching a Date-based oracle", () => {
  fc.assert(
    fc.property(isoInput, (r) => {
      let offset: string = r.zulu;
      if (r.offsetMinutes !== null) {
        const abs = Math.abs(r.offsetMinutes);
        offset = `${r.offsetMinutes < 0 ? "-" : "+"}${two(Math.floor(abs / 60))}${r.colon ? ":" : ""}${two(abs % 60)}`;
      }
      const fraction = r.fraction === "" ? "" : `.${r.fraction}`;
      const text =
        `${String(r.year).padStart(4, "0")}-${two(r.month)}-${two(r.day)}` +
        `${r.separator}${two(r.hour)}:${two(r.minute)}:${two(r.second)}${fraction}${offset}`;
      const ns = parseTimestamp(text);
      assert.notEqual(ns, null, text);

      const oracle = new Date(0);
      oracle.setUTCFullYear(r.year, r.month - 1, r.day);
      oracle.setUTCHours(r.hour, r.minute, r.second, 0);
      const expected =
        BigInt(oracle.getTime() - (r.offsetMinutes ?? 0) * 60_000) * MS +
        BigInt(r.fraction.padEnd(9, "0") || "0");
      assert.equal(ns, expected, text);
      // An offset can move year 0000 or 9999 out of four digits: such a year prints signed, as
      // Java prints it, and event data is read with four-digit years only.
      const formatted = formatTimestamp(ns!, "ns");
      if (r.year === 0 || r.year === 9999) assert.match(formatted, /^(?:\d{4}|-\d{4}|\+\d{5})-/, text);
      if (/^\d{4}-/.test(formatted)) assert.equal(parseTimestamp(formatted), ns, text);
      else assert.ok(r.year === 0 || r.year === 9999, `${text} printed as ${formatted}`);
    }),
  );
});

test("parseDateWithFormat: Java patterns", () => {
  const dec17 = 1671235200n * S;
  assert.equal(parseDateWithFormat("17-12-2022", "dd-MM-yyyy"), dec17);
  assert.equal(parseDateWithFormat("2022-12-17", "yyyy-MM-dd"), dec17);
  assert.equal(parseDateWithFormat("2022-12-17", "uuuu-MM-dd"), dec17);
  assert.equal(parseDateWithFormat("20221217", "yyyyMMdd"), dec17);
  assert.equal(parseDateWithFormat("2022-12-17T01:02:03", "yyyy-MM-dd'T'HH:mm:ss"), dec17 + 3723n * S);
  assert.equal(
    parseDateWithFormat("2022-12-17 01:02:03.5", "yyyy-MM-dd HH:mm:ss.S"),
    dec17 + 3723n * S + 500n * MS,
  );
  assert.equal(
    parseDateWithFormat("2022-12-17T03:02:03+02:00", "yyyy-MM-dd'T'HH:mm:ssXXX"),
    dec17 + 3723n * S,
  );
  assert.equal(parseDateWithFormat("17/12/22", "dd/MM/yy"), dec17);
  assert.equal(parseDateWithFormat("7-1-2022", "d-M-yyyy"), 1641513600n * S);
  assert.equal(parseDateWithFormat("it's 2022", "'it''s' yyyy"), parseTimestamp("2022-01-01"));
  assert.equal(parseDateWithFormat("'2022", "''yyyy"), parseTimestamp("2022-01-01"));
  assert.equal(parseDateWithFormat("2022", "'unterminated yyyy"), 2022n * MS); // not a pattern: falls back
  assert.equal(parseDateWithFormat("2022-12-17", "8yyyy-MM-dd"), dec17);
  assert.equal(parseDateWithFormat("2022-12-17", "strict_date"), dec17);
  assert.equal(parseDateWithFormat("20221217", "basic_date"), dec17);
});

test("parseDateWithFormat: patterns reject what does not match", () => {
  assert.equal(parseDateWithFormat("2022-12-17", "dd-MM-yyyy"), null);
  assert.equal(parseDateWithFormat("17-12-2022", "yyyy-MM-dd"), null);
  assert.equal(parseDateWithFormat("2022-12-17x", "yyyy-MM-dd"), null);
  assert.equal(parseDateWithFormat("2022-2-17", "yyyy-MM-dd"), null);
  assert.equal(parseDateWithFormat("31-02-2022", "dd-MM-yyyy"), null);
  assert.equal(parseDateWithFormat("", "yyyy-MM-dd"), null);
});

test("parseDateWithFormat: epoch formats", () => {
  assert.equal(parseDateWithFormat("1671235200000", "epoch_millis"), 1671235200n * S);
  assert.equal(parseDateWithFormat("-1", "epoch_millis"), -MS);
  assert.equal(parseDateWithFormat("1.5", "epoch_millis"), 1_500_000n);
  assert.equal(parseDateWithFormat("1671235200", "epoch_second"), 1671235200n * S);
  assert.equal(parseDateWithFormat("1.000000001", "epoch_second"), S + 1n);
  assert.equal(parseDateWithFormat("-1.5", "epoch_second"), -1_500_000_000n);
  assert.equal(parseDateWithFormat("2022-12-17", "epoch_millis"), null);
  assert.equal(parseDateWithFormat("1e3", "epoch_second"), null);
});

test("parseDateWithFormat: strict_date_optional_time and friends", () => {
  const f = "strict_date_optional_time";
  assert.equal(parseDateWithFormat("2022-05-04T12:00:00.001Z", f), 1651665600001n * MS);
  assert.equal(parseDateWithFormat("2022-05-04", f), 1651622400n * S);
  assert.equal(parseDateWithFormat("2022-05", f), parseTimestamp("2022-05-01"));
  assert.equal(parseDateWithFormat("2022", f), parseTimestamp("2022-01-01"));
  assert.equal(parseDateWithFormat("2022-05-04T12", f), parseTimestamp("2022-05-04T12:00Z"));
  assert.equal(parseDateWithFormat("2022-05-04T12:00:00,5Z", f), parseTimestamp("2022-05-04T12:00:00.5Z"));
  assert.equal(parseDateWithFormat("2022-05-04T14:00:00+02:00", f), parseTimestamp("2022-05-04T12:00:00Z"));
  assert.equal(
    parseDateWithFormat("1974-03-03T02:22:54.294365140Z", "strict_date_optional_time_nanos"),
    131509374294365140n,
  );
  // strict: two-digit fields, upper-case T, no space
  assert.equal(parseDateWithFormat("2022-5-4", f), null);
  assert.equal(parseDateWithFormat("2022-05-04 12:00", f), null);
  assert.equal(parseDateWithFormat("2022-05-04t12:00", f), null);
  assert.equal(parseDateWithFormat("1", f), null);
  assert.equal(parseDateWithFormat("2022-02-30", f), null);
  // lenient date_optional_time accepts one-digit fields
  assert.equal(
    parseDateWithFormat("2022-5-4T1:2:3Z", "date_optional_time"),
    parseTimestamp("2022-05-04T01:02:03Z"),
  );
  assert.equal(
    parseDateWithFormat("2022-05-04T12:00:00Z", "date_optional_time"),
    parseTimestamp("2022-05-04T12:00:00Z"),
  );
});

test("parseDateWithFormat: alternatives are tried in order", () => {
  const f = "strict_date_optional_time||epoch_millis";
  assert.equal(parseDateWithFormat("1", f), MS);
  assert.equal(parseDateWithFormat("1234567991", f), 1234567991n * MS);
  // a four-digit number is a year to the first alternative
  assert.equal(parseDateWithFormat("2022", f), parseTimestamp("2022-01-01"));
  assert.equal(parseDateWithFormat("2022", "epoch_millis||strict_date_optional_time"), 2022n * MS);
  assert.equal(parseDateWithFormat("17-12-2022", "yyyy-MM-dd || dd-MM-yyyy"), 1671235200n * S);
  assert.equal(parseDateWithFormat("nope", f), null);
});

test("parseDateWithFormat: unknown formats fall back to parseTimestamp", () => {
  assert.equal(
    parseDateWithFormat("2022-05-04T12:00:00Z", "strict_weekyear_week"),
    parseTimestamp("2022-05-04T12:00:00Z"),
  );
  assert.equal(parseDateWithFormat("1234", "MMM dd yyyy"), 1234n * MS);
  assert.equal(parseDateWithFormat("garbage", "no_such_format"), null);
  assert.equal(parseDateWithFormat("17-12-2022", "no_such_format||dd-MM-yyyy"), 1671235200n * S);
});

test("timeUnitToNanos", () => {
  assert.equal(timeUnitToNanos(1, "ms"), MS);
  assert.equal(timeUnitToNanos(30, "s"), 30n * S);
  assert.equal(timeUnitToNanos(5, "m"), 300n * S);
  assert.equal(timeUnitToNanos(2, "h"), 7200n * S);
  assert.equal(timeUnitToNanos(1, "d"), 86400n * S);
  assert.equal(timeUnitToNanos(0, "d"), 0n);
  assert.equal(timeUnitToNanos(1.5, "s"), 1_500_000_000n);
  assert.equal(timeUnitToNanos(0.1, "ms"), 100_000n);
  assert.equal(timeUnitToNanos(-2, "s"), -2n * S);
  assert.throws(() => timeUnitToNanos(Number.NaN, "s"), RangeError);
  assert.throws(() => timeUnitToNanos(Number.POSITIVE_INFINITY, "s"), RangeError);
});

test("truncateToMillis drops sub-millisecond digits towards the past, as Instant.toEpochMilli", () => {
  assert.equal(truncateToMillis(1_999_999n), 1_000_000n);
  assert.equal(truncateToMillis(2_000_000n), 2_000_000n);
  assert.equal(truncateToMillis(-1n), -1_000_000n);
});
