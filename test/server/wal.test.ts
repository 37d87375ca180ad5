import assert from "node:assert/strict";
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { crc32 } from "node:zlib";
import fc from "fast-check";
import {
  segmentName,
  WalBatchTooLargeError,
  type WalEntry,
  WalFullError,
  type WalProblem,
  WriteAheadLog,
} from "../../src/server/wal.ts";
import { RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES } from "../../src/server/wal-record.ts";
import { tempDir } from "./alerts.ts";

async function all(wal: WriteAheadLog, from?: number): Promise<WalEntry[]> {
  const out: WalEntry[] = [];
  for await (const entry of wal.replay(from)) out.push(entry);
  return out;
}

const batchOf = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => ({ tag, i, "event.kind": "event" }));

/** The first seq of the oldest segment left in the log's directory (its name's 20 digits). */
const oldestSegmentSeq = async (dir: string): Promise<number> =>
  Number(
    (await readdir(dir))
      .filter((n) => n.endsWith(".wal"))
      .sort()[0]
      .slice(0, 20),
  );

test("append then replay gives every event once, in seq order, with its seq", async (t) => {
  const dir = await tempDir(t);
  const wal = await WriteAheadLog.open({ dir });
  t.after(() => wal.close());
  const a = await wal.append(batchOf(3, "a"));
  const b = await wal.append([JSON.parse('{"__proto__": "data", "nested": {"x": [1, null, "é"]}}')]);
  assert.deepEqual(a, { firstSeq: 1, lastSeq: 3 });
  assert.deepEqual(b, { firstSeq: 4, lastSeq: 4 });
  const entries = await all(wal);
  assert.deepEqual(
    entries.map((e) => e.seq),
    [1, 2, 3, 4],
  );
  assert.deepEqual(entries[1].event, { tag: "a", i: 1, "event.kind": "event" });
  // A key named __proto__ comes back as data, not as a prototype.
  const last = entries[3].event as Record<string, unknown>;
  assert.ok(Object.hasOwn(last, "__proto__"));
  assert.deepEqual(last.nested, { x: [1, null, "é"] });
  // From the middle of a batch.
  assert.deepEqual(
    (await all(wal, 2)).map((e) => e.seq),
    [2, 3, 4],
  );
});

test("refuses what it cannot write back: empty batches, values JSON cannot hold", async (t) => {
  const wal = await WriteAheadLog.open({ dir: await tempDir(t) });
  t.after(() => wal.close());
  await assert.rejects(wal.append([]), /non-empty array/);
  await assert.rejects(wal.append([{ ok: 1 }, { n: 10n }]), /event 1 of the batch cannot be written as JSON/);
  await assert.rejects(wal.append([undefined]), /event 0 of the batch is not a JSON value/);
  assert.deepEqual(await wal.append([{ ok: 1 }]), { firstSeq: 1, lastSeq: 1 });
});

test("group commit: appends made together share an fdatasync, and keep their order", async (t) => {
  const wal = await WriteAheadLog.open({ dir: await tempDir(t) });
  t.after(() => wal.close());
  const ranges = await Promise.all(
    Array.from({ length: 50 }, (_, i) => wal.append(batchOf(1 + (i % 3), `b${i}`))),
  );
  let expected = 1;
  for (const [i, range] of ranges.entries()) {
    assert.equal(range.firstSeq, expected, `batch ${i}`);
    expected = range.lastSeq + 1;
  }
  assert.equal(wal.stats.appends, 50);
  assert.ok(wal.stats.syncs <= 2, `50 concurrent appends took ${wal.stats.syncs} syncs`);
  const entries = await all(wal);
  assert.equal(entries.length, expected - 1);
  assert.deepEqual(entries[0].event, { tag: "b0", i: 0, "event.kind": "event" });
});

test("sequence numbers continue across restarts, also when every segment before was deleted", async (t) => {
  const dir = await tempDir(t);
  let wal = await WriteAheadLog.open({ dir, segmentBytes: 256, maxBytes: 4096 });
  for (let i = 0; i < 10; i++) await wal.append(batchOf(2, `r1-${i}`));
  await wal.checkpoint(21);
  await wal.close();

  wal = await WriteAheadLog.open({ dir, segmentBytes: 256, maxBytes: 4096 });
  assert.equal(wal.next, 21);
  assert.equal(wal.checkpointed, 21);
  assert.deepEqual(await all(wal), []);
  assert.deepEqual(await wal.append(batchOf(2, "r2")), { firstSeq: 21, lastSeq: 22 });
  await wal.close();

  wal = await WriteAheadLog.open({ dir, segmentBytes: 256, maxBytes: 4096 });
  t.after(() => wal.close());
  assert.deepEqual(
    (await all(wal)).map((e) => e.seq),
    [21, 22],
  );
  assert.deepEqual(wal.recovery, []);
});

