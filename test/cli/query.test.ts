import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { makePathTooLong, removeTree } from "../io/too-long-path.ts";
import { runCli } from "./run-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "eqlite-query-"));
const cliEntry = fileURLToPath(new URL("../../src/cli/entry.ts", import.meta.url));
const lines = [
  {
    "@timestamp": "2026-01-01T00:00:03Z",
    event: { category: "process" },
    host: { id: "h1" },
    process: { name: "bash" },
  },
  {
    "@timestamp": "2026-01-01T00:00:01Z",
    event: { category: "process" },
    host: { id: "h1" },
    process: { name: "sh" },
  },
  {
    "@timestamp": "2026-01-01T00:00:05Z",
    event: { category: "network" },
    host: { id: "h1" },
    destination: { port: 4444 },
  },
].map((e) => JSON.stringify(e));
const events = join(dir, "events.ndjson");
writeFileSync(events, [lines[0], "{not json", lines[1], lines[2]].join("\n") + "\n");

test("prints matching events as NDJSON in time order and reports a malformed line", () => {
  const r = runCli(["query", 'process where process.name : ("*sh")', events]);
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l).process.name);
  assert.deepEqual(out, ["sh", "bash"]);
  assert.match(r.stderr, /events\.ndjson:2(:\d+)?: invalid JSON/);
  assert.match(r.stderr, /1 malformed input line\(s\) reported above were skipped/);
});

test("matches are written with what a terminal acts on escaped, in both formats", () => {
  const hostile = join(dir, "hostile.ndjson");
  const name = "sh\u009b2J\u001b]0;x\u0007\u202eevil";
  writeFileSync(
    hostile,
    `${JSON.stringify({ "@timestamp": "2026-01-01T00:00:01Z", event: { category: "process" }, process: { name } })}\n`,
  );
  for (const format of ["ndjson", "es"]) {
    const r = runCli(["query", "--format", format, "process where true", hostile]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    const parsed = JSON.parse(format === "es" ? r.stdout : r.stdout.trim());
    assert.equal(format === "es" ? parsed.hits.events[0]._source.process.name : parsed.process.name, name);
  }
});

test("--strict makes a malformed line fatal", () => {
  const r = runCli(["query", "--strict", "process where true", events]);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /events\.ndjson:2(:\d+)?: invalid JSON[^\n]*\neqlite: stopped at the first malformed input \(--strict\)/,
  );
});

test("an invalid query exits 2 with a code frame, before reading input", () => {
  const r = runCli(["query", 'process where process.name = "bash"', join(dir, "does-not-exist.ndjson")]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /line 1:28: '=' is not a comparison operator/);
  assert.match(r.stderr, /\n {2}\| {28}\^/);
});

