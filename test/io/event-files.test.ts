import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { eventFilesOf, InputPathError } from "../../src/io/event-files.ts";

const root = mkdtempSync(join(tmpdir(), "eqlite-event-files-"));
const touch = (...parts: string[]) => {
  const path = join(root, ...parts);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, "{}\n");
  return path;
};

test("a directory stands for its event files, walked in name order; named files for themselves", () => {
  const expected = [
    touch("bundle", "a.json"),
    touch("bundle", "b", "events.jsonl.zst"),
    touch("bundle", "b", "z.NDJSON"),
    touch("bundle", "c.ndjson.gz"),
  ];
  touch("bundle", ".git", "x.ndjson");
  touch("bundle", "notes.txt");
  touch("bundle", "events.ndjson.bak");
  // links are followed, each directory once: a link back up does not walk for ever
  symlinkSync(join(root, "bundle"), join(root, "bundle", "b", "loop"));
  touch("elsewhere", "node-c.ndjson");
  symlinkSync(join(root, "elsewhere"), join(root, "bundle", "d"));
  const named = touch("named.log");
  assert.deepEqual(eventFilesOf([join(root, "bundle")]), [
    ...expected,
    join(root, "bundle", "d", "node-c.ndjson"),
  ]);
  assert.deepEqual(eventFilesOf(["-", named, join(root, "missing.ndjson")]), [
    "-",
    named,
    join(root, "missing.ndjson"),
  ]);
});

test("a directory without event files is an error that names it", () => {
  const empty = join(root, "empty");
  mkdirSync(empty);
  touch("empty", "README.md");
  assert.throws(
    () => eventFilesOf([empty]),
    (error: Error) => {
      assert.ok(error instanceof InputPathError);
      assert.match(error.message, /empty holds no event files/);
      return true;
    },
  );
});

test("a named pipe met in a directory's walk is said, not opened (it would wait for a writer); one that is not an event file is passed over", (t) => {
  const dir = join(root, "with-pipe");
  touch("with-pipe", "a.ndjson");
  const made = spawnSync("mkfifo", [join(dir, "live.ndjson"), join(dir, "other.pipe")]);
  if (made.status !== 0) return t.skip("no mkfifo here");
  assert.throws(
    () => eventFilesOf([dir]),
    (error: Error) =>
      error instanceof InputPathError &&
      error.message ===
        `${join(dir, "live.ndjson")} is a named pipe, not a file: name it to read it, or move it out of ${dir}`,
  );
  rmSync(join(dir, "live.ndjson"));
  assert.deepEqual(eventFilesOf([dir]), [join(dir, "a.ndjson")]);
  // named, a pipe is read as the user asked (`<(zcat …)` is one)
  assert.deepEqual(eventFilesOf([join(dir, "other.pipe")]), [join(dir, "other.pipe")]);
});