test("checkpoint: durable, monotonic, and deletes the segments wholly before it", async (t) => {
  const dir = await tempDir(t);
  let wal = await WriteAheadLog.open({ dir, segmentBytes: 200, maxBytes: 10_000 });
  for (let i = 0; i < 12; i++) await wal.append(batchOf(2, `c${i}`));
  const segments = async () => (await readdir(dir)).filter((n) => n.endsWith(".wal")).sort();
  const before = await segments();
  assert.ok(before.length >= 4, `expected several segments, got ${before}`);
  assert.equal(before[0], segmentName(1));
  for (const name of before)
    assert.ok((await stat(join(dir, name))).size <= 200, `${name} is larger than a segment`);

  // Seq 10 is still needed (an open sequence started there): its segment and all later ones stay.
  await wal.checkpoint(10);
  const after = await segments();
  const holding10 = before.filter((n) => Number(n.slice(0, 20)) <= 10).at(-1)!;
  assert.equal(after[0], holding10);
  assert.ok(after.length < before.length);
  assert.deepEqual(
    (await all(wal)).map((e) => e.seq),
    Array.from({ length: 15 }, (_, i) => 10 + i),
  );

  await wal.checkpoint(5); // a lower checkpoint changes nothing
  assert.equal(wal.checkpointed, 10);
  await assert.rejects(wal.checkpoint(26), /beyond the log: the next seq to be appended is 25/);
  await assert.rejects(wal.checkpoint(0), RangeError);
  await wal.close();

  wal = await WriteAheadLog.open({ dir, segmentBytes: 200, maxBytes: 10_000 });
  t.after(() => wal.close());
  assert.equal(wal.checkpointed, 10);
  assert.equal((await all(wal))[0].seq, 10);
  assert.equal(await readFile(join(dir, "checkpoint"), "utf8"), `{"seq":10,"crc32":${crc32("10")}}\n`);
});

test("bounded: a full log refuses appends until a checkpoint frees segments", async (t) => {
  const wal = await WriteAheadLog.open({ dir: await tempDir(t), segmentBytes: 300, maxBytes: 900 });
  t.after(() => wal.close());
  const big = batchOf(4, "x"); // ~150 bytes a record
  let accepted = 0;
  let full: unknown;
  assert.equal(wal.full, false);
  while (!full) {
    try {
      await wal.append(big);
      accepted++;
    } catch (error) {
      full = error;
    }
  }
  assert.ok(full instanceof WalFullError, String(full));
  assert.equal(full.code, "WAL_FULL");
  assert.match(full.message, /write-ahead log is full: \d+ of 900 bytes used.*checkpoint at seq 1/);
  assert.ok(wal.stats.bytes <= 900);
  assert.equal(wal.full, true, "the refused batch does not fit");
  await assert.rejects(wal.append(big), WalFullError);
  assert.equal(wal.full, true);
  // freed by the checkpoint alone, before anything is appended again
  await wal.checkpoint(wal.next);
  assert.equal(wal.full, false);
  await wal.append(big);
  assert.equal(wal.full, false);
  assert.ok(accepted >= 4);

  await assert.rejects(
    wal.append([{ blob: "z".repeat(400) }]),
    (error: unknown) =>
      error instanceof WalBatchTooLargeError && /larger than a WAL segment/.test(error.message),
  );
});

/** A log written once, with the offsets at which each record ends. */
async function pristineLog(dir: string, batches: unknown[][]) {
  const wal = await WriteAheadLog.open({ dir });
  const ends: number[] = [];
  let offset = SEGMENT_HEADER_BYTES;
  for (const batch of batches) {
    await wal.append(batch);
    offset += RECORD_HEADER_BYTES + Buffer.byteLength(batch.map((e) => JSON.stringify(e)).join("\n"));
    ends.push(offset);
  }
  await wal.close();
  const bytes = await readFile(join(dir, segmentName(1)));
  assert.equal(bytes.length, offset, "the record layout is as documented");
  return { bytes, ends };
}

