import assert from "node:assert/strict";
import { test } from "node:test";
import { StoreSink } from "../../src/io/sinks/store-sink.ts";
import { AlertStore } from "../../src/server/store.ts";
import { eventAlert } from "../server/alerts.ts";

test("the store sink inserts alerts and counts the duplicates a replay brings", async (t) => {
  const store = AlertStore.open(":memory:");
  t.after(() => store.close());
  const sink = new StoreSink(store);
  const alerts = [eventAlert({ pid: 1 }), eventAlert({ pid: 2 })];
  await sink.write(alerts);
  await sink.write([alerts[1], eventAlert({ pid: 3 })]);
  await sink.close();
  assert.deepEqual({ inserted: sink.inserted, duplicates: sink.duplicates }, { inserted: 3, duplicates: 1 });
  assert.equal(store.countAlerts(), 3, "closing the sink leaves the store open");
  assert.equal(sink.name, "store");
});
