import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "node:test";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { DetectionEngine } from "../../src/engine/detection-engine.ts";
import { eventsThroughWorkers, type InputEvent } from "../../src/engine/match-workers.ts";
import { createEventReader, type DecodeProblem, type ReadStats } from "../../src/io/event-source.ts";
import { readAhead } from "../../src/io/read-ahead.ts";
import { loadRules } from "../../src/rules/load-rules.ts";
import { buildRuleSet } from "../../src/rules/rule-set.ts";
import { simulate } from "../../src/sim/index.ts";

/**
 * Worker threads must change nothing but speed: the same alerts, in the same order, the same
 * problems at the same lines, the same count of events — whatever the block size, with the
 * prefilter on or off.
 */

const dir = mkdtempSync(join(tmpdir(), "eqlite-workers-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const ruleSet = buildRuleSet((await loadRules([join(import.meta.dirname, "../../rules")])).rules);
const now = new Date("2026-09-01T00:00:00Z");
const stats = (): ReadStats => ({ events: 0, skipped: 0, problems: 0, bytes: 0, inputBytes: 0 });

async function run(input: AsyncIterable<InputEvent>) {
  const alerts: string[] = [];
  const engine = new DetectionEngine(ruleSet, {
    mode: "batch",
    now,
    onAlert: (alert) => alerts.push(alert["kibana.alert.uuid"] as string),
  });
  for await (const item of input) {
    if ("rules" in item) engine.pushSelected(item);
    else engine.push(item.event, item.origin, item.text);
  }
  engine.finish();
  return alerts;
}

async function* mainThread(path: string, onProblem: (p: DecodeProblem) => void, s: ReadStats) {
  const reader = createEventReader([path], { onProblem });
  for await (const { event, source, line } of reader.events) yield { event, origin: { source, line } };
  s.events = reader.stats.events;
}

/** Simulated telemetry with the odd lines a real file has: malformed, blank, escaped, too long. */
function input(seed: number, path: string): void {
  const lines = [...simulate({ events: 600, seed, attackRate: 0.05 })];
  lines.splice(7, 0, "{not json");
  lines.splice(50, 0, "");
  lines.splice(90, 0, lines[89].replace(/"process"/, '"\\u0070rocess"'));
  lines.splice(120, 0, `{"message":"${"x".repeat(70_000)}"}`);
  lines.splice(300, 0, "[1, 2]");
  writeFileSync(path, `${lines.join("\n")}\n`);
}

test("with workers: the same alerts in the same order, the same problems and counts", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 1000 }),
      fc.integer({ min: 512, max: 200_000 }),
      fc.integer({ min: 1, max: 3 }),
      fc.boolean(),
      async (seed, blockBytes, workers, prefilter) => {
        const path = join(dir, `events-${seed}.ndjson`);
        input(seed, path);
        const expectedProblems: string[] = [];
        const expectedStats = stats();
        const expected = await run(
          mainThread(path, (p) => expectedProblems.push(`${p.line}:${p.column}: ${p.reason}`), expectedStats),
        );
        const problems: string[] = [];
        const got = stats();
        const alerts = await run(
          eventsThroughWorkers(
            [path],
            ruleSet.rules,
            {
              workers,
              prefilter,
              blockBytes,
              maxLineBytes: 65_536,
              onProblem: (p) => problems.push(`${p.line}:${p.column}: ${p.reason}`),
            },
            got,
          ),
        );
        assert.ok(expected.length > 0, "the simulated stories alert");
        assert.deepEqual(alerts, expected);
        // the main-thread reader allows 16 MiB lines: the 70 KB line is only too long for the workers here
        assert.deepEqual(
          problems.filter((p) => !p.includes("longer than")),
          expectedProblems,
        );
        assert.ok(
          problems.some((p) => /^121:undefined: line longer than/.test(p)),
          problems.join("\n"),
        );
        assert.equal(got.events + got.skipped, expectedStats.events - 1);
      },
    ),
    { numRuns: 6 },
  );
});

