import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import type { AlertDocument } from "../../src/engine/alert.ts";
import { deadLetterLine } from "../../src/io/sinks/dead-letter.ts";
import { resendDeadLetters } from "../../src/io/sinks/resend.ts";
import { eventAlert, idOf, tempDir } from "../server/alerts.ts";
import { capturingLogger, receiver } from "./webhook-receiver.ts";

const letter = (sink: string, alert: AlertDocument) =>
  deadLetterLine({ "@timestamp": "2026-11-30T03:00:00.000Z", sink, error: "HTTP 503", attempts: 9, alert });

const sinkOf = (url: string) => `webhook:${new URL(url).host}`;

test("each dead letter goes to its webhook again; what is refused, for no webhook or unreadable ends in the unsent file", async (t) => {
  const [a, b, refused, elsewhere] = [1, 2, 3, 4].map((pid) => eventAlert({ pid }));
  const hook = await receiver(t, (_, request) => ({
    status: request.ids.includes(idOf(refused)) ? 400 : 200,
  }));
  const dir = await tempDir(t);
  const file = join(dir, "dead.ndjson");
  const unsentPath = join(dir, "dead.unsent.ndjson");
  const unreadable = '{"sink": "webhook:x", "alert": ';
  await writeFile(
    file,
    letter(sinkOf(hook.url), a) +
      letter("webhook:gone.example", elsewhere) +
      `${unreadable}\r\n` +
      "\n" +
      letter(sinkOf(hook.url), b) +
      letter(sinkOf(hook.url), refused),
  );
  const problems: string[] = [];
  const report = await resendDeadLetters({
    files: [file],
    targets: [{ url: hook.url, name: sinkOf(hook.url), headers: { authorization: "Bearer t0ken" } }],
    unsentPath,
    logger: capturingLogger("silent").logger,
    onProblem: (message) => problems.push(message),
    // the receiver refuses a batch with `refused` in it; halving finds it without a retry (400 is final)
    webhook: { batchSize: 1 },
  });

  const delivered = hook.requests.filter((r) => !r.ids.includes(idOf(refused))).flatMap((r) => r.ids);
  assert.deepEqual(delivered.sort(), [idOf(a), idOf(b)].sort());
  assert.ok(hook.requests.every((r) => r.authorization === "Bearer t0ken"));
  assert.deepEqual(problems, [`${file}:3:32: invalid JSON: Unexpected end of JSON input`]);
  const mine = report.bySink.get(sinkOf(hook.url));
  assert.deepEqual(mine, { read: 3, delivered: 2, refused: 1, interrupted: 0, configured: true });
  assert.deepEqual(report.bySink.get("webhook:gone.example"), {
    read: 1,
    delivered: 0,
    refused: 0,
    interrupted: 0,
    configured: false,
  });
  assert.equal(report.unreadable, 1);
  assert.equal(report.unsent, 3);

  const lines = (await readFile(unsentPath, "utf8")).split("\n").filter(Boolean);
  assert.equal(lines.length, 3);
  // kept as they were: the letter for no webhook and the unreadable line
  assert.ok(lines.includes(letter("webhook:gone.example", elsewhere).trimEnd()));
  assert.ok(lines.includes(unreadable));
  // refused again: a new dead letter, with the new reason
  const again = lines
    .filter((line) => line !== unreadable)
    .map((line) => JSON.parse(line))
    .filter((l) => idOf(l.alert) === idOf(refused));
  assert.equal(again.length, 1);
  assert.equal(again[0].sink, sinkOf(hook.url));
  assert.match(again[0].error, /HTTP 400/);
});

test("all delivered: no unsent file is made", async (t) => {
  const hook = await receiver(t, () => ({ status: 200 }));
  const dir = await tempDir(t);
  const file = join(dir, "dead.ndjson");
  const unsentPath = join(dir, "unsent.ndjson");
  const alerts = [5, 6, 7].map((pid) => eventAlert({ pid }));
  await writeFile(file, alerts.map((alert) => letter(sinkOf(hook.url), alert)).join(""));
  const report = await resendDeadLetters({
    files: [file],
    targets: [{ url: hook.url, name: sinkOf(hook.url) }],
    unsentPath,
    logger: capturingLogger("silent").logger,
  });
  assert.equal(report.unsent, 0);
  assert.deepEqual(hook.requests.flatMap((r) => r.ids).sort(), alerts.map(idOf).sort());
  await assert.rejects(readFile(unsentPath), { code: "ENOENT" });
});

test("stopped while the receiver does not answer: every dead letter ends in the unsent file as it was", async (t) => {
  const hook = await receiver(t, () => ({ status: 200, delayMs: 60_000 }));
  const dir = await tempDir(t);
  const file = join(dir, "dead.ndjson");
  const unsentPath = join(dir, "unsent.ndjson");
  const lines = [8, 9, 10].map((pid) => letter(sinkOf(hook.url), eventAlert({ pid })));
  await writeFile(file, lines.join(""));
  const stop = new AbortController();
  const resend = resendDeadLetters({
    files: [file],
    targets: [{ url: hook.url, name: sinkOf(hook.url) }],
    unsentPath,
    logger: capturingLogger("silent").logger,
    signal: stop.signal,
  });
  while (hook.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  stop.abort();
  const report = await resend;
  assert.equal(report.stopped, true);
  assert.equal(report.bySink.get(sinkOf(hook.url))?.interrupted, 3);
  assert.deepEqual(
    (await readFile(unsentPath, "utf8")).split("\n").filter(Boolean).sort(),
    lines.map((l) => l.trimEnd()).sort(),
  );
});

test("a dry run counts by webhook and sends nothing", async (t) => {
  const hook = await receiver(t, () => ({ status: 200 }));
  const dir = await tempDir(t);
  const file = join(dir, "dead.ndjson");
  await writeFile(
    file,
    letter(sinkOf(hook.url), eventAlert({ pid: 11 })) + letter("webhook:other", eventAlert()),
  );
  const report = await resendDeadLetters({
    files: [file],
    targets: [{ url: hook.url, name: sinkOf(hook.url) }],
    unsentPath: join(dir, "unsent.ndjson"),
    logger: capturingLogger("silent").logger,
    dryRun: true,
  });
  assert.equal(hook.requests.length, 0);
  assert.deepEqual(
    [...report.bySink].map(([name, c]) => [name, c.read, c.configured]),
    [
      [sinkOf(hook.url), 1, true],
      ["webhook:other", 1, false],
    ],
  );
  await assert.rejects(readFile(join(dir, "unsent.ndjson")), { code: "ENOENT" });
});
