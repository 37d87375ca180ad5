import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseEventText } from "../../src/eql/event-text.ts";
import { StoredLines } from "../../src/io/stored-lines.ts";

test("a stored line is read again from its place in the file, and a file changed since is an error", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-stored-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "events.ndjson");
  const first = '{"n":1,"name":"é"}';
  const second = '{"n":2}';
  writeFileSync(path, `${first}\n${second}\n`);
  const { size, mtimeMs } = statSync(path);
  const lines = new StoredLines(path, size, mtimeMs);
  const start = Buffer.byteLength(first) + 1;
  assert.deepEqual(parseEventText(lines.line(start, start + second.length)), { n: 2 });
  assert.deepEqual(parseEventText(lines.line(0, Buffer.byteLength(first))), { n: 1, name: "é" });
  appendFileSync(path, '{"n":3}\n');
  assert.throws(() => lines.line(0, 1).read(), /events\.ndjson changed while it was being scanned/);
});
