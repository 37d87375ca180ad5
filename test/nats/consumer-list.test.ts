import assert from "node:assert/strict";
import { test } from "node:test";
import type { ConsumerInfo, JetStreamManager } from "@nats-io/jetstream";
import { listConsumers } from "../../src/nats/consumer-list.ts";

test("a consumer nats-server 2.9 lists as null (one it cannot describe just after a restart) is left out, not read", async () => {
  // what nats-server 2.9.10 answered a worker's takeover right after a restart (chaos seed 2):
  // the worker read `.name` of it and failed the takeover with "Cannot read properties of null"
  const listed = [null, { name: "part-1-e3" }, null, { name: "part-1-e7" }];
  const jsm = {
    consumers: {
      list: () =>
        (async function* () {
          yield* listed;
        })(),
    },
  } as unknown as JetStreamManager;
  const consumers: ConsumerInfo[] = await listConsumers(jsm, "EQLITE_EVENTS");
  assert.deepEqual(
    consumers.map((c) => c.name),
    ["part-1-e3", "part-1-e7"],
  );
});