test("a file that is not NDJSON is read on the main thread", async () => {
  const path = join(dir, "array.json");
  const events = [...simulate({ events: 50, seed: 3, attackRate: 0.2 })].map((l) => JSON.parse(l));
  writeFileSync(path, JSON.stringify(events, null, 2));
  const expected = await run(mainThread(path, () => {}, stats()));
  const got = stats();
  const alerts = await run(
    eventsThroughWorkers([path], ruleSet.rules, { workers: 1, prefilter: true, onProblem: () => {} }, got),
  );
  assert.deepEqual(alerts, expected);
  assert.equal(got.events, 50);
});

test("a named pipe is read as it comes, not by ranges of its size", async () => {
  const path = join(dir, "pipe-source.ndjson");
  input(11, path);
  const expected = await run(mainThread(path, () => {}, stats()));
  const fifo = join(dir, "events.fifo");
  execFileSync("mkfifo", [fifo]);
  const writer = spawn("sh", ["-c", 'cat "$1" > "$2"', "sh", path, fifo]);
  const written = new Promise((resolve) => writer.on("close", resolve));
  const got = stats();
  const alerts = await run(
    eventsThroughWorkers([fifo], ruleSet.rules, { workers: 2, prefilter: true, onProblem: () => {} }, got),
  );
  assert.equal(await written, 0);
  assert.ok(expected.length > 0);
  assert.deepEqual(alerts, expected);
});

test("a compressed or UTF-16 file is cut into blocks by the main thread, with the same alerts and problems", async () => {
  const path = join(dir, "compressed-source.ndjson");
  input(12, path);
  const expectedProblems: string[] = [];
  const expected = await run(
    mainThread(path, (p) => expectedProblems.push(`${p.line}:${p.column}: ${p.reason}`), stats()),
  );
  assert.ok(expected.length > 0);
  const gz = join(dir, "events.ndjson.gz");
  writeFileSync(gz, gzipSync(readFileSync(path)));
  const utf16 = join(dir, "events-utf16.ndjson");
  writeFileSync(
    utf16,
    Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(readFileSync(path, "utf8"), "utf16le")]),
  );
  for (const file of [gz, utf16]) {
    const problems: string[] = [];
    const alerts = await run(
      eventsThroughWorkers(
        [file],
        ruleSet.rules,
        {
          workers: 2,
          prefilter: true,
          blockBytes: 4096,
          onProblem: (p) => problems.push(`${p.line}:${p.column}: ${p.reason}`),
        },
        stats(),
      ),
    );
    assert.deepEqual(alerts, expected);
    assert.deepEqual(problems, expectedProblems);
  }
});

test("stdin is cut into blocks by the main thread too, plain or compressed, read ahead or not", async () => {
  const path = join(dir, "stdin-source.ndjson");
  input(13, path);
  const expectedProblems: string[] = [];
  const expected = await run(
    mainThread(path, (p) => expectedProblems.push(`${p.line}:${p.column}: ${p.reason}`), stats()),
  );
  assert.ok(expected.length > 0);
  const plain = readFileSync(path);
  for (const [bytes, ahead] of [
    [plain, 0],
    [gzipSync(plain), 10_000],
  ] as const) {
    const chunks = (async function* () {
      for (let i = 0; i < bytes.length; i += 65_536) yield bytes.subarray(i, i + 65_536);
    })();
    const stdin = ahead > 0 ? (await readAhead(chunks, ahead)).chunks : chunks;
    const problems: string[] = [];
    const alerts = await run(
      eventsThroughWorkers(
        ["-"],
        ruleSet.rules,
        {
          workers: 2,
          prefilter: true,
          blockBytes: 4096,
          stdin,
          onProblem: (p) =>
            problems.push(`${p.source === "<stdin>" ? "" : p.source}${p.line}:${p.column}: ${p.reason}`),
        },
        stats(),
      ),
    );
    assert.deepEqual(alerts, expected);
    assert.deepEqual(problems, expectedProblems);
  }
});
