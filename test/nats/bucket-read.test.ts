import assert from "node:assert/strict";
import { test } from "node:test";
import { type KV, Kvm } from "@nats-io/kv";
import { isPut, readBucket, watchBucket } from "../../src/nats/bucket-read.ts";
import { natsServerMissing, startNatsConnected } from "./nats-server.ts";

/** Writes each key as fast as the server takes it until `stop` is called. */
function keepWriting(bucket: KV, keys: string[]): { stop(): Promise<void> } {
  let writing = true;
  const writers = keys.map(async (key) => {
    for (let n = 0; writing; n++) await bucket.put(key, String(n));
  });
  return {
    stop: async () => {
      writing = false;
      await Promise.all(writers);
    },
  };
}

test("reading a bucket gives each key's latest record, deletions included, while keys are written", {
  skip: natsServerMissing,
  timeout: 60_000,
}, async (t) => {
  const { nc } = await startNatsConnected(t);
  const bucket = await new Kvm(nc).create("read-under-writes", { history: 1 });
  await bucket.put("still", "1");
  await bucket.put("gone", "1");
  await bucket.delete("gone");
  const writing = keepWriting(bucket, ["w1", "w2", "w3"]);
  t.after(() => writing.stop());
  await new Promise((resolve) => setTimeout(resolve, 200));
  // a watch of last values, read here, once gave one key's record in place of two others'
  for (let read = 0; read < 50; read++) {
    const records = await readBucket(bucket);
    const byKey = new Map(records.map((record) => [record.key, record]));
    assert.deepEqual([...byKey.keys()].sort(), ["gone", "still", "w1", "w2", "w3"], `read ${read}`);
    assert.equal(records.length, 5, "one record a key");
    assert.equal(byKey.get("still")?.string(), "1");
    assert.equal(isPut(byKey.get("gone")!), false);
    assert.equal(isPut(byKey.get("w1")!), true);
  }
  await writing.stop();
  const settled = await readBucket(bucket);
  for (const record of settled) assert.equal(record.revision, (await bucket.get(record.key))?.revision);
});

test("watching a bucket: what it read, then only newer records, in order", {
  skip: natsServerMissing,
  timeout: 60_000,
}, async (t) => {
  const { nc } = await startNatsConnected(t);
  const bucket = await new Kvm(nc).create("watch-under-writes", { history: 1 });
  await bucket.put("before", "1");
  const writing = keepWriting(bucket, ["w1", "w2"]);
  t.after(() => writing.stop());
  await new Promise((resolve) => setTimeout(resolve, 200));

  const watch = await watchBucket(bucket);
  t.after(() => watch.stop());
  const readAt = new Map(watch.current.map((record) => [record.key, record.revision]));
  assert.deepEqual([...readAt.keys()].sort(), ["before", "w1", "w2"]);
  await bucket.put("after", "1");
  await bucket.delete("before");
  await writing.stop();
  const last = await bucket.put("w1", "last");

  const changes: { key: string; revision: number; operation: string }[] = [];
  for await (const entry of watch.changes) {
    changes.push({ key: entry.key, revision: entry.revision, operation: entry.operation });
    if (entry.revision === last) break;
  }
  for (const change of changes)
    assert.ok(change.revision > (readAt.get(change.key) ?? 0), `${change.key}@${change.revision} was read`);
  const revisions = changes.map((change) => change.revision);
  assert.deepEqual(
    revisions,
    [...revisions].sort((a, b) => a - b),
    "in the bucket's order",
  );
  assert.ok(changes.some((c) => c.key === "after" && c.operation === "PUT"));
  assert.ok(changes.some((c) => c.key === "before" && c.operation === "DEL"));
  assert.equal(changes.at(-1)?.key, "w1");
});
