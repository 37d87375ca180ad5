import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { AlertStore } from "../../src/server/store.ts";
import { tempDir } from "./alerts.ts";
import { attackTraffic, bulkOf, type Shipped } from "./attack-traffic.ts";
import { scanOracle } from "./scan-oracle.ts";
import { ServeProcess } from "./serve-process.ts";

type Alert = Record<string, unknown>;

const BATCH = 20;
const CRASHES = 3;

/** One bulk request: "acked" when answered 200 with no item error, "lost" when the connection died. */
async function send(url: string, events: readonly Shipped[]): Promise<"acked" | "lost" | "retry"> {
  let response: Response;
  try {
    response = await fetch(`${url}/_bulk`, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body: bulkOf(events),
    });
  } catch {
    return "lost";
  }
  let body: { errors?: boolean; items?: Array<{ create: { status: number } }> };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    return "lost"; // killed while answering
  }
  if (response.status === 429) return "retry";
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.equal(body.errors, false, JSON.stringify(body));
  assert.equal(body.items?.length, events.length);
  return "acked";
}

/** Every alert the store holds, through the alerts API, a page of 500 at a time. */
async function storedAlerts(url: string): Promise<Alert[]> {
  const alerts: Alert[] = [];
  let cursor: string | null = null;
  do {
    const query = `size=500${cursor ? `&search_after=${encodeURIComponent(cursor)}` : ""}`;
    const r = await fetch(`${url}/api/alerts?${query}`);
    assert.equal(r.status, 200);
    const page = (await r.json()) as { total: number; alerts: Alert[]; next_search_after: string | null };
    alerts.push(...page.alerts);
    cursor = page.next_search_after;
  } while (cursor);
  return alerts;
}

const idOf = (a: Alert) => a["kibana.alert.uuid"] as string;
const describe = (a: Alert) =>
  `${a["kibana.alert.rule.name"]} @ ${a["kibana.alert.original_time"]}${a["kibana.alert.building_block_type"] ? " (building block)" : ""}`;

