import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import {
  createEventReader,
  DecodeError,
  type DecodeProblem,
  format,
  type ReadOptions,
  readEvents,
  readEventsFromStream,
  readJsonDocument,
  type SourceEvent,
} from "../../src/io/event-source.ts";

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "eqlite-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

let fixtureCount = 0;
async function fixture(content: string | Buffer, name = `f${fixtureCount++}.ndjson`): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, content);
  return file;
}

interface Collected {
  events: SourceEvent[];
  problems: DecodeProblem[];
}

async function collect(paths: string[], options: ReadOptions = {}): Promise<Collected & { stats: unknown }> {
  const problems: DecodeProblem[] = [];
  const reader = createEventReader(paths, { ...options, onProblem: (p) => problems.push(p) });
  const events: SourceEvent[] = [];
  for await (const e of reader.events) events.push(e);
  return { events, problems, stats: reader.stats };
}

async function collectStream(
  chunks: (string | Buffer)[] | AsyncIterable<Buffer>,
  options: ReadOptions = {},
): Promise<Collected> {
  const problems: DecodeProblem[] = [];
  const events: SourceEvent[] = [];
  const stream = Symbol.asyncIterator in chunks ? chunks : Readable.from(chunks, { objectMode: true });
  for await (const e of readEventsFromStream(stream, "<stdin>", {
    ...options,
    onProblem: (p) => problems.push(p),
  })) {
    events.push(e);
  }
  return { events, problems };
}

const lines = (events: SourceEvent[]) => events.map((e) => e.line);
const bodies = (events: SourceEvent[]) => events.map((e) => e.event);

test("NDJSON with CRLF line ends and blank lines", async () => {
  const file = await fixture('{"a":1}\r\n\r\n   \r\n{"a":2}\r\n\n{"a":3}');
  const { events, problems, stats } = await collect([file]);
  assert.deepEqual(bodies(events), [{ a: 1 }, { a: 2 }, { a: 3 }]);
  assert.deepEqual(lines(events), [1, 4, 6]);
  assert.equal(events[0].source, file);
  assert.deepEqual(problems, []);
  assert.deepEqual(stats, { events: 3, skipped: 0, problems: 0, bytes: 33, inputBytes: 33 });
});

test("malformed lines are reported with line and column, counted, and skipped", async () => {
  const text = '{"a":1}\n{"a": }\nnot json\n{"a":2}\n{"a":1\n{"b":"x"}\n';
  const file = await fixture(text);
  const { events, problems, stats } = await collect([file]);
  assert.deepEqual(bodies(events), [{ a: 1 }, { a: 2 }, { b: "x" }]);
  assert.deepEqual(lines(events), [1, 4, 6]);
  assert.deepEqual(problems, [
    { source: file, line: 2, column: 7, reason: "invalid JSON: Unexpected token '}'" },
    { source: file, line: 3, column: 2, reason: "invalid JSON: Unexpected token 'o'" },
    { source: file, line: 5, column: 7, reason: "invalid JSON: Expected ',' or '}' after property value" },
  ]);
  assert.equal(format(problems[0]), `${file}:2:7: invalid JSON: Unexpected token '}'`);
  assert.deepEqual(stats, {
    events: 3,
    skipped: 0,
    problems: 3,
    bytes: text.length,
    inputBytes: text.length,
  });
});

test("format without a column", () => {
  assert.equal(format({ source: "-", line: 3, reason: "nope" }), "-:3: nope");
});

test("format shows a file name that a terminal would act on as text, on one line", () => {
  assert.equal(
    format({ source: "a\u001b[2J\nb.ndjson", line: 3, column: 1, reason: "nope" }),
    "a\u241b[2J\u240ab.ndjson:3:1: nope",
  );
});

test("lines that are JSON but not objects are problems", async () => {
  const file = await fixture('42\n[{"a":1}]\n"s"\nnull\ntrue\n{"ok":1}\n');
  const { events, problems } = await collect([file]);
  assert.deepEqual(bodies(events), [{ ok: 1 }]);
  assert.deepEqual(
    problems.map((p) => `${p.line}: ${p.reason}`),
    [
      "1: expected a JSON object, got a number",
      "2: expected a JSON object, got an array",
      "3: expected a JSON object, got a string",
      "4: expected a JSON object, got null",
      "5: expected a JSON object, got a boolean",
    ],
  );
});

