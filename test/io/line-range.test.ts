import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "node:test";
import fc from "fast-check";
import { rangeScratch, readLineRange } from "../../src/io/line-range.ts";

/**
 * A file cut into ranges at any offsets, each read by itself: every line comes out exactly
 * once, in order, whole — from the range its first byte is in — and a line over the limit
 * is left out and counted where it stands; whether a range's last line ends within the
 * bytes read past its end, after them, or at the end of the file; and whether each range is read
 * into fresh memory or into the memory the range before it was read into.
 */

const dir = mkdtempSync(join(tmpdir(), "eqlite-line-range-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const line = fc.oneof(
  fc.string({ maxLength: 12 }).map((s) => s.replace(/\n/g, " ")),
  fc.constantFrom("", "{}", "é€😀"),
  fc.integer({ min: 20, max: 60 }).map((n) => "x".repeat(n)),
);

test("every line once, in order, from the range it starts in", () => {
  fc.assert(
    fc.property(
      fc.array(line, { maxLength: 30 }),
      fc.boolean(),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 8, max: 100 }),
      fc.integer({ min: 0, max: 50 }),
      // ranges read into fresh memory each, or all into one that a range grows when it needs more
      fc.boolean(),
      (lines, finalNewline, rangeBytes, maxLine, overread, reuse) => {
        const text = lines.join("\n") + (finalNewline && lines.length > 0 ? "\n" : "");
        const bytes = Buffer.from(text, "utf8");
        const path = join(dir, "lines.ndjson");
        writeFileSync(path, bytes);
        const fd = openSync(path, "r");
        const got: string[] = [];
        const scratch = reuse ? rangeScratch() : undefined;
        try {
          for (let start = 0; start < bytes.length; start += rangeBytes) {
            const range = readLineRange(fd, start, Math.min(bytes.length, start + rangeBytes), maxLine, {
              overread,
              scratch,
            });
            // where the lines are in the file, so that they can be read again from there
            const atOffset = bytes.subarray(range.offset, range.offset + range.bytes.length);
            assert.ok(atOffset.equals(range.bytes), `offset ${range.offset} of range at ${start}`);
            const rangeEnd = range.offset + range.bytes.length;
            // whole lines: each ends with its newline, but for the file's last
            if (range.bytes.length > 0 && rangeEnd < bytes.length)
              assert.equal(range.bytes[range.bytes.length - 1], 0x0a, `range at ${start} ends mid-line`);
            // a line read on past the range's end is one that fits
            if (rangeEnd > start + rangeBytes) {
              const body = range.bytes.subarray(
                0,
                range.bytes.length - (range.bytes.at(-1) === 0x0a ? 1 : 0),
              );
              const lastLine = body.subarray(body.lastIndexOf(0x0a) + 1);
              assert.ok(
                lastLine.length <= maxLine,
                `range at ${start} read on through a line over the limit`,
              );
            }
            const text = range.bytes.toString("utf8");
            if (text !== "") {
              const parts = text.split("\n");
              if (parts[parts.length - 1] === "") parts.pop();
              got.push(...parts);
            }
            if (range.lastTooLong) got.push("<too long>");
          }
        } finally {
          closeSync(fd);
        }
        const expected = text === "" ? [] : text.split("\n");
        if (expected[expected.length - 1] === "") expected.pop();
        // lines that fit are whole; the ones over the limit may come out as "<too long>"
        assert.equal(got.length, expected.length, JSON.stringify({ got, expected }));
        got.forEach((g, i) => {
          if (g === "<too long>") assert.ok(Buffer.byteLength(expected[i], "utf8") > maxLine);
          else assert.equal(g, expected[i]);
        });
      },
    ),
    { numRuns: 500 },
  );
});