test("torn tail: cut anywhere, even in a header, replay gives exactly the whole records and never throws", async (t) => {
  const source = await tempDir(t);
  const batches = Array.from({ length: 6 }, (_, i) => batchOf(1 + (i % 3), `t${i}`));
  const { bytes, ends } = await pristineLog(source, batches);
  const scratch = await tempDir(t);
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: bytes.length }), async (cut) => {
      const dir = join(scratch, String(run++));
      await mkdir(dir);
      await writeFile(join(dir, segmentName(1)), bytes.subarray(0, cut));
      const problems: WalProblem[] = [];
      const wal = await WriteAheadLog.open({ dir, onProblem: (p) => problems.push(p) });
      try {
        const whole = ends.filter((end) => end <= cut).length;
        const expectedEvents = batches.slice(0, whole).flat();
        const entries = await all(wal);
        assert.deepEqual(
          entries.map((e) => e.event),
          expectedEvents,
        );
        assert.deepEqual(
          entries.map((e) => e.seq),
          expectedEvents.map((_, i) => i + 1),
        );
        const atBoundary = cut === 0 || cut === SEGMENT_HEADER_BYTES || ends.includes(cut);
        assert.equal(
          problems.some((p) => p.kind === "torn-tail"),
          !atBoundary,
        );
        // The log goes on from the first event that was not whole.
        assert.deepEqual(await wal.append([{ after: cut }]), {
          firstSeq: expectedEvents.length + 1,
          lastSeq: expectedEvents.length + 1,
        });
      } finally {
        await wal.close();
      }
    }),
    { numRuns: 60 },
  );
});

test("torn tail: damaged bytes after the last whole record are cut, whatever they are", async (t) => {
  const source = await tempDir(t);
  const batches = Array.from({ length: 4 }, (_, i) => batchOf(2, `g${i}`));
  const { bytes, ends } = await pristineLog(source, batches);
  const scratch = await tempDir(t);
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: ends.length - 1 }),
      fc.uint8Array({ minLength: 1, maxLength: 64 }),
      async (keep, garbage) => {
        const dir = join(scratch, String(run++));
        await mkdir(dir);
        const end = ends[keep];
        // The records after `end` are overwritten in part by garbage (a sector written half).
        const damaged = Buffer.from(bytes);
        damaged.set(garbage.subarray(0, damaged.length - end), end);
        // Cut within the next record (longer than 70 bytes), so it is never whole, damaged or not.
        await writeFile(join(dir, segmentName(1)), damaged.subarray(0, Math.min(damaged.length, end + 70)));
        const wal = await WriteAheadLog.open({ dir });
        try {
          const entries = await all(wal);
          assert.deepEqual(
            entries.map((e) => e.event),
            batches.slice(0, keep + 1).flat(),
          );
          for (const [i, e] of entries.entries()) assert.equal(e.seq, i + 1);
        } finally {
          await wal.close();
        }
      },
    ),
    { numRuns: 40 },
  );
});

test("a damaged record followed by whole ones is not a torn tail: kept, reported with its offset, stepped over", async (t) => {
  const dir = await tempDir(t);
  const batches = Array.from({ length: 5 }, (_, i) => batchOf(2, `d${i}`));
  const { bytes, ends } = await pristineLog(dir, batches);
  // a bit flipped in the second record's payload (bit rot, a bad sector): its checksum fails
  bytes[ends[0] + RECORD_HEADER_BYTES + 5] ^= 0x04;
  await writeFile(join(dir, segmentName(1)), bytes);

  const problems: WalProblem[] = [];
  const wal = await WriteAheadLog.open({ dir, onProblem: (p) => problems.push(p) });
  t.after(() => wal.close());
  assert.deepEqual(
    wal.recovery.map((p) => [p.kind, p.offset]),
    [["corrupt", ends[0]]],
    "found while opening, and not cut as a torn tail",
  );
  assert.match(
    wal.recovery[0].message,
    /damaged record at offset \d+ \(checksum mismatch\); seqs 3 to 4 are skipped/,
  );
  assert.equal((await stat(join(dir, segmentName(1)))).size, bytes.length, "nothing was cut");
  const entries = await all(wal);
  assert.deepEqual(
    entries.map((e) => e.event),
    [...batches[0], ...batches.slice(2).flat()],
  );
  assert.deepEqual(
    entries.map((e) => e.seq),
    [1, 2, 5, 6, 7, 8, 9, 10],
  );
  assert.deepEqual(
    problems.map((p) => [p.kind, p.offset]),
    [
      ["corrupt", ends[0]],
      ["corrupt", ends[0]],
    ],
    "said again by the replay",
  );
  assert.deepEqual(await wal.append(batchOf(1, "after")), { firstSeq: 11, lastSeq: 11 });
});

