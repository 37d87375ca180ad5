import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "node:test";
import fc from "fast-check";
import { ReorderBuffer } from "../../src/eql/correlate/reorder-buffer.ts";
import { mergeSorted, SpillBudget, type SpillCodec, SpillError } from "../../src/eql/correlate/spill.ts";
import { compareOrder, type OrderKey } from "../../src/eql/ordering.ts";

/**
 * Holders sharing a spill budget write runs to disk past it; at the end each must release
 * exactly what one sort of everything it was given would, while never holding more than the
 * budget in memory, and leave nothing on disk.
 */

type Item = { order: OrderKey & { timestamp: bigint }; id: number; label: string };

const ITEM_CODEC: SpillCodec<Item> = {
  encode: (item) => [
    String(item.order.timestamp),
    item.order.tiebreaker,
    item.order.arrival,
    item.id,
    item.label,
  ],
  decode(value) {
    const [timestamp, tiebreaker, arrival, id, label] = value as [
      string,
      OrderKey["tiebreaker"],
      number,
      number,
      string,
    ];
    return { order: { timestamp: BigInt(timestamp), tiebreaker, arrival }, id, label };
  },
};

/** unbounded lateness: a batch, which releases nothing before its end */
const BATCH_LATENESS = BigInt(Number.MAX_SAFE_INTEGER) * 1_000_000n;

function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), "eqlite-spill-test-"));
}

test("property: holders sharing a budget release what one sort would, within the budget, leaving nothing on disk", () => {
  const item = fc.record({
    holder: fc.integer({ min: 0, max: 2 }),
    ts: fc.integer({ min: 0, max: 30 }),
    tiebreaker: fc.constantFrom(null, 1, 2, "a", true),
    // the text of a held event: JSON must bring back every string exactly
    label: fc.oneof(fc.string(), fc.constantFrom("\ud800", "__proto__", "é\u0000\n")),
  });
  const parent = scratchDir();
  try {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 120 }), fc.integer({ min: 1, max: 9 }), (raw, limit) => {
        const budget = new SpillBudget(limit, parent);
        const released: Item[][] = [[], [], []];
        const holders = released.map(
          (out) =>
            new ReorderBuffer<Item>(BATCH_LATENESS, 1, (i) => out.push(i), { budget, codec: ITEM_CODEC }),
        );
        const given: Item[][] = [[], [], []];
        raw.forEach((r, id) => {
          const it: Item = {
            order: { timestamp: BigInt(r.ts) * 1_000_000n, tiebreaker: r.tiebreaker, arrival: id },
            id,
            label: r.label,
          };
          given[r.holder].push(it);
          holders[r.holder].push(it);
          assert.ok(budget.held <= limit, `held ${budget.held} over the budget ${limit}`);
          assert.equal(
            holders.reduce((n, h) => n + h.size, 0),
            id + 1,
            "every item is held, in memory or on disk",
          );
        });
        if (raw.length > limit) assert.ok(budget.stats.runs > 0, "past the budget something went to disk");
        for (const h of holders) h.flush();
        for (let h = 0; h < 3; h++) {
          const sorted = [...given[h]].sort((a, b) => compareOrder(a.order, b.order));
          assert.deepEqual(released[h], sorted);
        }
        assert.equal(budget.held, 0);
        if (budget.directory)
          assert.deepEqual(readdirSync(budget.directory), [], "each run file goes with its flush");
        budget.close();
        assert.deepEqual(readdirSync(parent), [], "close() removes the spill directory");
      }),
      { numRuns: 300 },
    );
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

test("property: merging sorted sources gives their sorted union, ties in source order", () => {
  fc.assert(
    fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 20 })), { maxLength: 6 }), (lists) => {
      const sources = lists.map((l, s) => [...l].sort((a, b) => a - b).map((v) => ({ v, s })));
      const out: Array<{ v: number; s: number }> = [];
      mergeSorted(
        sources.map((l) => l.values()),
        (a, b) => a.v - b.v,
        (x) => out.push(x),
      );
      const expected = sources.flat().sort((a, b) => a.v - b.v || a.s - b.s);
      assert.deepEqual(out, expected);
    }),
  );
});

test("a spill that cannot write is a SpillError naming the place, and what was held is still held", () => {
  const parent = scratchDir();
  const notADirectory = join(parent, "file");
  writeFileSync(notADirectory, "");
  try {
    const budget = new SpillBudget(2, notADirectory);
    const released: number[] = [];
    const holder = new ReorderBuffer<Item>(BATCH_LATENESS, 1, (i) => released.push(i.id), {
      budget,
      codec: ITEM_CODEC,
    });
    const at = (arrival: number, timestamp: bigint): Item => ({
      order: { timestamp, tiebreaker: null, arrival },
      id: arrival,
      label: "",
    });
    holder.push(at(0, 5n));
    holder.push(at(1, 3n));
    assert.throws(
      () => holder.push(at(2, 4n)),
      (error: unknown) => error instanceof SpillError && error.message.includes(notADirectory),
    );
    assert.equal(holder.size, 3);
    holder.flush();
    assert.deepEqual(released, [1, 2, 0]);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

test("a budget must hold something", () => {
  assert.throws(() => new SpillBudget(0), RangeError);
  assert.throws(() => new SpillBudget(Number.NaN), RangeError);
});

test("the spill directory is made only when something is written", () => {
  const parent = scratchDir();
  try {
    const budget = new SpillBudget(10, parent);
    const holder = new ReorderBuffer<Item>(BATCH_LATENESS, 1, () => {}, { budget, codec: ITEM_CODEC });
    holder.push({ order: { timestamp: 0n, tiebreaker: null, arrival: 0 }, id: 0, label: "" });
    holder.flush();
    assert.equal(budget.directory, undefined);
    assert.deepEqual(readdirSync(parent), []);
    budget.close();
    assert.ok(existsSync(parent));
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});
