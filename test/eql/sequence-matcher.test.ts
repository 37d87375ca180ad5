import assert from "node:assert/strict";
import { test } from "node:test";
import { type SequenceEvent, SequenceMatcher } from "../../src/eql/correlate/sequence-matcher.ts";

const SECOND = 1_000_000_000n;
const DAY = 86_400n * SECOND;

/** An event at `second` s that matches `stage` of a sequence of `stages` (two by default) under `key`. */
function hit(second: number, stage: number, key: string, stages = 2): SequenceEvent<number> {
  const keys = [{ id: key, values: [key] }];
  return {
    item: second,
    order: { timestamp: BigInt(second) * SECOND, tiebreaker: null, arrival: second },
    stageKeys: Array.from({ length: stages }, (_, i) => (i === stage ? keys : undefined)),
  };
}

/** The matcher's keys, counting how often something walks all of them. */
function watchKeys(matcher: SequenceMatcher<number>): { keys: Map<string, unknown>; walks: () => number } {
  const keys = (matcher as unknown as { states: Map<string, unknown> }).states;
  let walks = 0;
  const entries = keys.entries.bind(keys);
  keys[Symbol.iterator] = () => {
    walks++;
    return entries();
  };
  return { keys, walks: () => walks };
}

test("expire walks no key while no open partial can be past maxspan, and drops those that are", () => {
  const completed: number[][] = [];
  const matcher = new SequenceMatcher<number>(2, 1000n * DAY, (c) => completed.push(c.events));
  const { keys, walks } = watchKeys(matcher);
  for (let i = 0; i < 1000; i++) matcher.push(hit(i, 0, `k${i}`));
  // 1,000 open keys: under a long maxspan, a sweep every few hundred events walked them all for nothing
  matcher.expire(5000n * SECOND);
  matcher.expire(999n * DAY);
  assert.equal(walks(), 0);
  assert.equal(matcher.stats.expired, 0);
  // past the span of the oldest: one walk, which expires exactly those past it
  matcher.expire(1000n * DAY + 500n * SECOND);
  assert.equal(walks(), 1);
  assert.equal(matcher.stats.expired, 500);
  assert.equal(keys.size, 500);
  matcher.expire(1000n * DAY + 999n * SECOND);
  assert.equal(walks(), 2);
  assert.equal(matcher.stats.expired, 999);
  assert.deepEqual(completed, []);
});

test("a key whose partials all complete or die is dropped at once, not at the next sweep", () => {
  const completed: number[][] = [];
  const matcher = new SequenceMatcher<number>(2, 10n * SECOND, (c) => completed.push(c.events));
  const { keys } = watchKeys(matcher);
  matcher.push(hit(1, 0, "a"));
  matcher.push(hit(2, 0, "b"));
  matcher.push(hit(3, 1, "a")); // completes a
  matcher.push(hit(30, 1, "b")); // b's partial is past maxspan
  assert.deepEqual(completed, [[1, 3]]);
  assert.equal(matcher.stats.expired, 1);
  assert.equal(matcher.stats.open, 0);
  assert.equal(keys.size, 0);
});

test("at the cap, each eviction takes the key least recently advanced, also across evictions", () => {
  const completed: string[] = [];
  const matcher = new SequenceMatcher<number>(3, null, (c) => completed.push(c.key.id), {
    maxOpenPartials: 3,
  });
  let second = 0;
  const push = (stage: number, key: string) => matcher.push(hit(++second, stage, key, 3));
  for (const key of ["a", "b", "c"]) push(0, key);
  push(1, "a"); // stalest first: b, c, a
  push(0, "d"); // evicts b: c, a, d
  push(1, "c"); // a, d, c
  push(0, "e"); // evicts a: d, c, e
  push(0, "f"); // evicts d: c, e, f
  assert.equal(matcher.stats.evicted, 3);
  for (const key of ["a", "b", "c", "d", "e", "f"]) {
    push(1, key);
    push(2, key);
  }
  assert.deepEqual(completed, ["c", "e", "f"]);
});

test("a partial shares the events of the partial it extends instead of copying them", () => {
  const stages = 256;
  const completed: number[][] = [];
  const matcher = new SequenceMatcher<number>(stages, null, (c) => completed.push(c.events));
  const keys = [{ id: "k", values: ["k"] }];
  const every = (second: number): SequenceEvent<number> => ({
    item: second,
    order: { timestamp: BigInt(second) * SECOND, tiebreaker: null, arrival: second },
    stageKeys: Array.from({ length: stages }, () => keys),
  });
  const slots = () =>
    (matcher as unknown as { states: Map<string, { slots: unknown[] }> }).states.get("k")!.slots;
  for (let i = 0; i < stages - 1; i++) matcher.push(every(i));
  const before = [...slots()];
  matcher.push(every(stages - 1));
  // every stage's new partial is one link onto the one it extended, whatever the stage
  const after = slots() as Array<{ previous?: unknown }>;
  for (let stage = 1; stage < stages - 1; stage++) assert.equal(after[stage].previous, before[stage - 1]);
  assert.deepEqual(completed, [Array.from({ length: stages }, (_, i) => i)]);
});

test("with a window span, a sequence's events lie within it of each other in window time: one too far leaves the partial for another, and partials fall out of the window as it moves", () => {
  const completed: number[][] = [];
  const matcher = new SequenceMatcher<number>(2, null, (c) => completed.push(c.events), {
    maxOpenPartials: 100,
    windowSpanNs: 60n * SECOND,
  });
  /** `hit` ingested at `ingested` s */
  const at = (second: number, stage: number, key: string, ingested: number) => ({
    ...hit(second, stage, key),
    window: BigInt(ingested) * SECOND,
  });
  // k1: dated hours apart, ingested together (an agent's backlog): one run's
  matcher.push(at(0, 0, "k1", 10_000));
  matcher.push(at(7200, 1, "k1", 10_030));
  // k2: a second apart, ingested ten minutes apart: no run holds both, and the partial waits
  matcher.push(at(7201, 0, "k2", 10_000));
  matcher.push(at(7202, 1, "k2", 10_600));
  assert.deepEqual(completed, [[0, 7200]]);
  matcher.push(at(7203, 1, "k2", 10_050));
  assert.deepEqual(completed, [
    [0, 7200],
    [7201, 7203],
  ]);
  matcher.push(at(7204, 0, "k3", 10_000));
  matcher.expire(7204n * SECOND, 10_060n * SECOND);
  assert.equal(matcher.openPartials, 1, "within the window span of the window watermark");
  matcher.expire(7204n * SECOND, 10_061n * SECOND);
  assert.equal(matcher.openPartials, 0);
  assert.equal(matcher.stats.expired, 1);
});