test("--format es prints the _eql/search response, sequences included", () => {
  const r = runCli([
    "query",
    "--format",
    "es",
    "sequence by host.id with maxspan=1m [process where true] [network where destination.port == 4444]",
    events,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const response = JSON.parse(r.stdout);
  assert.equal(response.hits.total.value, 1);
  assert.deepEqual(response.hits.sequences[0].join_keys, ["h1"]);
  assert.deepEqual(
    response.hits.sequences[0].events.map(
      (e: { _source: { process?: { name: string } } }) => e._source.process?.name ?? "net",
    ),
    ["bash", "net"],
  );
});

test("reads stdin and gzip, and says when --size hides matches", () => {
  const gz = join(dir, "events.json.gz");
  writeFileSync(gz, gzipSync(`[${lines.join(",")}]`));
  const r = runCli(["query", "--size", "1", "--result-position", "head", "any where true", gz]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).process.name, "sh");
  assert.match(r.stderr, /showing 1 of 3 matches/);
  const s = runCli(["query", "network where true", "-"], lines.join("\n"));
  assert.equal(JSON.parse(s.stdout).destination.port, 4444);
});

test("bad options are usage errors", () => {
  assert.equal(runCli(["query", "--size", "-1", "any where true"]).code, 2);
  assert.equal(runCli(["query", "--result-position", "middle", "any where true"]).code, 2);
  assert.equal(runCli(["nope"]).code, 2);
});

test("a missing input file is a clear usage error", () => {
  const r = runCli(["query", "any where true", join(dir, "nope.ndjson")]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot read input: .*nope\.ndjson/);
});

test("a directory is searched as its event files: an index each, named by path when names repeat", () => {
  const bundle = join(dir, "bundle");
  for (const node of ["node-a", "node-b"]) {
    mkdirSync(join(bundle, node), { recursive: true });
    writeFileSync(join(bundle, node, "events.ndjson"), `${lines[0]}\n`);
  }
  writeFileSync(join(bundle, "other.jsonl"), `${lines[1]}\n`);
  const r = runCli(["query", "--format", "es", "process where true", bundle]);
  assert.equal(r.code, 0, r.stderr);
  const indices = JSON.parse(r.stdout).hits.events.map((hit: { _index: string }) => hit._index);
  assert.deepEqual(indices.sort(), [
    join(bundle, "node-a", "events.ndjson"),
    join(bundle, "node-b", "events.ndjson"),
    "other.jsonl",
  ]);
});

const shellQuote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
const hasScript = spawnSync("script", ["--version"]).status === 0;

test("reading from a terminal is said; from a pipe it is not", {
  skip: !hasScript && "no script(1) for a terminal",
}, () => {
  const event = JSON.stringify({ "@timestamp": 1, event: { category: "process" } });
  const command = [process.execPath, "--import", "tsx", cliEntry, "query", "process where true"].map(
    shellQuote,
  );
  // script(1) gives the command a terminal; Ctrl-D at the start of a line ends its input
  const terminal = spawnSync("script", ["-qec", command.join(" "), "/dev/null"], {
    input: `${event}\n\x04`,
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.match(terminal.stdout, /reading events from the terminal/);
  assert.match(terminal.stdout, /"@timestamp":1/);
  const piped = runCli(["query", "process where true"], `${event}\n`);
  assert.equal(piped.code, 0, piped.stderr);
  assert.doesNotMatch(piped.stderr, /terminal/);
});

test("an input the file system refuses is said with exit 2: a link in a circle, a directory too deep", () => {
  const circle = join(dir, "circle.ndjson");
  symlinkSync("circle.ndjson", circle);
  const looped = runCli(["query", "process where true", circle]);
  assert.equal(looped.code, 2);
  assert.match(looped.stderr, /^eqlite: cannot read input: ELOOP/);
  const deep = join(dir, "deep-bundle");
  mkdirSync(deep);
  try {
    makePathTooLong(deep);
    const tooDeep = runCli(["query", "process where true", deep]);
    assert.equal(tooDeep.code, 2);
    assert.match(tooDeep.stderr, /^eqlite: cannot read the directory .*ENAMETOOLONG/);
  } finally {
    removeTree(deep);
  }
});

test("--mapping gives field types: ip equality and aliases work as in Elasticsearch", () => {
  const mapping = join(dir, "mapping.json");
  writeFileSync(
    mapping,
    JSON.stringify({
      properties: {
        kind: { type: "keyword" },
        event: { properties: { category: { type: "alias", path: "kind" } } },
        src: { type: "ip" },
        n: { type: "long" },
      },
    }),
  );
  const data = join(dir, "typed.ndjson");
  writeFileSync(
    data,
    [
      { "@timestamp": 1, kind: "network", src: "2001:db8::1", n: 2 },
      { "@timestamp": 2, kind: "network", src: "10.0.0.1", n: 1 },
    ]
      .map((e) => JSON.stringify(e))
      .join("\n"),
  );
  const r = runCli(["query", "--mapping", mapping, 'network where src == "2001:0db8:0000::1"', data]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).n, 2);
  const unknown = runCli(["query", "--mapping", mapping, "network where nope == 1", data]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown column \[nope\]/);
});

const shaped = (name: string, document: unknown): string => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(document));
  return path;
};

test("--mapping takes what `GET <index>/_mapping` answers", () => {
  const data = join(dir, "answered.ndjson");
  writeFileSync(data, JSON.stringify({ "@timestamp": 1, "event.category": "network", src: "10.0.0.1" }));
  const answer = { "logs-a": { mappings: { properties: { src: { type: "ip" } } } } };
  const query = "network where src == 167772161";
  // typed as an ip, the field cannot be compared with a number: the mapping under the index name was read
  const typed = runCli(["query", "--mapping", shaped("answer.json", answer), query, data]);
  assert.equal(typed.code, 2);
  assert.match(typed.stderr, /of type \[ip\]/);
  assert.equal(runCli(["query", query, data]).code, 0);
});

