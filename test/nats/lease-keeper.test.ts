import assert from "node:assert/strict";
import { test } from "node:test";
import type { KV } from "@nats-io/kv";
import pino from "pino";
import { LeaseKeeper } from "../../src/worker/lease-keeper.ts";

/** A leases bucket whose writes fail while `down` (NATS away), as the client's timeouts do. */
function fakeLeases(): { kv: KV; down: boolean } {
  let revision = 0;
  const state = {
    down: false,
    kv: {
      create: async () => ++revision,
      update: async () => {
        if (state.down) throw new Error("TIMEOUT");
        return ++revision;
      },
    } as unknown as KV,
  };
  return state;
}

test("a lease gone stale because NATS did not take its renewals says so, not that the process stalled", async () => {
  let now = 1_000;
  const leases = fakeLeases();
  const lost: string[] = [];
  const keeper = new LeaseKeeper(
    leases.kv,
    "w1",
    3_000,
    pino({ level: "silent" }),
    (_lease, reason) => lost.push(reason),
    () => now,
  );
  assert.ok(await keeper.acquire(5));
  // no renewal ran: the process did not get to it
  now += 2_500;
  assert.equal(keeper.fresh(5), false);
  assert.match(keeper.staleReason(5), /process stalled/);
  await keeper.renewAll();
  assert.equal(keeper.fresh(5), true);
  // renewals tried and refused by an outage
  leases.down = true;
  now += 1_000;
  await keeper.renewAll();
  now += 1_500;
  await keeper.renewAll();
  assert.equal(keeper.fresh(5), false);
  assert.match(keeper.staleReason(5), /NATS did not take the renewals \(TIMEOUT\)/);
  assert.doesNotMatch(keeper.staleReason(5), /stalled/);
  // back: a renewal that succeeds forgets the failures
  leases.down = false;
  await keeper.renewAll();
  now += 2_500;
  assert.match(keeper.staleReason(5), /process stalled/);
  assert.deepEqual(lost, []);
});

test("a lease still being given back is not handed to a new runner: the next one takes a new epoch", async () => {
  let revision = 0;
  let hung: (() => void) | undefined;
  const kv = {
    create: async () => ++revision,
    // NATS away: a renewal hangs until its timeout
    update: () =>
      hung === undefined
        ? Promise.resolve(++revision)
        : new Promise<number>((resolve) => {
            const release = hung;
            hung = () => {
              release?.();
              resolve(++revision);
            };
          }),
    delete: async () => undefined,
  } as unknown as KV;
  const keeper = new LeaseKeeper(kv, "w1", 3_000, pino({ level: "silent" }), () => undefined);
  const first = await keeper.acquire(5);
  assert.ok(first);
  hung = () => undefined;
  const renewing = keeper.renewAll();
  // its runner was fenced: the lease is given back once the renewal in flight has settled
  const settling = keeper.settle(5);
  assert.equal(
    await keeper.acquire(5),
    undefined,
    "a rebalance meanwhile gets nothing: the fenced runner's epoch is not a new runner's",
  );
  const release = hung;
  hung = undefined;
  release();
  await renewing;
  await settling;
  const next = await keeper.acquire(5);
  assert.ok(next);
  assert.notEqual(next.epoch, first.epoch);
});
