import assert from "node:assert/strict";
import { test } from "node:test";
import { WriteAheadLog } from "../../src/server/wal.ts";
import { replayBatches } from "../../src/server/wal-replay.ts";
import { tempDir } from "./alerts.ts";

test("replay gives each event's origin as accepted, with when it came; a record written before that was kept replays without it, and one that is not a time is dropped", async (t) => {
  const wal = await WriteAheadLog.open({ dir: await tempDir(t) });
  t.after(() => wal.close());
  const event = { "@timestamp": "2026-09-01T10:00:00Z" };
  await wal.append([
    { event, origin: { source: "bulk", line: 1, index: "logs-a", receivedAt: 1_788_256_800_000 } },
    // as an older eqlite wrote it
    { event, origin: { source: "bulk", line: 2, index: "logs-a" } },
    { event, origin: { source: "bulk", line: 3, receivedAt: "yesterday" } },
  ]);
  const origins = [];
  for await (const { batch } of replayBatches(wal, 10, () => assert.fail("nothing is skipped")))
    origins.push(...batch.items.map((i) => i.origin));
  assert.deepEqual(origins, [
    { source: "bulk", line: 1, index: "logs-a", receivedAt: 1_788_256_800_000 },
    { source: "bulk", line: 2, index: "logs-a" },
    { source: "bulk", line: 3 },
  ]);
});
