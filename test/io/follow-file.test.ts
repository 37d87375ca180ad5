import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { appendFileSync, mkdtempSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { FILE_STARTS, followFile } from "../../src/io/follow-file.ts";

const freshFile = () => join(mkdtempSync(join(tmpdir(), "eqlite-follow-")), "growing.ndjson");

/**
 * Follows `file` until `last` has been read, doing `steps` (each after the text before it is seen);
 * where a file starts again (truncated, rotated) the text has a `|`.
 */
async function follow(
  file: string,
  pollMs: number,
  steps: [seen: string, step: () => void][],
  last: string,
  rotatedQuietMs = 100,
) {
  const controller = new AbortController();
  let text = "";
  for await (const chunk of followFile(file, { pollMs, rotatedQuietMs, signal: controller.signal })) {
    text += chunk === FILE_STARTS ? "|" : chunk.toString();
    while (steps.length > 0 && text.includes(steps[0][0])) steps.shift()?.[1]();
    if (text.includes(last)) controller.abort();
  }
  return text;
}

test("follows appended bytes, restarts after truncation, stops on abort", async () => {
  const file = freshFile();
  writeFileSync(file, "one\n");
  const text = await follow(
    file,
    10,
    [
      ["one\n", () => setTimeout(() => appendFileSync(file, "two\n"), 30)],
      ["two\n", () => setTimeout(() => writeFileSync(file, "three\n"), 30)],
    ],
    "three\n",
  );
  assert.equal(text, "one\ntwo\n|three\n");
});

test("a file truncated and written past where it was read (copytruncate, a fast writer) is read again from its start", async () => {
  const file = freshFile();
  writeFileSync(file, '{"n":1}\n');
  const text = await follow(
    file,
    200,
    [
      [
        '{"n":1}\n',
        // within one poll: the file never looks shorter than what was read
        () => writeFileSync(file, '{"n":2,"pad":"x"}\n{"n":3}\n'),
      ],
    ],
    '{"n":3}\n',
  );
  assert.equal(text, '{"n":1}\n|{"n":2,"pad":"x"}\n{"n":3}\n');
});

test("a rotated file is read to its end before the new one, whose start is marked", async () => {
  const file = freshFile();
  writeFileSync(file, "one\n");
  const text = await follow(
    file,
    200,
    [
      [
        "one\n",
        () => {
          // all within one poll: what the writer adds just before the rename is still read
          appendFileSync(file, "two\nthr");
          renameSync(file, `${file}.1`);
          writeFileSync(file, "four\n");
        },
      ],
    ],
    "four\n",
  );
  assert.equal(text, "one\ntwo\nthr|four\n");
});

test("while the path names nothing, the old file is kept, and the new one is read when it comes", async () => {
  const file = freshFile();
  writeFileSync(file, "one\n");
  const text = await follow(
    file,
    10,
    [
      [
        "one\n",
        () => {
          renameSync(file, `${file}.1`);
          setTimeout(() => appendFileSync(`${file}.1`, "two\n"), 50);
          setTimeout(() => writeFileSync(file, "three\n"), 150);
        },
      ],
    ],
    "three\n",
  );
  assert.equal(text, "one\ntwo\n|three\n");
});

test("a writer that goes on writing to the rotated file until it opens the new one loses no line", async () => {
  const file = freshFile();
  writeFileSync(file, "one\n");
  const text = await follow(
    file,
    10,
    [
      [
        "one\n",
        () => {
          renameSync(file, `${file}.1`);
          writeFileSync(file, "three\n");
          // logrotate's postrotate has not told the writer yet: the new file is there, and seen
          setTimeout(() => appendFileSync(`${file}.1`, "two\n"), 100);
        },
      ],
    ],
    "three\n",
    1_000,
  );
  assert.equal(text, "one\ntwo\n|three\n");
});

test("files rotated again while the one before them is still read are read in their turn", async () => {
  const file = freshFile();
  writeFileSync(file, "one\n");
  const text = await follow(
    file,
    10,
    [
      [
        "one\n",
        () => {
          renameSync(file, `${file}.1`);
          writeFileSync(file, "two\n");
          setTimeout(() => {
            renameSync(file, `${file}.2`);
            writeFileSync(file, "three\n");
          }, 100);
          setTimeout(() => {
            renameSync(file, `${file}.3`);
            writeFileSync(file, "four\n");
          }, 200);
        },
      ],
    ],
    "four\n",
    500,
  );
  assert.equal(text, "one\n|two\n|three\n|four\n");
});

test("a file replaced faster than it goes quiet (each version renamed over the last) is read version by version, not a quiet wait each", async () => {
  const file = freshFile();
  writeFileSync(file, "v0\n");
  // the old follower waited 2 s of quiet per version, 40 s in all: stopped at 15
  const controller = new AbortController();
  const deadline = setTimeout(() => controller.abort(), 15_000);
  let text = "";
  let version = 0;
  const replace = setInterval(() => {
    if (++version > 20) return clearInterval(replace);
    writeFileSync(`${file}.tmp`, `v${version}\n`);
    renameSync(`${file}.tmp`, file);
  }, 15);
  // each version is read to its end and left once the next is there; only the last one's
  // predecessor is waited for, 2 s of quiet
  for await (const chunk of followFile(file, {
    pollMs: 10,
    rotatedQuietMs: 2_000,
    signal: controller.signal,
  })) {
    text += chunk === FILE_STARTS ? "|" : chunk.toString();
    if (text.includes("v20\n")) controller.abort();
  }
  clearInterval(replace);
  clearTimeout(deadline);
  const versions = text.split("|").filter(Boolean);
  assert.ok(versions.length >= 2, text);
  // in order, each once, none cut: a poll may miss a version replaced before it looked
  const numbers = versions.map((v) => Number(/^v(\d+)\n$/.exec(v)?.[1]));
  assert.ok(
    numbers.every((n, i) => Number.isInteger(n) && (i === 0 || n > numbers[i - 1])),
    text,
  );
  assert.equal(numbers.at(-1), 20);
});

test("a rotated file written to for ever (a second writer that never reopens) is left after rotatedLongestMs for the new one", async () => {
  const file = freshFile();
  writeFileSync(file, "one\n");
  const controller = new AbortController();
  const deadline = setTimeout(() => controller.abort(), 15_000);
  let text = "";
  let keepWriting: NodeJS.Timeout | undefined;
  for await (const chunk of followFile(file, {
    pollMs: 10,
    rotatedQuietMs: 200,
    rotatedLongestMs: 500,
    signal: controller.signal,
  })) {
    text += chunk === FILE_STARTS ? "|" : chunk.toString();
    if (keepWriting === undefined && text.includes("one\n")) {
      renameSync(file, `${file}.1`);
      writeFileSync(file, "new\n");
      keepWriting = setInterval(() => appendFileSync(`${file}.1`, "old\n"), 20);
    }
    if (text.includes("new\n")) controller.abort();
  }
  clearInterval(keepWriting);
  clearTimeout(deadline);
  assert.match(text, /^one\n(old\n)+\|new\n$/);
});

test("a path that names nothing yet is waited for, said once, and read from its start when it comes", async () => {
  const file = freshFile();
  const controller = new AbortController();
  let waits = 0;
  let text = "";
  for await (const chunk of followFile(file, {
    pollMs: 10,
    signal: controller.signal,
    onWaiting: () => {
      waits++;
      setTimeout(() => writeFileSync(file, "one\n"), 100);
    },
  })) {
    text += String(chunk);
    if (text.includes("one\n")) controller.abort();
  }
  assert.equal(text, "one\n");
  assert.equal(waits, 1);
});

test("waiting for a path that never comes ends on abort", async () => {
  const controller = new AbortController();
  const chunks: unknown[] = [];
  for await (const chunk of followFile(freshFile(), {
    pollMs: 10,
    signal: controller.signal,
    onWaiting: () => setTimeout(() => controller.abort(), 50),
  }))
    chunks.push(chunk);
  assert.deepEqual(chunks, []);
});

test("polling does not pile listeners on the signal", async () => {
  const file = freshFile();
  writeFileSync(file, "one\n");
  const controller = new AbortController();
  const reading = (async () => {
    for await (const _ of followFile(file, { pollMs: 1, signal: controller.signal }));
  })();
  await sleep(300);
  assert.ok(getEventListeners(controller.signal, "abort").length <= 1);
  controller.abort();
  await reading;
});