test("a damaged record in a sealed segment is reported and skipped; the later segments still replay", async (t) => {
  const dir = await tempDir(t);
  let wal = await WriteAheadLog.open({ dir, segmentBytes: 200, maxBytes: 10_000 });
  for (let i = 0; i < 9; i++) await wal.append(batchOf(2, `s${i}`));
  await wal.close();
  const names = (await readdir(dir)).filter((n) => n.endsWith(".wal")).sort();
  const first = join(dir, names[0]);
  const bytes = await readFile(first);
  bytes[SEGMENT_HEADER_BYTES + RECORD_HEADER_BYTES + 3] ^= 0xff; // inside the first record's payload
  await writeFile(first, bytes);

  const problems: WalProblem[] = [];
  wal = await WriteAheadLog.open({
    dir,
    segmentBytes: 200,
    maxBytes: 10_000,
    onProblem: (p) => problems.push(p),
  });
  t.after(() => wal.close());
  assert.equal(problems.length, 0, "opening reads only the newest segment");
  const entries = await all(wal);
  const secondStart = Number(names[1].slice(0, 20));
  assert.equal(entries[0].seq, secondStart);
  assert.equal(entries.at(-1)!.seq, 18);
  assert.equal(problems.length, 1);
  assert.equal(problems[0].kind, "corrupt");
  assert.match(problems[0].message, /checksum mismatch.*seqs 1 to \d+/);
});

test("a segment missing between two others, or cut at a record's end, is reported with the seqs it held", async (t) => {
  const dir = await tempDir(t);
  let wal = await WriteAheadLog.open({ dir, segmentBytes: 200, maxBytes: 10_000 });
  for (let i = 0; i < 12; i++) await wal.append(batchOf(1, `m${i}`));
  await wal.close();
  const names = (await readdir(dir)).filter((n) => n.endsWith(".wal")).sort();
  const seqOf = (name: string) => Number(name.slice(0, 20));
  assert.ok(
    names.length >= 4 && seqOf(names[3]) - seqOf(names[2]) >= 2,
    `segments of several records: ${names}`,
  );
  // the second segment is gone; the third is cut just after its first record
  await rm(join(dir, names[1]));
  const third = join(dir, names[2]);
  const bytes = await readFile(third);
  await writeFile(
    third,
    bytes.subarray(0, SEGMENT_HEADER_BYTES + RECORD_HEADER_BYTES + bytes.readUInt32LE(SEGMENT_HEADER_BYTES)),
  );

  const problems: WalProblem[] = [];
  wal = await WriteAheadLog.open({
    dir,
    segmentBytes: 200,
    maxBytes: 10_000,
    onProblem: (p) => problems.push(p),
  });
  t.after(() => wal.close());
  const seqs = (await all(wal)).map((e) => e.seq);
  assert.deepEqual(
    problems.map((p) => [p.kind, p.segment]),
    [
      ["missing", join(dir, names[0])],
      ["missing", third],
    ],
  );
  assert.match(
    problems[0].message,
    new RegExp(`seqs ${seqOf(names[1])} to ${seqOf(names[2]) - 1} are in no segment`),
  );
  assert.match(
    problems[1].message,
    new RegExp(`seqs ${seqOf(names[2]) + 1} to ${seqOf(names[3]) - 1} are in no segment`),
  );
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  assert.deepEqual(seqs, [
    ...range(1, 13).filter((s) => !(s >= seqOf(names[1]) && s < seqOf(names[3])) || s === seqOf(names[2])),
  ]);
});

test("an unreadable checkpoint file is reported and replay falls back to the oldest segment", async (t) => {
  const dir = await tempDir(t);
  let wal = await WriteAheadLog.open({ dir });
  await wal.append(batchOf(3, "k"));
  await wal.close();
  await writeFile(join(dir, "checkpoint"), "not json");
  wal = await WriteAheadLog.open({ dir });
  t.after(() => wal.close());
  assert.equal(wal.recovery[0].kind, "checkpoint");
  assert.match(
    wal.recovery[0].message,
    /checkpoint is damaged \(not JSON: "not json"\); replaying from the oldest segment, seq 1$/,
  );
  assert.equal(wal.checkpointed, 1);
  assert.equal((await all(wal)).length, 3);
});

