import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { connectNats } from "../../src/nats/connect.ts";
import { logConnectionChanges } from "../../src/nats/connection-log.ts";
import { createLogger } from "../../src/server/logger.ts";
import { natsServerMissing, startNats } from "./nats-server.ts";

test("a lost NATS connection is logged once as a warning, and its return with how long it was down", {
  skip: natsServerMissing,
  timeout: 60_000,
}, async (t) => {
  const cluster = await startNats(t);
  const nc = await connectNats({ servers: cluster.urls }, "eqlite-test");
  t.after(() => nc.close());
  const lines: Array<{ level: number; msg: string; server?: string; downMs?: number }> = [];
  const logger = createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line)) });
  const following = logConnectionChanges(nc, logger);
  const waitFor = async (msg: string) => {
    for (let i = 0; i < 400 && !lines.some((l) => l.msg === msg); i++) await sleep(50);
    return lines.filter((l) => l.msg === msg);
  };

  await cluster.nodes[0].kill();
  const lost = await waitFor("NATS connection lost; reconnecting");
  await sleep(1200); // reconnect attempts fail meanwhile
  await cluster.nodes[0].start();
  const back = await waitFor("NATS connection back");
  assert.equal(lost.length, 1, JSON.stringify(lines));
  assert.equal(lost[0].level, 40, "a warning");
  assert.match(lost[0].server ?? "", /127\.0\.0\.1:\d+/);
  assert.equal(back.length, 1, JSON.stringify(lines));
  assert.equal(back[0].level, 30);
  assert.ok((back[0].downMs ?? 0) >= 1200, `down for ${back[0].downMs} ms`);
  await nc.close();
  await following; // the feed ends with the connection
});