test("kill -9 three times while a shipper sends: the store holds exactly the alerts scan finds in the acknowledged events, once each", async (t) => {
  const dir = await tempDir(t, "eqlite-crash-");
  const dataDir = join(dir, "data");
  const traffic = attackTraffic(2400);
  const batches: Shipped[][] = [];
  for (let i = 0; i < traffic.length; i += BATCH) batches.push(traffic.slice(i, i + BATCH));
  // checkpoints often (and reorder buffers that never fall idle are released after 10 idle
  // flushes, 400 ms), so crashes land just after a checkpoint as well as long after one
  const args = [
    ...["--data-dir", dataDir, "--no-watch-rules", "--no-stdout"],
    ...["--checkpoint-interval", "50", "--idle-flush", "40"],
  ];

  let serve = await ServeProcess.start(args);
  t.after(() => serve.stop("SIGKILL"));
  // the batches at which a crash comes, at a random moment after the request is sent
  const crashAt = new Set<number>();
  while (crashAt.size < CRASHES) crashAt.add(8 + Math.floor(Math.random() * (batches.length - 16)));

  const acked: Shipped[] = [];
  const logs: string[] = [];
  const state = batches.map(() => "pending" as "pending" | "acked");
  let crashes = 0;
  let next = 0;
  while (next < batches.length || state.some((s) => s === "pending")) {
    // two requests in flight at a time, as a shipper with two workers
    const wave = [...state.keys()].filter((i) => state[i] === "pending").slice(0, 2);
    const crashHere = wave.find((i) => crashAt.has(i));
    if (crashHere !== undefined) crashAt.delete(crashHere);
    const sending = wave.map((i) => send(serve.url, batches[i]));
    if (crashHere !== undefined) {
      await sleep(Math.floor(Math.random() * 12));
      await serve.stop("SIGKILL");
      crashes++;
    }
    const results = await Promise.all(sending);
    wave.forEach((i, k) => {
      if (results[k] !== "acked") return;
      state[i] = "acked";
      acked.push(...batches[i]);
    });
    next = Math.max(next, ...wave.map((i) => i + 1));
    if (results.includes("retry")) await sleep(50);
    if (!serve.running) {
      logs.push(serve.stderr);
      serve = await ServeProcess.start(args);
    }
    await sleep(Math.floor(Math.random() * 6));
  }
  assert.equal(crashes, CRASHES);
  assert.equal(await serve.stop("SIGTERM"), 0, serve.stderr);
  logs.push(serve.stderr);

  // A restart after a clean stop replays from the last checkpoint and adds nothing new.
  serve = await ServeProcess.start(args);
  const stored = await storedAlerts(serve.url);
  const metrics = await (await fetch(`${serve.url}/metrics`)).text();
  assert.match(metrics, /^eqlite_wal_bytes \d+$/m);
  assert.match(metrics, /^eqlite_wal_checkpoint_lag_events \d+$/m);
  assert.equal(await serve.stop("SIGTERM"), 0, serve.stderr);
  logs.push(serve.stderr);

  const expected = scanOracle(dir, acked);

  const storedIds = stored.map(idOf);
  assert.equal(new Set(storedIds).size, storedIds.length, "an alert is stored once");
  const expectedById = new Map(expected.map((a) => [idOf(a), a]));
  const storedById = new Map(stored.map((a) => [idOf(a), a]));
  const missing = [...expectedById.keys()].filter((id) => !storedById.has(id));
  const extra = [...storedById.keys()].filter((id) => !expectedById.has(id));
  const replays = logs.map((l) => /"events":(\d+),"msg":"replayed events/.exec(l)?.[1] ?? "0");
  const context = `${acked.length} events acknowledged, ${crashes} crashes, replays ${replays.join("/")}`;
  assert.deepEqual(
    missing.map((id) => describe(expectedById.get(id)!)),
    [],
    `alerts scan finds that the store lacks (${context})`,
  );
  assert.deepEqual(
    extra.map((id) => describe(storedById.get(id)!)),
    [],
    `alerts the store has that scan does not find (${context})`,
  );
  assert.equal(acked.length, traffic.length, "every batch was acknowledged in the end");
  assert.ok(expected.length > 100, `a realistic number of alerts (${expected.length})`);
  t.diagnostic(`${context}; ${stored.length} alerts`);
});

test("webhooks across a crash: every stored alert is delivered, a repeat carries the same id and the same match", async (t) => {
  const dir = await tempDir(t, "eqlite-crash-webhook-");
  const dataDir = join(dir, "data");
  const deliveries: Array<{ key: string; alerts: Alert[] }> = [];
  let requests = 0;
  const receiver = createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (d) => {
      body += d;
    });
    request.on("end", () => {
      // slow, and now and then unavailable: deliveries are in flight and retried when the crash comes
      const failing = ++requests % 7 === 0;
      setTimeout(
        () => {
          if (!failing)
            deliveries.push({
              key: String(request.headers["idempotency-key"]),
              alerts: (JSON.parse(body) as { alerts: Alert[] }).alerts,
            });
          response.writeHead(failing ? 503 : 200).end();
        },
        20 + Math.floor(Math.random() * 40),
      );
    });
  });
  receiver.listen(0, "127.0.0.1");
  await once(receiver, "listening");
  t.after(() => receiver.close());
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const args = [
    ...["--data-dir", dataDir, "--no-watch-rules", "--no-stdout", "--webhook", hook],
    ...["--checkpoint-interval", "50", "--idle-flush", "40"],
  ];

  const traffic = attackTraffic(1200, 11, 8);
  const batches: Shipped[][] = [];
  for (let i = 0; i < traffic.length; i += 40) batches.push(traffic.slice(i, i + 40));
  let serve = await ServeProcess.start(args);
  t.after(() => serve.stop("SIGKILL"));
  let crashAt = Math.floor(batches.length / 3) + Math.floor(Math.random() * (batches.length / 3));
  for (let i = 0; i < batches.length; ) {
    const sending = send(serve.url, batches[i]);
    if (i === crashAt) {
      crashAt = -1;
      await sleep(Math.floor(Math.random() * 10));
      await serve.stop("SIGKILL");
    }
    if ((await sending) === "acked") i++;
    if (!serve.running) serve = await ServeProcess.start(args);
  }
  assert.equal(await serve.stop("SIGTERM"), 0, serve.stderr);

  const store = AlertStore.open(join(dataDir, "eqlite.db"));
  const stored = new Map<string, Alert>();
  try {
    for (let page = store.searchAlerts({ size: 500 }); ; ) {
      for (const a of page.alerts) stored.set(idOf(a), a);
      if (!page.next) break;
      page = store.searchAlerts({ size: 500, searchAfter: page.next });
    }
  } finally {
    store.close();
  }
  const delivered = new Map<string, Alert[]>();
  for (const d of deliveries) {
    assert.match(d.key, /^[0-9a-f]{64}$/, "each request carries an Idempotency-Key");
    for (const a of d.alerts) delivered.set(idOf(a), [...(delivered.get(idOf(a)) ?? []), a]);
  }
  assert.ok(stored.size > 50, `alerts were raised (${stored.size})`);
  const undelivered = [...stored.keys()].filter((id) => !delivered.has(id));
  assert.deepEqual(
    undelivered.map((id) => describe(stored.get(id)!)),
    [],
    "every stored alert was delivered",
  );
  const unknown = [...delivered.keys()].filter((id) => !stored.has(id));
  assert.deepEqual(unknown, [], "nothing was delivered that the store does not hold");
  let repeats = 0;
  for (const [id, copies] of delivered) {
    repeats += copies.length - 1;
    const match = (a: Alert) =>
      JSON.stringify([
        a["kibana.alert.rule.rule_id"],
        a["kibana.alert.ancestors"],
        a["kibana.alert.original_time"],
      ]);
    for (const copy of copies) assert.equal(match(copy), match(stored.get(id)!), `delivery of ${id}`);
  }
  t.diagnostic(`${stored.size} alerts stored and delivered; ${repeats} delivered again after the crash`);
});
