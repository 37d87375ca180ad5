import assert from "node:assert/strict";
import { test } from "node:test";
import { contentId } from "../../src/engine/source-identity.ts";
import { decodeEventMessage, encodeEventMessage, INDEX_HEADER } from "../../src/nats/event-message.ts";
import { partitionOf } from "../../src/nats/partition.ts";
import { consumerName, GLOBAL_PARTITION, parsePartitionKey, partitionKey } from "../../src/nats/records.ts";

test("an event message names its host's partition, carries index and document id, and decodes back", () => {
  const event = { "@timestamp": "2026-09-01T10:00:00Z", host: { id: "h-7" }, process: { name: "sh" } };
  const message = encodeEventMessage(event, { source: "bulk", line: 3, index: "logs-x-default" }, 16);
  assert.equal(message.partition, partitionOf("h-7", 16));
  assert.equal(message.subject, `eqlite.events.${message.partition}`);
  assert.equal(message.msgId, contentId(event));
  assert.equal(message.headers.get(INDEX_HEADER), "logs-x-default");
  const received = decodeEventMessage({ data: message.body, headers: message.headers, seq: 42 }, "p3");
  assert.deepEqual(received.event, event);
  assert.deepEqual(received.origin, {
    source: "p3",
    line: 42,
    index: "logs-x-default",
    id: contentId(event),
  });

  const withId = encodeEventMessage(event, { source: "bulk", line: 1, id: "doc-1" }, 16);
  assert.equal(withId.msgId, "doc-1");
  assert.equal(
    decodeEventMessage({ data: withId.body, headers: withId.headers, seq: 1 }, "p").origin.index,
    undefined,
  );
  assert.throws(
    () => decodeEventMessage({ data: Buffer.from("[1]"), seq: 9 }, "p5"),
    /p5 message 9: not a JSON object/,
  );
});

test("partition keys and per-epoch consumer names", () => {
  assert.equal(partitionKey(12), "p12");
  assert.equal(partitionKey(GLOBAL_PARTITION), "global");
  assert.equal(parsePartitionKey("p12"), 12);
  assert.equal(parsePartitionKey("global"), GLOBAL_PARTITION);
  assert.equal(parsePartitionKey("px"), undefined);
  assert.equal(consumerName(5, 9), "part-5-e9");
  assert.equal(consumerName(GLOBAL_PARTITION, 2), "global-e2");
});
