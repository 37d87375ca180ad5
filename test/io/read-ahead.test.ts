import assert from "node:assert/strict";
import { test } from "node:test";
import { readAhead } from "../../src/io/read-ahead.ts";

async function* stream(sizes: number[]) {
  for (const [i, size] of sizes.entries()) yield Buffer.alloc(size, i);
}

const collect = async (chunks: AsyncIterable<Buffer>) => {
  const all: Buffer[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return Buffer.concat(all);
};

test("what is read ahead is given again, then the rest; whether the stream ended is said", async () => {
  const whole = await collect(stream([3, 4, 5, 6]));
  const short = await readAhead(stream([3, 4, 5, 6]), 100);
  assert.equal(short.ended, true);
  assert.deepEqual(await collect(short.chunks), whole);
  const long = await readAhead(stream([3, 4, 5, 6]), 7);
  assert.equal(long.ended, false);
  assert.deepEqual(await collect(long.chunks), whole);
  const empty = await readAhead(stream([]), 7);
  assert.equal(empty.ended, true);
  assert.equal((await collect(empty.chunks)).length, 0);
});
