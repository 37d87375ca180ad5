import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { test } from "node:test";
import { NdjsonSink } from "../../src/io/sinks/ndjson-sink.ts";
import { alertLines, fullDisk } from "./full-disk.ts";

const alert = (n: number) => ({ "kibana.alert.uuid": `a${n}` });

/** The sink's stream, failing as a full disk makes a file stream fail. */
const failStream = (sink: NdjsonSink) =>
  (sink as unknown as { stream: Writable }).stream.destroy(
    Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" }),
  );

test("a file sink whose stream failed opens the file again for the next write: nothing after the failure is lost", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-ndjson-sink-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "alerts.ndjson");
  const sink = NdjsonSink.toFile(path);
  await sink.write([alert(1)]);
  failStream(sink);
  await sink.write([alert(2), alert(3)]);
  await sink.close();
  assert.deepEqual(
    readFileSync(path, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line)["kibana.alert.uuid"]),
    ["a1", "a2", "a3"],
  );
});

test("stdout, which the sink cannot open again, fails every write after its stream failed", async () => {
  const written: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      written.push(String(chunk));
      callback();
    },
  });
  const sink = new NdjsonSink("stdout", () => stream, false);
  await sink.write([alert(1)]);
  stream.destroy(Object.assign(new Error("EPIPE: broken pipe, write"), { code: "EPIPE" }));
  await new Promise((resolve) => stream.on("close", resolve));
  await assert.rejects(sink.write([alert(2)]), /EPIPE/);
  await assert.rejects(sink.write([alert(3)]), /EPIPE/);
  assert.equal(written.join(""), '{"kibana.alert.uuid":"a1"}\n');
});

test("a file sink whose file was removed or moved away writes the next alerts to a new file of that name", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-ndjson-sink-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "out", "alerts.ndjson");
  const ids = (file: string) =>
    readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line)["kibana.alert.uuid"]);
  const sink = NdjsonSink.toFile(path);
  await sink.write([alert(1)]);
  renameSync(path, `${path}.old`);
  await sink.write([alert(2)]);
  assert.deepEqual(ids(`${path}.old`), ["a1"]);
  assert.deepEqual(ids(path), ["a2"]);
  // the whole directory, as `rm -rf` of an output directory does
  rmSync(join(dir, "out"), { recursive: true });
  await sink.write([alert(3)]);
  await sink.close();
  assert.deepEqual(ids(path), ["a3"]);
});

const lineOf = (n: number) => `${JSON.stringify(alert(n))}\n`;

/**
 * The alerts 1, then 2 and 3 twice refused by a full disk (the fanout's retry, on a disk still
 * nearly full), then 2 and 3 again and 4 once there is room: what the file holds after.
 */
async function throughFullDisk(t: import("node:test").TestContext, truncateFails: boolean) {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-ndjson-sink-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "alerts.ndjson");
  const disk = fullDisk(Buffer.byteLength(lineOf(1)) + 10, { truncateFails });
  const sink = NdjsonSink.toFile(path, disk.openFile);
  await sink.write([alert(1)]);
  await assert.rejects(sink.write([alert(2), alert(3)]), /ENOSPC/);
  disk.free(5);
  await assert.rejects(sink.write([alert(2), alert(3)]), /ENOSPC/);
  disk.free(1000);
  await sink.write([alert(2), alert(3)]);
  await sink.write([alert(4)]);
  await sink.close();
  return alertLines(path);
}

test("a write that fails part-way on a full disk is cut back: the alerts retried are there once, on lines of their own", async (t) => {
  assert.deepEqual(await throughFullDisk(t, false), { ids: ["a1", "a2", "a3", "a4"], torn: [] });
});

test("a write cut short that cannot be cut back is ended by a line break: the next alert starts a line", async (t) => {
  const { ids, torn } = await throughFullDisk(t, true);
  assert.deepEqual(ids, ["a1", "a2", "a3", "a4"]);
  // the two half lines the failed writes left, each a line of its own
  assert.deepEqual(torn, [lineOf(2).slice(0, 10), lineOf(2).slice(0, 4)]);
});
