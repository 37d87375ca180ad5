import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { filesUnder } from "../../src/io/files-under.ts";
import { makePathTooLong, removeTree } from "./too-long-path.ts";

const root = mkdtempSync(join(tmpdir(), "eqlite-files-under-"));
test.after(() => removeTree(root));

test("a directory that cannot be read is handed to the caller, and the walk goes on", () => {
  mkdirSync(join(root, "a"));
  writeFileSync(join(root, "a", "events.ndjson"), "{}\n");
  makePathTooLong(root);
  writeFileSync(join(root, "z.ndjson"), "{}\n");
  // a link that leads round in a circle is no directory: given as a file, for its reader to report
  symlinkSync("self.ndjson", join(root, "self.ndjson"));
  const unreadable: string[] = [];
  const files = filesUnder(root, (dir, error) =>
    unreadable.push(`${dir.length > 4096 ? "too long" : dir}: ${error.code}`),
  );
  assert.deepEqual(files, [
    join(root, "a", "events.ndjson"),
    join(root, "self.ndjson"),
    join(root, "z.ndjson"),
  ]);
  assert.deepEqual(unreadable, ["too long: ENAMETOOLONG"]);
  assert.throws(() => filesUnder(root), { code: "ENAMETOOLONG" });
});
