import assert from "node:assert/strict";
import { test } from "node:test";
import { Kvm } from "@nats-io/kv";
import { Membership } from "../../src/worker/membership.ts";
import { natsServerMissing, startNatsConnected } from "./nats-server.ts";

/**
 * A worker that starts while the others beat must learn who they are at once: following the
 * members must not wait for their beats to pause (a listing of the bucket's keys, taken first,
 * ran on for as long as keys kept being written), nor miss a member whose record the server
 * left out of a watch of last values (it did, under these beats, two runs in eight).
 */
test("following the members resolves while they keep beating, and knows them", {
  skip: natsServerMissing,
  timeout: 60_000,
}, async (t) => {
  const { nc } = await startNatsConnected(t);
  const members = await new Kvm(nc).create("members-under-load", { ttl: 30_000, history: 1 });
  const others = ["w1", "w2", "w3"];
  for (const worker of others) await members.put(worker, "{}");
  await members.put("gone", "{}");
  await members.delete("gone");
  // beats as fast as the server takes them, from several writers at once, for up to 8 s
  const until = Date.now() + 8_000;
  let beating = true;
  const writers = others.map(async (worker) => {
    for (let beat = 0; beating && Date.now() < until; beat++)
      await members.put(worker, JSON.stringify({ beat }));
  });

  const me = new Membership(members, "me", 30_000);
  t.after(() => me.stop());
  const changes: string[][] = [];
  const started = Date.now();
  await me.follow(
    () => changes.push(me.live()),
    (error) => assert.fail(`the watch failed: ${error}`),
  );
  const took = Date.now() - started;
  assert.ok(Date.now() < until, `following took ${took} ms, until the beats stopped`);
  assert.deepEqual(me.live(), ["me", "w1", "w2", "w3"]);
  // what it started with is not a change; a member that joins is
  assert.deepEqual(changes, []);
  await members.put("w4", "{}");
  for (let i = 0; i < 50 && changes.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(changes.at(-1), ["me", "w1", "w2", "w3", "w4"]);
  beating = false;
  await Promise.all(writers);
});