test("strict mode throws the first problem instead of reporting it", async () => {
  const file = await fixture('{"a":1}\n{"a":2}\n{oops}\n{"a":3}\n');
  const seen: SourceEvent[] = [];
  const reported: DecodeProblem[] = [];
  await assert.rejects(
    async () => {
      for await (const e of readEvents([file], { strict: true, onProblem: (p) => reported.push(p) }))
        seen.push(e);
    },
    (error: unknown) => {
      assert.ok(error instanceof DecodeError);
      assert.equal(error.problem.line, 3);
      assert.equal(error.problem.column, 2);
      assert.match(error.message, /:3:2: invalid JSON/);
      return true;
    },
  );
  assert.deepEqual(lines(seen), [1, 2]);
  assert.deepEqual(reported, []);
});

test("a pretty-printed JSON array gives each element the line it starts on", async () => {
  const doc = [
    "[",
    "  {",
    '    "process": { "name": "bash" },',
    '    "text": "a, b ] } [ { \\" \\\\"',
    "  },",
    '  {"n": 2}, {"n": 3},',
    "",
    "  {",
    '    "n": 4',
    "  }",
    "]",
    "",
  ].join("\n");
  const { events, problems } = await collect([await fixture(doc, "array.json")]);
  assert.deepEqual(problems, []);
  assert.deepEqual(lines(events), [2, 6, 6, 8]);
  assert.deepEqual(events[0].event, { process: { name: "bash" }, text: 'a, b ] } [ { " \\' });
  assert.deepEqual(bodies(events).slice(1), [{ n: 2 }, { n: 3 }, { n: 4 }]);
});

test("array elements that are not objects or not valid JSON are reported where they start", async () => {
  const doc = '[\n  {"a": 1}, 7, [1],\n  {"b": tru},\n  {"c": 3}\n]\n';
  const { events, problems } = await collect([await fixture(doc, "bad-array.json")]);
  assert.deepEqual(bodies(events), [{ a: 1 }, { c: 3 }]);
  assert.deepEqual(problems.map(format), [
    `${dir}/bad-array.json:2:13: expected a JSON object, got a number`,
    `${dir}/bad-array.json:2:16: expected a JSON object, got an array`,
    `${dir}/bad-array.json:3:12: invalid JSON: Unexpected token '}'`,
  ]);
});

test("an array cut short is reported, and the elements before the cut are kept", async () => {
  const { events, problems } = await collectStream(['[{"a":1},\n{"a":2},\n{"a":']);
  assert.deepEqual(bodies(events), [{ a: 1 }, { a: 2 }]);
  assert.deepEqual(problems, [
    {
      source: "<stdin>",
      line: 3,
      column: 1,
      reason: "invalid JSON: unexpected end of input inside this value",
    },
  ]);
  const unclosed = await collectStream(['[{"a":1},\n{"a":2}\n']);
  assert.deepEqual(lines(unclosed.events), [1, 2]);
  assert.deepEqual(unclosed.problems.map(format), [
    "<stdin>:3: invalid JSON: the array opened on line 1 is not closed",
  ]);
});

test("a single pretty-printed object is one event", async () => {
  const doc =
    '\n\n{\n  "event": { "category": ["process"] },\n  "process": {\n    "name": "kubectl"\n  }\n}\n';
  const { events, problems } = await collect([await fixture(doc, "one.json")]);
  assert.deepEqual(problems, []);
  assert.deepEqual(events, [
    {
      event: { event: { category: ["process"] }, process: { name: "kubectl" } },
      source: `${dir}/one.json`,
      line: 3,
    },
  ]);
});

test("concatenated pretty-printed objects (jq output) are each an event", async () => {
  const doc = '{\n  "n": 1\n}\n{\n  "n": 2\n}\n{"n": 3}\n';
  const { events, problems } = await collect([await fixture(doc)]);
  assert.deepEqual(problems, []);
  assert.deepEqual(bodies(events), [{ n: 1 }, { n: 2 }, { n: 3 }]);
  assert.deepEqual(lines(events), [1, 4, 7]);
});

test("a pretty-printed object with a syntax error is one problem at the error", async () => {
  const doc = '{\n  "a": 1,\n  "b": [1, 2,],\n  "c": 3\n}\n';
  const { events, problems } = await collect([await fixture(doc, "broken.json")]);
  assert.deepEqual(events, []);
  assert.deepEqual(problems.map(format), [`${dir}/broken.json:3:14: invalid JSON: Unexpected token ']'`]);
});

