import assert from "node:assert/strict";
import { test } from "node:test";
import { JetStreamApiError } from "@nats-io/jetstream";
import { connect, TimeoutError } from "@nats-io/transport-node";
import { NatsConnectError } from "../../src/nats/connect.ts";
import { awaitsLeader, retryWhileElecting, setUpAtStart } from "../../src/nats/election-wait.ts";
import { EVENTS_STREAM, openTopology } from "../../src/nats/topology.ts";
import { ServeProcess } from "../server/serve-process.ts";
import { natsServerMissing, startNats } from "./nats-server.ts";

/**
 * A node starting while its JetStream cluster has no leader waits for one: set-up calls that
 * time out, or that JetStream answers "temporarily unavailable", are tried again until a
 * deadline; any other failure ends the start at once.
 */

const unavailable = () =>
  new JetStreamApiError({
    code: 503,
    err_code: 10008,
    description: "JetStream system temporarily unavailable",
  });

test("what counts as waiting for a leader: a timeout, JetStream unavailable or without peers for the replicas; nothing else", () => {
  assert.equal(awaitsLeader(new TimeoutError()), true);
  assert.equal(awaitsLeader(unavailable()), true);
  assert.equal(
    awaitsLeader(
      new JetStreamApiError({ code: 500, err_code: 10005, description: "no suitable peers for placement" }),
    ),
    true,
  );
  assert.equal(
    awaitsLeader(new JetStreamApiError({ code: 404, err_code: 10059, description: "stream not found" })),
    false,
  );
  assert.equal(awaitsLeader(new Error("timeout")), false);
  assert.equal(awaitsLeader(undefined), false);
});

test("tried again while the cluster elects, and the answer once it has a leader", async () => {
  const failures = [new TimeoutError(), unavailable()];
  const retries: Array<{ error: Error; elapsedMs: number }> = [];
  let calls = 0;
  const answer = await retryWhileElecting(
    async () => {
      calls++;
      const failure = failures.shift();
      if (failure) throw failure;
      return "topology";
    },
    { deadlineMs: 10_000, pauseMs: 5, onRetry: (error, elapsedMs) => retries.push({ error, elapsedMs }) },
  );
  assert.equal(answer, "topology");
  assert.equal(calls, 3);
  assert.deepEqual(
    retries.map((r) => r.error.constructor.name),
    ["TimeoutError", "JetStreamApiError"],
  );
});

test("any other failure ends it at once, and a leaderless cluster past the deadline too", {
  timeout: 10_000,
}, async () => {
  let calls = 0;
  const refused = new Error("permissions violation");
  await assert.rejects(
    retryWhileElecting(
      async () => {
        calls++;
        throw refused;
      },
      { deadlineMs: 10_000, pauseMs: 5, onRetry: () => assert.fail("no retry for a refusal") },
    ),
    (error) => error === refused,
  );
  assert.equal(calls, 1);

  calls = 0;
  const started = Date.now();
  await assert.rejects(
    retryWhileElecting(
      async () => {
        calls++;
        throw new TimeoutError();
      },
      { deadlineMs: 60, pauseMs: 10 },
    ),
    TimeoutError,
  );
  assert.ok(calls > 1, `tried ${calls} times`);
  assert.ok(Date.now() - started >= 60, "gave up before the deadline");
});

test("a starting node's set-up: a warning for each wait, with its reason, and other failures as they were", async () => {
  const warnings: Array<{ fields: Record<string, unknown>; msg: string }> = [];
  const logger = { warn: (fields: Record<string, unknown>, msg: string) => warnings.push({ fields, msg }) };
  const nc = { getServer: () => "nats://127.0.0.1:4222" };
  let calls = 0;
  const answer = await setUpAtStart(nc as never, 3, logger as never, async () => {
    if (calls++ === 0) throw new TimeoutError();
    return "topology";
  });
  assert.equal(answer, "topology");
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0].fields.reason, "timeout");
  assert.match(warnings[0].msg, /JetStream did not answer the set-up .* trying again/);

  const refused = new Error("permissions violation");
  await assert.rejects(
    setUpAtStart(nc as never, 3, logger as never, async () => {
      throw refused;
    }),
    (error) => error === refused,
  );
  assert.equal(warnings.length, 1);
});

test("a starting node that gives up waiting says which server did not answer, and what to check", {
  timeout: 10_000,
}, async () => {
  const warnings: string[] = [];
  const logger = { warn: (_fields: unknown, msg: string) => warnings.push(msg) };
  const nc = { getServer: () => "nats://10.0.0.7:4222" };
  let calls = 0;
  await assert.rejects(
    setUpAtStart(
      nc as never,
      3,
      logger as never,
      async () => {
        calls++;
        throw unavailable();
      },
      { deadlineMs: 1500, pauseMs: 100 },
    ),
    (error) =>
      error instanceof NatsConnectError &&
      error.message ===
        "cannot set up JetStream on nats://10.0.0.7:4222: it did not answer for 1.5 s: is a leader elected, with enough nodes up for 3 replicas?",
  );
  assert.ok(calls > 1, `tried ${calls} times`);
  assert.equal(warnings.length, calls - 1, "a warning before each attempt after the first");
});

test("a real cluster: started with one node of three up, the set-up waits until the others come back", {
  skip: natsServerMissing,
  timeout: 90_000,
}, async (t) => {
  const cluster = await startNats(t, 3);
  // two of three down: no quorum, so no leader and no replicated stream can be made
  await Promise.all([cluster.nodes[1].kill(), cluster.nodes[2].kill()]);
  const nc = await connect({
    servers: [cluster.nodes[0].url],
    maxReconnectAttempts: -1,
    reconnectTimeWait: 200,
  });
  t.after(() => nc.close());
  let retries = 0;
  let restarted: Promise<unknown> | undefined;
  const topology = await retryWhileElecting(() => openTopology(nc, { partitions: 4, replicas: 3 }), {
    deadlineMs: 60_000,
    pauseMs: 200,
    onRetry: () => {
      retries++;
      restarted ??= Promise.all([cluster.nodes[1].start(), cluster.nodes[2].start()]);
    },
  });
  await restarted;
  assert.ok(retries >= 1, "the first attempt, with no quorum, failed and was tried again");
  const info = await topology.jsm.streams.info(EVENTS_STREAM);
  assert.equal(info.config.num_replicas, 3);
});

test("serve stopped while it waits for a leader ends at once, by the signal, not after the wait", {
  skip: natsServerMissing,
}, async (t) => {
  const cluster = await startNats(t, 3);
  await Promise.all([cluster.nodes[1].kill(), cluster.nodes[2].kill()]);
  const serve = ServeProcess.spawn([
    "--nats",
    cluster.nodes[0].url,
    "--nats-replicas",
    "3",
    "--no-watch-rules",
    "--no-stdout",
  ]);
  t.after(() => serve.stop("SIGKILL"));
  await serve.waitFor(/JetStream did not answer the set-up/);
  // not exit 1 once the minute's wait has failed: ended by the signal itself
  assert.equal(await serve.stop("SIGTERM"), null, serve.stderr);
  assert.equal(serve.child.signalCode, "SIGTERM");
  assert.match(serve.stderr, /"msg":"stopping while connecting to NATS: nothing to drain"/);
});
