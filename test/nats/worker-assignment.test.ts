import assert from "node:assert/strict";
import { test } from "node:test";
import { allPartitions, formatPartitionList, parsePartitionList } from "../../src/worker/partition-list.ts";
import { rendezvousOwner, rendezvousShare } from "../../src/worker/rendezvous.ts";

const KEYS = allPartitions(64).map((p) => (p === "global" ? p : `p${p}`));

test("rendezvous: every partition has exactly one owner and the share is roughly even", () => {
  const members = ["w1", "w2", "w3"];
  const shares = members.map((m) => rendezvousShare(m, KEYS, members));
  assert.deepEqual(shares.flat().sort(), [...KEYS].sort());
  for (const share of shares)
    assert.ok(share.length >= 12 && share.length <= 32, `uneven share: ${share.length}`);
  for (const key of KEYS)
    assert.equal(rendezvousOwner(key, [...members].reverse()), rendezvousOwner(key, members));
});

test("rendezvous: a member leaving moves only its partitions; one joining takes only from others", () => {
  const before = ["w1", "w2", "w3"];
  const after = ["w1", "w3"];
  for (const key of KEYS) {
    const was = rendezvousOwner(key, before);
    const now = rendezvousOwner(key, after);
    if (was !== "w2") assert.equal(now, was, key);
  }
  const joined = [...before, "w4"];
  let moved = 0;
  for (const key of KEYS) {
    const now = rendezvousOwner(key, joined);
    if (now !== rendezvousOwner(key, before)) {
      assert.equal(now, "w4", key);
      moved++;
    }
  }
  assert.ok(moved > 5 && moved < 30, `moved ${moved}`);
  // a worker that does not see itself among the members still counts itself
  assert.deepEqual(rendezvousShare("w9", ["p1"], []), ["p1"]);
});

test("partition lists: ranges, single partitions and global; errors name the problem", () => {
  assert.deepEqual(parsePartitionList("0-3, 7,global,2", 64), [0, 1, 2, 3, 7, "global"]);
  assert.throws(() => parsePartitionList("60-70", 64), /partition 70 is out of range: there are 64/);
  assert.throws(() => parsePartitionList("5-2", 64), /runs backwards/);
  assert.throws(() => parsePartitionList("abc", 64), /"abc" is neither a partition/);
  assert.throws(() => parsePartitionList(" , ", 64), /no partition listed/);
  assert.equal(formatPartitionList([3, 0, 1, 2, 7, "global", 9, 8]), "0-3,7-9,global");
  assert.equal(allPartitions(4).length, 5);
});
