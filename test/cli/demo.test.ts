import assert from "node:assert/strict";
import { test } from "node:test";
import { runCli } from "./run-cli.ts";

test("eqlite alone runs the demo: bundled rules over simulated telemetry, attack stories alert", () => {
  const r = runCli(["--help"]);
  assert.equal(r.code, 0);
  const demo = runCli(["demo", "--events", "4000", "--format", "summary"]);
  assert.equal(demo.code, 0, demo.stderr);
  assert.match(demo.stderr, /^eqlite demo: the bundled rules/);
  assert.match(demo.stdout, /Interactive Shell Started by kubectl exec in a Container/);
  assert.match(demo.stderr, /4000 events read, 0 malformed lines skipped, \d+ alerts from 12 rules/);
  const again = runCli(["demo", "--events", "4000", "--format", "summary"]);
  assert.equal(again.stdout, demo.stdout, "the same seed gives the same alerts");
});
