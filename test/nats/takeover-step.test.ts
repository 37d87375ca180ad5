import assert from "node:assert/strict";
import { test } from "node:test";
import { pino } from "pino";
import type { Topology } from "../../src/nats/topology.ts";
import { PartitionRunner, type RunnerContext } from "../../src/worker/partition-runner.ts";
import type { ScopeRules } from "../../src/worker/rule-plan.ts";
import { WORKER_DEFAULTS } from "../../src/worker/worker-settings.ts";

const NO_RULES: ScopeRules = {
  scope: "host",
  short: undefined,
  long: undefined,
  lookbacks: [],
  longHash: "",
  longReach: new Map(),
  exceptionsFor: () => undefined,
  prefilter: undefined,
};

const timeout = async (): Promise<never> => {
  throw new Error("timeout");
};

/** A partition never checkpointed, on a NATS whose calls answer as `jsm` says. */
function runner(jsm: Partial<Record<"streams" | "consumers", object>>): PartitionRunner {
  const topology = {
    checkpoints: { get: async () => null, create: async () => 1, update: async () => 2 },
    jsm,
  } as unknown as Topology;
  const ctx = {
    worker: "w1",
    topology,
    settings: WORKER_DEFAULTS,
    logger: pino({ level: "silent" }),
    leaseFresh: () => true,
    leaseStaleReason: () => "",
  } as unknown as RunnerContext;
  return new PartitionRunner(3, 7, NO_RULES, ctx);
}

test("a takeover that fails says at which step: 'timeout' alone does not tell which part of NATS did not answer", async () => {
  const noStream = runner({ streams: { info: timeout } });
  void noStream.run();
  assert.deepEqual(await noStream.ended, {
    kind: "failed",
    reason: "taking p3 over failed: reading the events stream's state: timeout",
  });

  const noConsumer = runner({
    streams: {
      info: async () => ({
        created: new Date().toISOString(),
        state: { first_seq: 1, last_seq: 0 },
      }),
    },
    consumers: { add: timeout },
  });
  void noConsumer.run();
  assert.deepEqual(await noConsumer.ended, {
    kind: "failed",
    reason: "taking p3 over failed: creating its consumer part-3-e7: timeout",
  });
});
