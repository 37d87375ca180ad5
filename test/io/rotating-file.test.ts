import assert from "node:assert/strict";
import { readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { RotatingFileSink } from "../../src/io/sinks/rotating-file.ts";
import { eventAlert, idOf, tempDir } from "../server/alerts.ts";
import { alertLines, fullDisk } from "./full-disk.ts";

const idsIn = async (path: string) =>
  (await readFile(path, "utf8"))
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line)["kibana.alert.uuid"] as string);

test("rotates by size, logrotate-style, keeping the newest files", async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, "alerts", "alerts.ndjson");
  const alerts = Array.from({ length: 10 }, (_, i) => eventAlert({ pid: i }));
  const lineBytes = Buffer.byteLength(`${JSON.stringify(alerts[0])}\n`);
  // Room for two alerts a file.
  const sink = new RotatingFileSink({ path, maxBytes: lineBytes * 2 + 10, keep: 2 });
  for (const alert of alerts) await sink.write([alert]);
  await sink.close();

  assert.deepEqual((await readdir(join(dir, "alerts"))).sort(), [
    "alerts.ndjson",
    "alerts.ndjson.1",
    "alerts.ndjson.2",
  ]);
  assert.equal(sink.rotations, 4);
  assert.deepEqual(await idsIn(path), alerts.slice(8).map(idOf));
  assert.deepEqual(await idsIn(`${path}.1`), alerts.slice(6, 8).map(idOf));
  assert.deepEqual(await idsIn(`${path}.2`), alerts.slice(4, 6).map(idOf));
});

test("a smaller keep than before removes the copies past it at the next rotation, numbered on from it; other files beside it stay, a dated archive too", async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, "a.ndjson");
  // copies left by a run with keep 6, and files that only look alike
  for (let n = 1; n <= 6; n++)
    await writeFile(`${path}.${n}`, `${JSON.stringify(eventAlert({ pid: 100 + n }))}\n`);
  for (const name of ["a.ndjson.07", "a.ndjson.2.bak", "a.ndjson.20261130", "b.ndjson.9"])
    await writeFile(join(dir, name), "x\n");
  const sink = new RotatingFileSink({ path, maxBytes: 10, keep: 3 });
  await sink.write([eventAlert({ pid: 0 })]);
  await sink.write([eventAlert({ pid: 1 })]);
  await sink.close();
  assert.deepEqual((await readdir(dir)).sort(), [
    "a.ndjson",
    "a.ndjson.07",
    "a.ndjson.1",
    "a.ndjson.2",
    "a.ndjson.2.bak",
    "a.ndjson.20261130",
    "a.ndjson.3",
    "b.ndjson.9",
  ]);
  assert.deepEqual(await idsIn(path), [idOf(eventAlert({ pid: 1 }))]);
  assert.deepEqual(await idsIn(`${path}.1`), [idOf(eventAlert({ pid: 0 }))]);
  assert.deepEqual(await idsIn(`${path}.2`), [idOf(eventAlert({ pid: 101 }))]);
  assert.deepEqual(await idsIn(`${path}.3`), [idOf(eventAlert({ pid: 102 }))]);
});

test("a batch never splits across files; one larger than maxBytes gets a file of its own", async (t) => {
  const path = join(await tempDir(t), "a.ndjson");
  const sink = new RotatingFileSink({ path, maxBytes: 100, keep: 3 });
  const big = [eventAlert({ pid: 1 }), eventAlert({ pid: 2 })];
  await sink.write([eventAlert({ pid: 0 })]);
  await sink.write(big);
  await sink.close();
  assert.deepEqual(await idsIn(path), big.map(idOf));
  assert.equal((await idsIn(`${path}.1`)).length, 1);
});

test("rotates by age, and appends to the current file after a restart", async (t) => {
  const path = join(await tempDir(t), "a.ndjson");
  await writeFile(path, `${JSON.stringify(eventAlert({ pid: 0 }))}\n`);
  let now = Date.now();
  const sink = new RotatingFileSink({ path, maxAgeMs: 60_000, now: () => now });
  await sink.write([eventAlert({ pid: 1 })]);
  assert.equal((await idsIn(path)).length, 2, "the existing file was appended to");
  now += 61_000;
  await sink.write([eventAlert({ pid: 2 })]);
  await sink.close();
  assert.equal(sink.rotations, 1);
  assert.deepEqual(await idsIn(path), [idOf(eventAlert({ pid: 2 }))]);
  assert.equal((await idsIn(`${path}.1`)).length, 2);
  await assert.rejects(sink.write([eventAlert()]), /is closed/);
});

test("a current file removed or moved away by hand is made again for the next write, its directory too", async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, "alerts", "alerts.ndjson");
  const sink = new RotatingFileSink({ path, sync: false });
  const [a, b, c] = [eventAlert({ pid: 1 }), eventAlert({ pid: 2 }), eventAlert({ pid: 3 })];
  await sink.write([a]);
  await rename(path, join(dir, "moved.ndjson"));
  await sink.write([b]);
  assert.deepEqual(await idsIn(path), [idOf(b)]);
  await rm(join(dir, "alerts"), { recursive: true });
  await sink.write([c]);
  await sink.close();
  assert.deepEqual(await idsIn(join(dir, "moved.ndjson")), [idOf(a)]);
  assert.deepEqual(await idsIn(path), [idOf(c)]);
});

for (const truncateFails of [false, true]) {
  test(`a write that fails part-way on a full disk ${truncateFails ? "and cannot be cut back is ended by a line break" : "is cut back"}: the alerts retried are there once, on lines of their own`, async (t) => {
    const path = join(await tempDir(t), "alerts.ndjson");
    const [a, b, c, d] = [1, 2, 3, 4].map((pid) => eventAlert({ pid }));
    const line = (alert: typeof a) => `${JSON.stringify(alert)}\n`;
    const disk = fullDisk(Buffer.byteLength(line(a)) + 10, { truncateFails });
    const sink = new RotatingFileSink({ path, openFile: disk.openFile });
    await sink.write([a]);
    await assert.rejects(sink.write([b, c]), /ENOSPC/);
    disk.free(5);
    // the fanout's retry, on a disk that is still nearly full
    await assert.rejects(sink.write([b, c]), /ENOSPC/);
    disk.free(100_000);
    await sink.write([b, c]);
    await sink.write([d]);
    await sink.close();
    assert.deepEqual(alertLines(path), {
      ids: [a, b, c, d].map(idOf),
      // with no cut back, the two half lines the failed writes left, each a line of its own
      torn: truncateFails ? [line(b).slice(0, 10), line(b).slice(0, 4)] : [],
    });
  });
}