test("NDJSON whose first line is cut off is still read as NDJSON", async () => {
  const truncatedInString = await fixture('{"a": "abc\n{"b": 2}\n{"c": 3}\n');
  // an open first line followed by a whole object: the object decides
  const open = await fixture('{"a": 1,\n\n{"b": 2}\n{"c": 3}\n');
  // two broken lines that never balance: not a document, so every line is read as NDJSON
  const worse = await fixture('{"a": 1,\n{"b":\n{"c": 3}\n{"d": 4}');
  for (const highWaterMark of [1, 3, 1 << 20]) {
    const first = await collect([truncatedInString], { highWaterMark });
    assert.deepEqual(bodies(first.events), [{ b: 2 }, { c: 3 }]);
    assert.deepEqual(
      first.problems.map((p) => p.line),
      [1],
    );

    const second = await collect([open], { highWaterMark });
    assert.deepEqual(bodies(second.events), [{ b: 2 }, { c: 3 }]);
    assert.deepEqual(lines(second.events), [3, 4]);
    assert.deepEqual(
      second.problems.map((p) => p.line),
      [1],
    );

    const third = await collect([worse], { highWaterMark });
    assert.deepEqual(bodies(third.events), [{ c: 3 }, { d: 4 }]);
    assert.deepEqual(lines(third.events), [3, 4]);
    assert.deepEqual(
      third.problems.map((p) => p.line),
      [1, 2],
    );
    // the same when the first value outgrows maxDocumentBytes before the input ends
    const bounded = await collect([worse], { highWaterMark, maxDocumentBytes: 20 });
    assert.deepEqual(bodies(bounded.events), [{ c: 3 }, { d: 4 }]);
    assert.deepEqual(
      bounded.problems.map((p) => p.line),
      [1, 2],
    );
  }
});

test("stray closing brackets between records are reported", async () => {
  const { events, problems } = await collectStream(['[{"a":1}]\n]\n{"b":2}\n']);
  assert.deepEqual(bodies(events), [{ a: 1 }, { b: 2 }]);
  assert.deepEqual(problems.map(format), ["<stdin>:2:1: invalid JSON: Unexpected ']'"]);
});

test("any chunking of any format gives the same events and lines", () => {
  const event = fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 });
  return fc.assert(
    fc.asyncProperty(
      fc.array(event, { maxLength: 8 }),
      fc.constantFrom("ndjson", "crlf", "array", "pretty", "pretty-array"),
      fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 20 }),
      async (events, layout, cuts) => {
        // the layout is chosen from the start: an empty first object is one line, so NDJSON
        fc.pre(!(layout === "pretty" && events.length > 0 && Object.keys(events[0]).length === 0));
        const expected = events.map((e) => JSON.parse(JSON.stringify(e)));
        const { text, starts } = render(expected, layout);
        const bytes = Buffer.from(text);
        const chunks: Buffer[] = [];
        for (let at = 0, k = 0; at < bytes.length; k++) {
          const size = cuts[k % cuts.length];
          chunks.push(bytes.subarray(at, at + size));
          at += size;
        }
        // fresh memory for every chunk; one piece of memory that each chunk overwrites, read over
        // with garbage once the decoder asks for the next; and a file read in chunks of one size
        const file = await fixture(bytes);
        for (const { events: got, problems } of [
          await collectStream(chunks),
          await collectStream(inOneBuffer(chunks)),
          await collect([file], { highWaterMark: cuts[0] }),
        ]) {
          assert.deepEqual(problems, []);
          assert.deepEqual(bodies(got), expected);
          assert.deepEqual(lines(got), starts);
        }
      },
    ),
    { numRuns: 300 },
  );
});

/** The chunks, each copied into the same memory, which is spoiled before the next is copied in. */
async function* inOneBuffer(chunks: Buffer[]): AsyncGenerator<Buffer> {
  const memory = Buffer.alloc(Math.max(1, ...chunks.map((c) => c.length)));
  for (const chunk of chunks) {
    chunk.copy(memory);
    yield memory.subarray(0, chunk.length);
    memory.fill("}");
  }
}

