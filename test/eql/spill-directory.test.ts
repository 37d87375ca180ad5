import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { basename, join } from "node:path";
import { test } from "node:test";
import { makeSpillDirectory } from "../../src/eql/correlate/spill-directory.ts";

const host = hostname().replace(/[^A-Za-z0-9.]/g, "_");

/** The id of a process that has exited. */
function exitedPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
    encoding: "utf8",
  });
  return Number(child.stdout);
}

test("a new spill directory is named for its process, and removes those of this host's processes that are gone", async () => {
  const parent = mkdtempSync(join(tmpdir(), "eqlite-spill-dir-"));
  const live = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60_000)"]);
  try {
    const dead = exitedPid();
    const abandoned = [`eqlite-spill-${host}-${dead}-a1B2c3`, `eqlite-spill-${host}-${dead}-zzzzzz`];
    const kept = [
      `eqlite-spill-${host}-${live.pid}-a1B2c3`, // running
      `eqlite-spill-another.host-${dead}-a1B2c3`, // another machine's: its pids are not ours to judge
      `eqlite-spill-${host}-${dead}-toolong7`, // not a name mkdtemp gave
      "eqlite-spill-test-a1B2c3",
      "unrelated",
    ];
    for (const name of [...abandoned, ...kept]) {
      mkdirSync(join(parent, name));
      writeFileSync(join(parent, name, "0.runs"), "[]");
    }
    const dir = makeSpillDirectory(parent);
    assert.match(
      basename(dir),
      new RegExp(`^eqlite-spill-${host.replace(/\./g, "\\.")}-${process.pid}-.{6}$`),
    );
    assert.deepEqual(readdirSync(parent).sort(), [...kept, basename(dir)].sort());
    // a second batch of this process keeps the first one's directory
    const second = makeSpillDirectory(parent);
    assert.deepEqual(readdirSync(parent).sort(), [...kept, basename(dir), basename(second)].sort());
  } finally {
    live.kill();
    rmSync(parent, { recursive: true, force: true });
  }
});

test("an unreadable parent only fails the making of the directory, with the system's error", () => {
  assert.throws(() => makeSpillDirectory(join(tmpdir(), "eqlite-no-such-dir", "x")), { code: "ENOENT" });
});
