import assert from "node:assert/strict";
import { test } from "node:test";
import { compileWindowTime, replayRuns, ruleRun } from "../../src/engine/window.ts";
import { formatTimestamp, parseTimestamp } from "../../src/eql/timestamp.ts";

const t = (iso: string) => parseTimestamp(iso)!;

test("the window time is timestamp_override, falling back to @timestamp unless disabled", () => {
  const override = compileWindowTime({ timestamp_override: "event.ingested" });
  assert.equal(
    override({ "@timestamp": "2026-01-01T00:00:00Z", event: { ingested: "2026-01-01T00:05:00Z" } }),
    t("2026-01-01T00:05:00Z"),
  );
  assert.equal(override({ "@timestamp": "2026-01-01T00:00:00Z" }), t("2026-01-01T00:00:00Z"));
  const strict = compileWindowTime({
    timestamp_override: "event.ingested",
    timestamp_override_fallback_disabled: true,
  });
  assert.equal(strict({ "@timestamp": "2026-01-01T00:00:00Z" }), null);
  assert.equal(compileWindowTime({})({ "@timestamp": 1000 }), 1_000_000_000n);
});

test("a run searches [from, to] evaluated at its start; the defaults are now-6m .. now", () => {
  const run = ruleRun({}, t("2026-01-01T00:10:00Z"));
  assert.equal(formatTimestamp(run.from), "2026-01-01T00:04:00.000Z");
  assert.equal(formatTimestamp(run.to), "2026-01-01T00:10:00.000Z");
});

test("a replay runs every interval up to the end, windows overlapping by the look-back", () => {
  const runs = replayRuns(
    { from: "now-9m", interval: "5m" },
    t("2026-01-01T00:00:00Z"),
    t("2026-01-01T00:20:00Z"),
  );
  assert.deepEqual(
    runs.map((r) => [formatTimestamp(r.from), formatTimestamp(r.to)]),
    [
      ["2025-12-31T23:56:00.000Z", "2026-01-01T00:05:00.000Z"],
      ["2026-01-01T00:01:00.000Z", "2026-01-01T00:10:00.000Z"],
      ["2026-01-01T00:06:00.000Z", "2026-01-01T00:15:00.000Z"],
      ["2026-01-01T00:11:00.000Z", "2026-01-01T00:20:00.000Z"],
    ],
  );
  assert.throws(
    () => replayRuns({ interval: "1s" }, t("2000-01-01T00:00:00Z"), t("2026-01-01T00:00:00Z"), 1000),
    /narrow --from\/--to/,
  );
});
