import assert from "node:assert/strict";
import { test } from "node:test";
import { EVENT_POSITION, type EventWithPosition, eqlSearch } from "../../src/index.ts";

test("an event's EVENT_POSITION is its hit id, and the events after it are numbered from there", async () => {
  const at = (position: number | undefined, name: string): EventWithPosition => {
    const event: EventWithPosition = { "@timestamp": 1, event: { category: "process" }, process: { name } };
    if (position !== undefined) event[EVENT_POSITION] = position;
    return event;
  };
  const response = await eqlSearch(
    [{ name: "events", events: [at(undefined, "a"), at(5, "b"), at(undefined, "c")] }],
    {
      query: "process where true",
    },
  );
  assert.deepEqual(
    response.hits.events?.map((hit) => [hit._id, (hit._source.process as { name: string }).name]),
    [
      ["0", "a"],
      ["5", "b"],
      ["6", "c"],
    ],
  );
});
