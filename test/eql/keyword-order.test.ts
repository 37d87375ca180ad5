import assert from "node:assert/strict";
import { test } from "node:test";
import { compareKeywords } from "../../src/eql/keyword-order.ts";

test("keywords order by code point, as their UTF-8 bytes do, not by UTF-16 code unit", () => {
  const sorted = [
    "",
    "A",
    "a",
    "ab",
    "é",
    "\u{D7FF}",
    "\u{E000}",
    "～",
    "\u{FFFF}",
    "\u{10000}",
    "😀",
    "😀a",
  ];
  const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  assert.deepEqual([...sorted].sort(byBytes), sorted);
  assert.deepEqual([...sorted].reverse().sort(compareKeywords), sorted);
  for (const a of sorted) {
    for (const b of sorted) assert.equal(Math.sign(compareKeywords(a, b)), byBytes(a, b), `${a} vs ${b}`);
  }
});
