import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseEventText } from "../../src/eql/event-text.ts";
import { StoredLines } from "../../src/io/stored-lines.ts";

const FIRST = '{"n":1,"name":"é"}';
const SECOND = '{"n":2}';

function storedFile(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-stored-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "events.ndjson");
  writeFileSync(path, `${FIRST}\n${SECOND}\n`);
  return { dir, path, lines: new StoredLines(path, statSync(path)) };
}

const secondStart = Buffer.byteLength(FIRST) + 1;

test("a stored line is read again from its place in the file, which may have grown since", (t) => {
  const { path, lines } = storedFile(t);
  assert.deepEqual(parseEventText(lines.line(secondStart, secondStart + SECOND.length)), { n: 2 });
  assert.deepEqual(parseEventText(lines.line(0, Buffer.byteLength(FIRST))), { n: 1, name: "é" });
  // a log still being written: what was held is still where it was
  appendFileSync(path, '{"n":3}\n');
  assert.deepEqual(parseEventText(lines.line(secondStart, secondStart + SECOND.length)), { n: 2 });
});

test("a file truncated or replaced since is an error, not another line", (t) => {
  const truncated = storedFile(t);
  writeFileSync(truncated.path, SECOND);
  assert.throws(() => truncated.lines.line(0, 1).read(), /events\.ndjson was replaced or truncated/);
  const replaced = storedFile(t);
  const other = join(replaced.dir, "other.ndjson");
  writeFileSync(other, `${SECOND}\n${FIRST}\n`);
  renameSync(other, replaced.path);
  assert.throws(() => replaced.lines.line(0, 1).read(), /events\.ndjson was replaced or truncated/);
});
