import assert from "node:assert/strict";
import { afterEach, beforeEach, mock, test } from "node:test";
import v8 from "node:v8";
import { loadRulesAtStart } from "../../src/rules/load-at-start.ts";
import { loadRules } from "../../src/rules/load-rules.ts";
import { ruleToml, tempTree } from "./fixtures.ts";

// the flags are only recorded here, never set: the test process keeps its own JIT
let flags: string[] = [];
beforeEach(() => {
  flags = [];
  mock.method(v8, "setFlagsFromString", (flag: string) => {
    flags.push(flag);
  });
});
afterEach(() => mock.restoreAll());

const tree = () =>
  tempTree({
    "a.toml": ruleToml({ rule: { name: '"rule a"' } }),
    "b.toml": ruleToml({
      rule: { name: '"rule b"', rule_id: '"0b0b0b0b-0000-4000-8000-00000000000b"' },
      query: "process where process.nmae == 1",
    }),
  });

test("loads what loadRules loads, with TurboFan's inlining off during the load and on again after it", async () => {
  const { dir, cleanup } = tree();
  try {
    const loading = loadRulesAtStart([dir]);
    const flagsDuringLoad = [...flags];
    const atStart = await loading;
    assert.deepEqual(flagsDuringLoad, ["--no-turbo-inlining"]);
    assert.deepEqual(flags, ["--no-turbo-inlining", "--turbo-inlining"]);

    const plain = await loadRules([dir]);
    assert.deepEqual(
      atStart.rules.map((r) => [r.rule.name, r.query !== undefined]),
      [
        ["rule a", true],
        ["rule b", true],
      ],
    );
    assert.deepEqual(
      atStart.rules.map((r) => r.rule),
      plain.rules.map((r) => r.rule),
    );
    assert.deepEqual(atStart.diagnostics, plain.diagnostics);
    assert.equal(atStart.diagnostics[0]?.code, "unknown-field");
  } finally {
    cleanup();
  }
});

test("inlining is turned back on when the load throws", async () => {
  const paths = {
    [Symbol.iterator]() {
      throw new Error("paths that cannot be walked");
    },
  } as unknown as string[];
  await assert.rejects(loadRulesAtStart(paths), /paths that cannot be walked/);
  assert.deepEqual(flags, ["--no-turbo-inlining", "--turbo-inlining"]);
});

test("a process started with a JIT flag of its own keeps it: nothing is set", async () => {
  const { dir, cleanup } = tree();
  process.execArgv.push("--max-inlined-bytecode-size=100");
  try {
    const result = await loadRulesAtStart([dir]);
    assert.equal(result.rules.length, 2);
    assert.deepEqual(flags, []);
  } finally {
    process.execArgv.pop();
    cleanup();
  }
});
