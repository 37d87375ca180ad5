import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { followFile } from "../../src/io/follow-file.ts";

test("follows appended bytes, restarts after truncation, stops on abort", async () => {
  const file = join(mkdtempSync(join(tmpdir(), "eqlite-follow-")), "growing.ndjson");
  writeFileSync(file, "one\n");
  const controller = new AbortController();
  const seen: string[] = [];
  const reading = (async () => {
    for await (const chunk of followFile(file, { pollMs: 10, signal: controller.signal })) {
      seen.push(chunk.toString());
      if (seen.join("").includes("three")) controller.abort();
    }
  })();
  await new Promise((r) => setTimeout(r, 50));
  appendFileSync(file, "two\n");
  await new Promise((r) => setTimeout(r, 50));
  writeFileSync(file, "three\n");
  await reading;
  assert.deepEqual(seen.join("").split("\n").filter(Boolean), ["one", "two", "three"]);
});