/** Serialises events in a layout and says on which line each one starts. */
function render(events: unknown[], layout: string): { text: string; starts: number[] } {
  const starts: number[] = [];
  let line = 1;
  const parts: string[] = [];
  const add = (part: string, startsEvent: boolean) => {
    if (startsEvent) starts.push(line);
    parts.push(part);
    line += part.split("\n").length - 1;
  };
  if (layout === "ndjson" || layout === "crlf") {
    for (const e of events) add(JSON.stringify(e) + (layout === "crlf" ? "\r\n" : "\n"), true);
  } else if (layout === "pretty") {
    for (const e of events) add(`${JSON.stringify(e, null, 2)}\n`, true);
  } else {
    const indent = layout === "pretty-array" ? 2 : undefined;
    add("[\n", false);
    events.forEach((e, n) => {
      add(JSON.stringify(e, null, indent) + (n < events.length - 1 ? ",\n" : "\n"), true);
    });
    add("]\n", false);
  }
  return { text: parts.join(""), starts };
}

test("gzip is detected from its magic bytes, whatever the file is called", async () => {
  const text = '{"a":1}\n{"a":2}\n';
  const file = await fixture(gzipSync(text), "events.json");
  const { events, problems, stats } = await collect([file]);
  assert.deepEqual(problems, []);
  assert.deepEqual(bodies(events), [{ a: 1 }, { a: 2 }]);
  assert.equal((stats as { bytes: number }).bytes, text.length);

  const plainNamedGz = await fixture(text, "plain.ndjson.gz");
  assert.deepEqual(bodies((await collect([plainNamedGz])).events), [{ a: 1 }, { a: 2 }]);
});

test("UTF-16 text with its byte order mark is read as UTF-8, however the chunks cut it", async () => {
  const events = [{ a: "é" }, { b: "日本" }, { c: "😀" }, { d: 1 }];
  const text = `${events.map((e) => JSON.stringify(e)).join("\r\n")}\r\nnot json\r\n`;
  const littleEndian = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
  const bigEndian = Buffer.from(littleEndian);
  bigEndian.swap16();
  for (const bytes of [littleEndian, bigEndian]) {
    // 7-byte reads split code units and surrogate pairs
    const file = await fixture(bytes, "powershell.json");
    const read = await collect([file], { highWaterMark: 7 });
    assert.deepEqual(bodies(read.events), events);
    assert.deepEqual(
      read.problems.map((p) => [p.line, p.column]),
      [[5, 2]],
    );
  }
});

test("a truncated gzip file is reported, keeping the events before the damage", async () => {
  const lines = Array.from({ length: 2000 }, (_, n) => JSON.stringify({ n, pad: "x".repeat(n % 50) }));
  const gz = gzipSync(lines.join("\n"));
  const file = await fixture(gz.subarray(0, Math.floor(gz.length * 0.6)), "cut.gz");
  const { events, problems } = await collect([file], { highWaterMark: 4096 });
  assert.ok(events.length > 0 && events.length < 2000);
  assert.deepEqual(
    bodies(events),
    lines.slice(0, events.length).map((l) => JSON.parse(l)),
  );
  assert.equal(problems.length, 1);
  assert.equal(problems[0].line, events.length + 1);
  assert.match(problems[0].reason, /truncated or corrupt gzip data/);
  assert.doesNotMatch(problems[0].reason, /missing too/);
});

test("damage after a whole gzip member is reported with the text before it that zlib threw away", async () => {
  const lines = Array.from({ length: 2500 }, (_, n) => JSON.stringify({ n, pad: "x".repeat(n % 300) }));
  const file = await fixture(
    Buffer.concat([gzipSync(`${lines.join("\n")}\n`), Buffer.from("GARBAGE\n")]),
    "garbage.gz",
  );
  const { events, problems } = await collect([file]);
  assert.deepEqual(
    bodies(events),
    lines.slice(0, events.length).map((l) => JSON.parse(l)),
  );
  assert.equal(problems.length, 1);
  assert.equal(problems[0].line, events.length + 1);
  assert.match(
    problems[0].reason,
    /^truncated or corrupt gzip data \(incorrect header check\); zlib drops what it decoded last on bad data, so up to 256 KiB of text before this point is missing too$/,
  );
});

function hasZstd(): boolean {
  return spawnSync("zstd", ["--version"]).status === 0;
}

