import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { linkedDirectoriesUnder } from "../../src/io/files-under.ts";
import { watchRules } from "../../src/server/rules-watcher.ts";

function tree(t: { after(fn: () => void): void }) {
  const base = mkdtempSync(join(tmpdir(), "eqlite-rules-watch-"));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const rules = join(base, "rules");
  const shared = join(base, "shared-pack");
  mkdirSync(rules);
  mkdirSync(join(shared, "linux"), { recursive: true });
  return { base, rules, shared };
}

/** Resolves with how many reloads were asked for once `act` has run and things are quiet again. */
async function reloadsAfter(rules: string, act: () => void): Promise<number> {
  let reloads = 0;
  const errors: string[] = [];
  const watcher = watchRules(
    [rules],
    50,
    () => reloads++,
    (path, error) => errors.push(`${path}: ${error}`),
  );
  try {
    await new Promise((r) => setTimeout(r, 100));
    act();
    const deadline = Date.now() + 3000;
    while (reloads === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    assert.deepEqual(errors, []);
    return reloads;
  } finally {
    watcher.close();
  }
}

test("linked directories outside the rule path are found, each once, and links inside it are not", (t) => {
  const { rules, shared } = tree(t);
  symlinkSync(shared, join(rules, "pack"));
  symlinkSync(shared, join(rules, "pack-again"));
  mkdirSync(join(rules, "own"));
  symlinkSync(join(rules, "own"), join(rules, "own-link"));
  assert.deepEqual(linkedDirectoriesUnder(rules), [shared]);
  assert.deepEqual(linkedDirectoriesUnder(join(rules, "missing")), []);
});

test("a rule written deep inside a linked directory reloads the rules", async (t) => {
  const { rules, shared } = tree(t);
  symlinkSync(shared, join(rules, "pack"));
  const reloads = await reloadsAfter(rules, () => writeFileSync(join(shared, "linux", "new.toml"), "x"));
  assert.equal(reloads, 1);
});

test("a directory linked in after the start is watched from the next reload on", async (t) => {
  const { rules, shared } = tree(t);
  let reloads = 0;
  const watcher = watchRules(
    [rules],
    50,
    () => reloads++,
    () => {},
  );
  t.after(() => watcher.close());
  const settled = async (count: number) => {
    const deadline = Date.now() + 3000;
    while (reloads < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    assert.equal(reloads, count);
  };
  await new Promise((r) => setTimeout(r, 100));
  symlinkSync(shared, join(rules, "pack"));
  await settled(1);
  writeFileSync(join(shared, "linux", "new.toml"), "x");
  await settled(2);
});
