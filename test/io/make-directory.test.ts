import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { makeDirectory } from "../../src/io/make-directory.ts";

const dir = mkdtempSync(join(tmpdir(), "eqlite-mkdir-"));
const code = (run: () => void): string | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code;
  }
};

test("makes every missing level, and is content when the directory is there", () => {
  const deep = join(dir, "a", "b", "c");
  makeDirectory(deep);
  assert.ok(statSync(deep).isDirectory());
  makeDirectory(deep);
  makeDirectory(join(dir, "a"));
  assert.ok(statSync(deep).isDirectory());
});

test("a file in the way is an error, on the path or above it", () => {
  const file = join(dir, "file");
  writeFileSync(file, "");
  assert.equal(
    code(() => makeDirectory(file)),
    "EEXIST",
  );
  assert.equal(
    code(() => makeDirectory(join(file, "below"))),
    "ENOTDIR",
  );
});

test("a parent that cannot hold directories is an error, not a loop", {
  skip: !existsSync("/proc/self") && "no /proc here",
}, () => {
  // in a process of its own, with a time limit: a regression to Node's recursive mkdir would spin for ever
  const module = fileURLToPath(new URL("../../src/io/make-directory.ts", import.meta.url));
  const script = `import { makeDirectory } from ${JSON.stringify(module)};
    try { makeDirectory("/proc/eqlite-test/data"); } catch (error) { process.stdout.write(error.code); }`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    encoding: "utf8",
    timeout: 20_000,
  });
  assert.equal(r.signal, null, "makeDirectory did not return within 20 s");
  assert.equal(r.stdout, "ENOENT", r.stderr);
});
