import assert from "node:assert/strict";
import { test } from "node:test";
import { retryUntilDone } from "../../src/worker/retry.ts";

test("retryUntilDone tries again after each failure, waiting longer, and says the first and every 20th", async () => {
  const failures: Array<[number, boolean]> = [];
  const started: number[] = [];
  let calls = 0;
  const value = await retryUntilDone(
    async () => {
      started.push(Date.now());
      if (++calls < 3) throw new Error(`try ${calls}`);
      return "stored";
    },
    { abandoned: () => false, failed: (_error, attempt, loud) => failures.push([attempt, loud]) },
  );
  assert.equal(value, "stored");
  assert.deepEqual(failures, [
    [1, true],
    [2, false],
  ]);
  // 100 ms, then 200 ms
  assert.ok(started[1] - started[0] >= 90, String(started[1] - started[0]));
  assert.ok(started[2] - started[1] >= 190, String(started[2] - started[1]));
});

test("retryUntilDone stops when abandoned, before the next try, with undefined", async () => {
  let calls = 0;
  let fenced = false;
  const value = await retryUntilDone(
    async () => {
      calls++;
      fenced = true;
      throw new Error("not answered");
    },
    { abandoned: () => fenced, failed: () => {} },
  );
  assert.equal(value, undefined);
  assert.equal(calls, 1);
  let never = 0;
  assert.equal(
    await retryUntilDone(async () => ++never, { abandoned: () => true, failed: () => {} }),
    undefined,
  );
  assert.equal(never, 0);
});