test("a --mapping that cannot be used is said in one line, without a stack trace", () => {
  const malformed = join(dir, "malformed-mapping.json");
  writeFileSync(malformed, '{"properties": {');
  const deep = join(dir, "deep-mapping.json");
  const levels = 100_000;
  writeFileSync(deep, `${'{"properties": {"a": '.repeat(levels)}{}${"}}".repeat(levels)}`);
  for (const [mapping, problem] of [
    [malformed, /malformed-mapping\.json:1:\d+: invalid JSON/],
    [deep, /deep-mapping\.json:1: the document nests more than 1000 levels deep/],
    [join(dir, "no-mapping.json"), /cannot read input: .*no-mapping\.json/],
    [shaped("listed-mapping.json", [{ properties: {} }]), /listed-mapping\.json: a mapping is a JSON object/],
    [
      shaped("typeless-mapping.json", { properties: { n: "long" } }),
      /properties\.n: a field's mapping is an object/,
    ],
  ] as const) {
    const r = runCli(["query", "--mapping", mapping, "process where true", events]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, problem);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

test("--tiebreaker-field orders events with equal timestamps", () => {
  const data = join(dir, "ties.ndjson");
  writeFileSync(
    data,
    [
      { "@timestamp": 1, seq: 2, k: "b" },
      { "@timestamp": 1, seq: 1, k: "a" },
    ]
      .map((e) => JSON.stringify(e))
      .join("\n"),
  );
  const plain = runCli(["query", "any where true", data])
    .stdout.trim()
    .split("\n")
    .map((l) => JSON.parse(l).k);
  assert.deepEqual(plain, ["b", "a"], "input order without a tiebreaker");
  const tied = runCli(["query", "--tiebreaker-field", "seq", "any where true", data])
    .stdout.trim()
    .split("\n")
    .map((l) => JSON.parse(l).k);
  assert.deepEqual(tied, ["a", "b"]);
});

test("a sequence query past --spill-after writes its events to --spill-dir and prints the same sequences", () => {
  // shells and connections on three hosts, out of time order, in two files
  const mixed = Array.from({ length: 60 }, (_, i) => {
    const t = (i * 37) % 60;
    const shell = i % 3 !== 0;
    return JSON.stringify({
      "@timestamp": new Date(Date.UTC(2026, 0, 1, 0, 0, t)).toISOString(),
      event: { category: shell ? "process" : "network" },
      host: { id: `h${i % 4}` },
      ...(shell ? { process: { name: "sh" } } : { destination: { port: 4444 } }),
    });
  });
  const first = join(dir, "mixed-1.ndjson");
  const second = join(dir, "mixed-2.ndjson");
  writeFileSync(first, `${mixed.slice(0, 30).join("\n")}\n`);
  writeFileSync(second, `${mixed.slice(30).join("\n")}\n`);
  const query =
    'sequence by host.id with maxspan=10s [process where process.name == "sh"] [network where destination.port == 4444]';
  const held = runCli(["query", query, "--size", "100", first, second]);
  assert.equal(held.code, 0, held.stderr);
  assert.ok(held.stdout.trim().split("\n").length > 5, held.stdout);
  const spillDir = mkdtempSync(join(tmpdir(), "eqlite-query-spill-"));
  const spilled = runCli([
    "query",
    query,
    "--size",
    "100",
    "--spill-after",
    "3",
    "--spill-dir",
    spillDir,
    first,
    second,
  ]);
  assert.equal(spilled.code, 0, spilled.stderr);
  assert.equal(spilled.stdout, held.stdout);
  assert.deepEqual(readdirSync(spillDir), [], "the runs are removed at the end");

  const notADirectory = events;
  const failed = runCli(["query", query, "--spill-after", "3", "--spill-dir", notADirectory, first]);
  assert.equal(failed.code, 2);
  assert.match(failed.stderr, new RegExp(`eqlite: cannot use ${notADirectory}.*--spill-dir`));
});

test("an event nesting deeper than JSON.stringify can go is printed as it was read, in every format", () => {
  const depth = 20_000;
  const hostile = `{"@timestamp":"2026-01-01T00:00:02Z","event":{"category":"process"},"process":{"name":"sh"},"labels":${"[".repeat(depth)}${"]".repeat(depth)}}`;
  const input = join(dir, "deep.ndjson");
  writeFileSync(input, [lines[0], hostile, lines[1]].join("\n") + "\n");
  const r = runCli(["query", "process where true", input]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split("\n"), [lines[1], hostile, lines[0]]);
  assert.equal(r.stderr, "");

  const es = runCli(["query", "--format", "es", "process where true", input]);
  assert.equal(es.code, 0, es.stderr);
  const response = JSON.parse(es.stdout);
  assert.equal(response.hits.total.value, 3);
  assert.deepEqual(
    response.hits.events.map((h: { _id: string }) => h._id),
    ["2", "1", "0"],
  );
  assert.ok(es.stdout.includes(`"_source": ${hostile}`));

  const sequence = runCli(["query", "sequence [process where true] [process where true]", input]);
  assert.equal(sequence.code, 0, sequence.stderr);
  const [first] = sequence.stdout.trim().split("\n");
  assert.deepEqual(
    JSON.parse(first).events.map((e: { _id: string }) => e._id),
    ["2", "1"],
  );
  assert.ok(first.endsWith(`"_source":${hostile}}]}`));
});

test("events are printed as they were read: what JSON.parse would change (big integers, 1e400, repeated keys) is kept", () => {
  // every value here reads back different through JSON.parse and JSON.stringify
  const exact = `{"@timestamp":"2026-01-01T00:00:02Z", "event":{"category":"process"},"host":{"id":"h1"},"n":9007199254740993,"huge":1e400,"dup":1,"dup":2,"ratio":1.50}`;
  const input = join(dir, "exact.ndjson");
  writeFileSync(input, [lines[1], exact].join("\n") + "\n");
  const event = runCli(["query", "process where n != null", input]);
  assert.equal(event.code, 0, event.stderr);
  assert.equal(event.stdout, `${exact}\n`);

  const es = runCli(["query", "--format", "es", "process where n != null", input]);
  assert.equal(es.code, 0, es.stderr);
  assert.ok(es.stdout.includes(`"_source": ${exact}`), es.stdout);

  const sequence = runCli([
    "query",
    "sequence by host.id [process where n == null] [process where n != null]",
    input,
  ]);
  assert.equal(sequence.code, 0, sequence.stderr);
  assert.equal(
    sequence.stdout,
    `{"join_keys":["h1"],"events":[{"_index":"exact.ndjson","_id":"0","_source":${lines[1]}},{"_index":"exact.ndjson","_id":"1","_source":${exact}}]}\n`,
  );
});

test("an element of a JSON array file is printed on one line; a join key cannot pass for an event", () => {
  const input = join(dir, "array.json");
  // a join key holding what a placeholder for an event's text might look like
  const forged = `"eqlite-source-0"`;
  writeFileSync(
    input,
    `[\n  {\n    "@timestamp": "2026-01-01T00:00:01Z",\n    "event": {"category": "process"},\n    "host": {"id": ${forged}}\n  },\r\n  {"@timestamp": "2026-01-01T00:00:02Z", "event": {"category": "process"}, "host": {"id": ${forged}}}\n]\n`,
  );
  const event = runCli(["query", "process where true", input]);
  assert.equal(event.code, 0, event.stderr);
  const printed = event.stdout.trim().split("\n");
  assert.equal(printed.length, 2);
  assert.equal(
    printed[0],
    `{    "@timestamp": "2026-01-01T00:00:01Z",    "event": {"category": "process"},    "host": {"id": ${forged}}  }`,
  );
  const sequence = runCli(["query", "sequence by host.id [process where true] [process where true]", input]);
  assert.equal(sequence.code, 0, sequence.stderr);
  assert.deepEqual(JSON.parse(sequence.stdout).join_keys, ["eqlite-source-0"]);
});

test("an input where the query fails (a script error, as a shard failure) is said, not silently empty", () => {
  const failing = join(dir, "failing.ndjson");
  writeFileSync(failing, `${JSON.stringify({ event: { category: "process" }, n: 0 })}\n`);
  const r = runCli(["query", "process where 1 / n == 1", failing]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /failing\.ndjson: the query failed there and matched nothing in it: \/ by zero/);
});
