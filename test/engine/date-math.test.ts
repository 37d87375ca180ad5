import assert from "node:assert/strict";
import { test } from "node:test";
import { DateMathError, parseDateMath, parseDuration } from "../../src/engine/date-math.ts";
import { formatTimestamp, parseTimestamp } from "../../src/eql/timestamp.ts";

const now = parseTimestamp("2026-11-28T10:17:42.500Z")!;
const at = (expr: string, roundUp = false) => formatTimestamp(parseDateMath(expr, now, roundUp));

test("now with offsets in every unit", () => {
  assert.equal(at("now"), "2026-11-28T10:17:42.500Z");
  assert.equal(at("now-6m"), "2026-11-28T10:11:42.500Z");
  assert.equal(at("now-9m"), "2026-11-28T10:08:42.500Z");
  assert.equal(at("now+1h-30s"), "2026-11-28T11:17:12.500Z");
  assert.equal(at("now-1d"), "2026-11-27T10:17:42.500Z");
  assert.equal(at("now-1w"), "2026-11-21T10:17:42.500Z");
  assert.equal(at("now-1M"), "2026-10-28T10:17:42.500Z");
  assert.equal(at("now-1y"), "2025-11-28T10:17:42.500Z");
  assert.equal(at("now-250ms"), "2026-11-28T10:17:42.250Z");
});

test("rounding down, and up for upper bounds", () => {
  assert.equal(at("now/d"), "2026-11-28T00:00:00.000Z");
  assert.equal(at("now/d", true), "2026-11-28T23:59:59.999Z");
  assert.equal(at("now-1d/d"), "2026-11-27T00:00:00.000Z");
  assert.equal(at("now/h"), "2026-11-28T10:00:00.000Z");
  assert.equal(at("now/w"), "2026-11-23T00:00:00.000Z");
  assert.equal(at("now/M"), "2026-11-01T00:00:00.000Z");
});

test("absolute anchors", () => {
  assert.equal(at("2026-01-01T00:00:00Z"), "2026-01-01T00:00:00.000Z");
  assert.equal(at("2026-01-31||+1M"), "2026-02-28T00:00:00.000Z");
  assert.equal(at("2024-02-29||+1y"), "2025-02-28T00:00:00.000Z");
  assert.equal(at("2026-01-01||-1h"), "2025-12-31T23:00:00.000Z");
});

test("errors say what was expected", () => {
  assert.throws(() => parseDateMath("yesterday", now), DateMathError);
  assert.throws(() => parseDateMath("now-6x", now), /expected \+N<unit>/);
});

test("durations", () => {
  assert.equal(parseDuration("5m"), 300_000_000_000n);
  assert.equal(parseDuration("1h"), 3_600_000_000_000n);
  assert.equal(parseDuration("250ms"), 250_000_000n);
  assert.throws(() => parseDuration("5 minutes"), DateMathError);
});