test("a bit flipped in the checkpoint file is caught by its checksum: reported with the file, and replay starts at the oldest segment", async (t) => {
  const dir = await tempDir(t);
  const options = { dir, segmentBytes: 200, maxBytes: 10_000 };
  let wal = await WriteAheadLog.open(options);
  for (let i = 0; i < 12; i++) await wal.append(batchOf(1, `f${i}`));
  await wal.checkpoint(6);
  await wal.close();
  const oldest = await oldestSegmentSeq(dir);
  assert.ok(oldest > 1 && oldest <= 6, `the checkpoint deleted a segment (the oldest starts at ${oldest})`);
  const path = join(dir, "checkpoint");
  const bytes = await readFile(path);
  // "6" (0x36) becomes "4" (0x34): a checkpoint two events back, whole JSON all the same
  bytes[bytes.indexOf("6")] ^= 0x02;
  await writeFile(path, bytes);

  const problems: WalProblem[] = [];
  wal = await WriteAheadLog.open({ ...options, onProblem: (p) => problems.push(p) });
  t.after(() => wal.close());
  assert.deepEqual(
    wal.recovery.map((p) => p.kind),
    ["checkpoint"],
  );
  assert.deepEqual(problems, wal.recovery);
  assert.match(
    wal.recovery[0].message,
    new RegExp(
      `^${path} is damaged \\(its checksum ${crc32("6")} does not match its seq 4: .*\\); replaying from the oldest segment, seq ${oldest}$`,
    ),
  );
  assert.equal(wal.checkpointed, oldest);
  assert.deepEqual(
    (await all(wal)).map((e) => e.seq),
    Array.from({ length: 13 - oldest }, (_, i) => oldest + i),
  );
});

test("a checkpoint file written before the checksum is read as it was, and the next checkpoint writes one with it", async (t) => {
  const dir = await tempDir(t);
  let wal = await WriteAheadLog.open({ dir });
  await wal.append(batchOf(5, "o"));
  await wal.close();
  await writeFile(join(dir, "checkpoint"), '{"seq":3}\n');
  wal = await WriteAheadLog.open({ dir });
  t.after(() => wal.close());
  assert.deepEqual(wal.recovery, []);
  assert.equal(wal.checkpointed, 3);
  await wal.checkpoint(4);
  assert.equal(await readFile(join(dir, "checkpoint"), "utf8"), `{"seq":4,"crc32":${crc32("4")}}\n`);
});

test("a missing checkpoint file is said when segments were deleted behind one, and replay starts at the oldest", async (t) => {
  const dir = await tempDir(t);
  let wal = await WriteAheadLog.open({ dir, segmentBytes: 200, maxBytes: 10_000 });
  for (let i = 0; i < 6; i++) await wal.append(batchOf(1, `c${i}`));
  await wal.checkpoint(4);
  await wal.close();
  const oldest = await oldestSegmentSeq(dir);
  assert.ok(oldest > 1, "the checkpoint deleted a segment");
  await rm(join(dir, "checkpoint"));

  wal = await WriteAheadLog.open({ dir, segmentBytes: 200, maxBytes: 10_000 });
  t.after(() => wal.close());
  assert.deepEqual(
    wal.recovery.map((p) => p.kind),
    ["checkpoint"],
  );
  assert.match(
    wal.recovery[0].message,
    new RegExp(`checkpoint is missing, yet the oldest segment starts at seq ${oldest}`),
  );
  assert.equal((await all(wal))[0].seq, oldest);

  // a log that never had a checkpoint has nothing to say
  const fresh = await tempDir(t);
  const never = await WriteAheadLog.open({ dir: fresh });
  await never.append(batchOf(1, "n"));
  await never.close();
  const again = await WriteAheadLog.open({ dir: fresh });
  t.after(() => again.close());
  assert.deepEqual(again.recovery, []);
});

test("options are checked: a log that could never free a segment is refused", async (t) => {
  const dir = await tempDir(t);
  await assert.rejects(
    WriteAheadLog.open({ dir, segmentBytes: 1000, maxBytes: 1500 }),
    /at least twice segmentBytes/,
  );
  await assert.rejects(
    WriteAheadLog.open({ dir, segmentBytes: 10 }),
    /segmentBytes must be an integer from 64/,
  );
});