test("zstd is detected from its magic bytes", async (t) => {
  if (!hasZstd()) {
    t.skip("the zstd command is not installed");
    return;
  }
  const text = Array.from({ length: 5000 }, (_, n) => JSON.stringify({ n, "process.name": "bash" })).join(
    "\n",
  );
  const zst = execFileSync("zstd", ["-c", "-q"], { input: text });
  const file = await fixture(zst, "events.bin");
  const { events, problems } = await collect([file], { highWaterMark: 1000 });
  assert.deepEqual(problems, []);
  assert.equal(events.length, 5000);
  assert.deepEqual(events[4999], { event: { n: 4999, "process.name": "bash" }, source: file, line: 5000 });

  const cut = await fixture(zst.subarray(0, zst.length - 10), "cut.zst");
  const damaged = await collect([cut]);
  assert.equal(damaged.problems.length, 1);
  assert.match(damaged.problems[0].reason, /truncated or corrupt zstd data/);
});

test("a UTF-8 character split across chunks is decoded whole", async () => {
  const text = '{"name":"é漢字🙂"}\n{"name":"ü"}\n[bad\n{"x":"🙂🙂"}';
  const file = await fixture(text);
  for (const highWaterMark of [1, 2, 3, 5, 7]) {
    const { events, problems } = await collect([file], { highWaterMark });
    assert.deepEqual(
      bodies(events),
      [{ name: "é漢字🙂" }, { name: "ü" }, { x: "🙂🙂" }],
      `highWaterMark ${highWaterMark}`,
    );
    assert.deepEqual(lines(events), [1, 2, 4]);
    assert.deepEqual(
      problems.map((p) => p.line),
      [3],
    );
  }
  const array = await fixture('[\n{"name":"é漢字🙂"},\n  {"name":"ü"}]');
  for (const highWaterMark of [1, 2, 3]) {
    const { events } = await collect([array], { highWaterMark });
    assert.deepEqual(bodies(events), [{ name: "é漢字🙂" }, { name: "ü" }]);
    assert.deepEqual(lines(events), [2, 3]);
  }
});

test("a line longer than maxLineBytes is reported and skipped without being held", async () => {
  const long = JSON.stringify({ big: "y".repeat(300) });
  const file = await fixture(`{"a":1}\n${long}\n{"a":2}\n${long}`);
  for (const highWaterMark of [16, 64, 1 << 20]) {
    const { events, problems } = await collect([file], { maxLineBytes: 100, highWaterMark });
    assert.deepEqual(bodies(events), [{ a: 1 }, { a: 2 }]);
    assert.deepEqual(lines(events), [1, 3]);
    assert.deepEqual(problems, [
      { source: file, line: 2, reason: "line longer than 100 bytes; skipped" },
      { source: file, line: 4, reason: "line longer than 100 bytes; skipped" },
    ]);
  }
});

test("a line found too long only when its end arrives is skipped whole", async () => {
  const chunks = ['{"a":"', "x".repeat(34), '"}\n{"b":1}\n'];
  const { events, problems } = await collectStream(chunks, { maxLineBytes: 40 });
  assert.deepEqual(events, [{ event: { b: 1 }, source: "<stdin>", line: 2 }]);
  assert.deepEqual(problems.map(format), ["<stdin>:1: line longer than 40 bytes; skipped"]);
});

test("a multi-line value longer than maxDocumentBytes is reported and skipped", async () => {
  const doc = `[\n{"a":1},\n${JSON.stringify({ big: "z".repeat(500) }, null, 2)},\n{"a":2}\n]`;
  const file = await fixture(doc);
  for (const highWaterMark of [32, 1 << 20]) {
    const { events, problems } = await collect([file], { maxDocumentBytes: 200, highWaterMark });
    assert.deepEqual(bodies(events), [{ a: 1 }, { a: 2 }]);
    assert.deepEqual(lines(events), [2, 6]);
    assert.deepEqual(problems.map(format), [`${file}:3:1: JSON value longer than 200 bytes; skipped`]);
  }
});

test("readEventsFromStream reads any byte stream, as stdin is read", async () => {
  const { events, problems } = await collectStream(['{"a"', ':1}\n{"a":', Buffer.from("2}\n"), "junk"]);
  assert.deepEqual(events, [
    { event: { a: 1 }, source: "<stdin>", line: 1 },
    { event: { a: 2 }, source: "<stdin>", line: 2 },
  ]);
  assert.deepEqual(problems.map(format), ["<stdin>:3:1: invalid JSON: Unexpected token 'j'"]);
});

