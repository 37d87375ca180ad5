import assert from "node:assert/strict";
import { test } from "node:test";
import { compileSuppressionGroup, suppress, suppressionWindowNs } from "../../src/engine/suppression.ts";

const group = compileSuppressionGroup({ group_by: ["host.name", "user.name"] }, "rule-uuid");

test("groups hash the group-by values with the rule; arrays stay arrays, missing is null", () => {
  const a = group({ host: { name: "h1" }, user: { name: "root" } })!;
  const b = group({ "host.name": "h1", user: { name: "root" } })!;
  assert.equal(a.instanceId, b.instanceId);
  assert.notEqual(a.instanceId, group({ host: { name: "h2" }, user: { name: "root" } })!.instanceId);
  assert.deepEqual(group({ host: { name: ["h1", "h2"] } })!.terms, [
    { field: "host.name", value: ["h1", "h2"] },
    { field: "user.name", value: null },
  ]);
  const other = compileSuppressionGroup({ group_by: ["host.name", "user.name"] }, "another-rule");
  assert.notEqual(other({ host: { name: "h1" }, user: { name: "root" } })!.instanceId, a.instanceId);
  const strict = compileSuppressionGroup(
    { group_by: ["host.name"], missing_fields_strategy: "doNotSuppress" },
    "r",
  );
  assert.equal(strict({}), null);
});

test("a field written both dotted and nested groups by its values, as rules match it", () => {
  const byProcess = compileSuppressionGroup({ group_by: ["process.name"] }, "rule-uuid");
  const [equalTwins, once, twins, reversed, array] = [
    '{"process.name":"bash","process":{"name":"bash"}}',
    '{"process":{"name":"bash"}}',
    '{"process.name":"bash","process":{"name":"sh"}}',
    '{"process":{"name":"bash"},"process.name":"sh"}',
    '{"process":{"name":["sh","bash","sh"]}}',
  ].map((line) => byProcess(JSON.parse(line))!);
  assert.deepEqual(equalTwins.terms, [{ field: "process.name", value: "bash" }]);
  assert.equal(equalTwins.instanceId, once.instanceId);
  assert.deepEqual(twins.terms, [{ field: "process.name", value: ["bash", "sh"] }]);
  assert.equal(twins.instanceId, reversed.instanceId);
  assert.equal(twins.instanceId, array.instanceId);
  assert.notEqual(twins.instanceId, once.instanceId);
  const mixed = compileSuppressionGroup({ group_by: ["x"] }, "r")({ x: ["b", 10, true, 9, "a", 10] })!;
  assert.deepEqual(mixed.terms, [{ field: "x", value: [true, 9, 10, "a", "b"] }]);
});

test("suppression keeps the first match per group within the window and counts the rest", () => {
  const g1 = group({ host: { name: "h1" } });
  const g2 = group({ host: { name: "h2" } });
  const s = 1_000_000_000n;
  const out = suppress(
    [
      { item: "a", time: 0n, group: g1 },
      { item: "b", time: 10n * s, group: g1 },
      { item: "c", time: 20n * s, group: g2 },
      { item: "d", time: 70n * s, group: g1 },
      { item: "e", time: 71n * s, group: null },
    ],
    suppressionWindowNs({ group_by: ["host.name"], duration: { value: 1, unit: "m" } }),
  );
  assert.deepEqual(
    out.map((x) => [x.first, x.group === null ? null : (x as { docsCount: number }).docsCount]),
    [
      ["a", 1],
      ["c", 0],
      ["d", 0],
      ["e", null],
    ],
  );
  const whole = suppress(
    [
      { item: "a", time: 0n, group: g1 },
      { item: "d", time: 70n * s, group: g1 },
    ],
    null,
  );
  assert.equal(whole.length, 1);
  assert.equal((whole[0] as { end: bigint }).end, 70n * s);
});
