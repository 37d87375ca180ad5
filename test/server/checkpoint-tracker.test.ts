import assert from "node:assert/strict";
import { test } from "node:test";
import { CheckpointTracker } from "../../src/server/checkpoint-tracker.ts";

test("the checkpoint is the lowest seq still needed by the engine or by alerts in flight", () => {
  const tracker = new CheckpointTracker(10);
  assert.equal(tracker.lowestNeeded(), 10, "nothing processed yet");
  tracker.processedThrough(19);
  assert.equal(tracker.lowestNeeded(), 20);
  assert.equal(tracker.lowestNeeded(12), 12, "an open sequence began at seq 12");

  const releaseA = tracker.hold(15); // an alert batch from events 15.. not yet written by every sink
  const releaseB = tracker.hold(15);
  const releaseC = tracker.hold(18);
  assert.equal(tracker.lowestNeeded(), 15);
  releaseA();
  releaseA(); // twice is once
  assert.equal(tracker.lowestNeeded(), 15);
  releaseB();
  assert.equal(tracker.lowestNeeded(), 18);
  releaseC();
  assert.equal(tracker.lowestNeeded(), 20);
  tracker.processedThrough(5); // never goes back
  assert.equal(tracker.lowestNeeded(), 20);
});