test('"-" reads stdin', async () => {
  const module = fileURLToPath(new URL("../../src/io/event-source.ts", import.meta.url));
  const script = `
    import { readEvents } from ${JSON.stringify(module)};
    const out = [];
    for await (const e of readEvents(["-"], { onProblem: (p) => out.push(p) })) out.push(e);
    process.stdout.write(JSON.stringify(out));
  `;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  child.stdin.end(gzipSync('{"a":1}\n\n{"a":2}\n{x\n'));
  let stdout = "";
  for await (const chunk of child.stdout) stdout += chunk;
  assert.deepEqual(JSON.parse(stdout), [
    { event: { a: 1 }, source: "<stdin>", line: 1 },
    { event: { a: 2 }, source: "<stdin>", line: 3 },
    { source: "<stdin>", line: 4, column: 2, reason: "invalid JSON: Expected property name or '}'" },
  ]);
});

test("__proto__ keys stay plain data and never reach Object.prototype", async () => {
  const file = await fixture(
    '{"__proto__": {"x": 1}, "a": 1}\n[{"constructor": {"prototype": {"y": 2}}, "__proto__": {"x": 1}}]\n',
  );
  const { events } = await collect([file]);
  assert.equal(events.length, 1);
  const event = events[0].event;
  assert.ok(Object.hasOwn(event, "__proto__"));
  assert.deepEqual(Object.getOwnPropertyDescriptor(event, "__proto__")?.value, { x: 1 });
  assert.equal(Object.getPrototypeOf(event), Object.prototype);
  assert.equal(({} as Record<string, unknown>).x, undefined);

  const array = await collect([await fixture('[{"__proto__": {"x": 1}}]', "proto.json")]);
  assert.ok(Object.hasOwn(array.events[0].event, "__proto__"));
  assert.equal(({} as Record<string, unknown>).x, undefined);
});

test("a byte order mark is ignored", async () => {
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  const ndjson = await fixture(Buffer.concat([bom, Buffer.from('{"a":1}\n{"a":2}\n')]));
  assert.deepEqual(bodies((await collect([ndjson])).events), [{ a: 1 }, { a: 2 }]);
  const array = await fixture(Buffer.concat([bom, Buffer.from('[{"a":1}]')]));
  assert.deepEqual(bodies((await collect([array], { highWaterMark: 1 })).events), [{ a: 1 }]);
});

test("a byte order mark inside a file (files joined with cat) is named, not shown as an invisible token", async () => {
  const joined = await fixture('{"a":1}\n\uFEFF{"a":2}\n{"a":3}\n');
  const { events, problems } = await collect([joined]);
  assert.deepEqual(bodies(events), [{ a: 1 }, { a: 3 }]);
  assert.equal(problems.length, 1);
  assert.equal(problems[0].line, 2);
  assert.match(problems[0].reason, /byte order mark \(U\+FEFF\)/);
});

test("several files are read in order with shared stats, and empty files are fine", async () => {
  const a = await fixture('{"f":"a"}\n');
  const empty = await fixture("");
  const blank = await fixture("\n  \n");
  const b = await fixture(gzipSync('[{"f":"b"}]'));
  const { events, stats } = await collect([a, empty, blank, b]);
  assert.deepEqual(
    events.map((e) => [e.source, e.event.f]),
    [
      [a, "a"],
      [b, "b"],
    ],
  );
  assert.equal((stats as { events: number }).events, 2);
});

test("a missing file is an error, not a problem", async () => {
  await assert.rejects(collect([path.join(dir, "nope.ndjson")]), { code: "ENOENT" });
});

test("stopping early closes the file", async () => {
  const file = await fixture(Array.from({ length: 1000 }, (_, n) => `{"n":${n}}`).join("\n"));
  let count = 0;
  for await (const _ of readEvents([file], { highWaterMark: 64 })) {
    if (++count === 3) break;
  }
  assert.equal(count, 3);
});

test("readJsonDocument parses a whole (compressed) file and locates errors", async () => {
  const mapping = { properties: { "@timestamp": { type: "date" } } };
  const gz = await fixture(gzipSync(JSON.stringify(mapping, null, 2)), "mapping.json");
  assert.deepEqual(await readJsonDocument(gz), mapping);
  const bad = await fixture('{\n  "a": 1\n  "b": 2\n}', "bad-mapping.json");
  await assert.rejects(readJsonDocument(bad), (error: unknown) => {
    assert.ok(error instanceof DecodeError);
    assert.equal(error.message, `${bad}:3:3: invalid JSON: Expected ',' or '}' after property value`);
    return true;
  });
  await assert.rejects(readJsonDocument(gz, { maxDocumentBytes: 10 }), /JSON document longer than 10 bytes/);
});
