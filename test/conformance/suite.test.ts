import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  bigIntsToNumbers,
  buildRequest,
  classifyQuery,
  describeError,
  expectedAlternatives,
  flattenIds,
  flattenJoinKeys,
  judgeResponse,
  matchesExpected,
  parseJsonPreservingBigIntegers,
  parseSpecFile,
  quoteNullJoinKeys,
  type SearchResponse,
  type Spec,
  stringifyJoinKey,
  stripJsonLineComments,
  TEST_CLASSES,
  timestampToUnixMillis,
  timestampToUnixNanos,
} from "./suite.ts";

const hit = (source: Record<string, unknown>) => ({ _index: "i", _id: "x", _source: source });
const missing = { _index: "", _id: "", missing: true };

const events = (...ids: number[]): SearchResponse => ({
  is_partial: false,
  hits: { total: { value: ids.length, relation: "eq" }, events: ids.map((id) => hit({ id })) },
});

const spec = (over: Partial<Spec> = {}): Spec => ({
  name: "s",
  file: "f.toml",
  query: "any where true",
  kind: "event",
  expected: [[1, 2]],
  ...over,
});

describe("data transforms", () => {
  test("timestampToUnixMillis: FILETIME ticks to epoch millis, timestamp kept", () => {
    const e = timestampToUnixMillis({ timestamp: 131485996510000000n, a: 1 });
    assert.equal(e["@timestamp"], Date.parse("2017-08-30T20:47:31Z"));
    assert.equal(e.timestamp, 131485996510000000n);
    assert.equal(e.a, 1);
  });

  test("timestampToUnixMillis: the FILETIME of the Unix epoch is 0", () => {
    assert.equal(timestampToUnixMillis({ timestamp: 116444736000000000n })["@timestamp"], 0);
  });

  test("timestampToUnixMillis rounds sub-millisecond ticks down", () => {
    assert.equal(timestampToUnixMillis({ timestamp: "116444736000019999" })["@timestamp"], 1);
  });

  test("timestampToUnixNanos: whole millis stay a plain millis string", () => {
    const e = timestampToUnixNanos({ timestamp: 131485996510000000n });
    assert.equal(e["@timestamp"], "131485996510");
    assert.equal(e.timestamp, 131485996510);
  });

  test("timestampToUnixNanos: sub-millisecond digits become the fraction, without precision loss", () => {
    const e = timestampToUnixNanos({ timestamp: 131486113742943651n });
    assert.equal(e["@timestamp"], "131486113742.943651");
    assert.equal(e.timestamp, 131486113742);
  });

  test("a missing timestamp is an error, not a silent skip", () => {
    assert.throws(() => timestampToUnixMillis({}), /no integer timestamp/);
  });

  test("does not modify its input", () => {
    const input = Object.freeze({ timestamp: 131485996510000000n });
    timestampToUnixNanos(input);
    assert.deepEqual(Object.keys(input), ["timestamp"]);
  });
});

describe("JSON data files", () => {
  test("strips // line comments outside strings", () => {
    const text = '[\n ////test2\n {"a": "http://x//y", // trailing\n "b": 1}\n]';
    assert.deepEqual(JSON.parse(stripJsonLineComments(text)), [{ a: "http://x//y", b: 1 }]);
  });

  test("escaped quotes do not end a string", () => {
    const text = '{"a": "say \\"//hi\\"" // c\n}';
    assert.deepEqual(JSON.parse(stripJsonLineComments(text)), { a: 'say "//hi"' });
  });

  test("integers past 2^53 come back as bigint, others as numbers", () => {
    const v = parseJsonPreservingBigIntegers(
      '{"t": 131486113742943651, "n": -12, "f": 1.5e3, "s": "131486113742943651", "big": [9007199254740993]}',
    );
    assert.deepEqual(v, {
      t: 131486113742943651n,
      n: -12,
      f: 1500,
      s: "131486113742943651",
      big: [9007199254740993n],
    });
  });

  test("bigIntsToNumbers converts deeply", () => {
    assert.deepEqual(bigIntsToNumbers({ a: [1n, { b: 2n }], c: "x" }), { a: [1, { b: 2 }], c: "x" });
  });
});

describe("spec files", () => {
  test("null inside join_keys becomes the string null", () => {
    const toml =
      'join_keys = [null]\njoin_keys = ["tag1", null]\njoin_keys = [\n  null, "nullable"\n]\nx = "null"';
    assert.equal(
      quoteNullJoinKeys(toml),
      'join_keys = ["null"]\njoin_keys = ["tag1", "null"]\njoin_keys = [\n  "null", "nullable"\n]\nx = "null"',
    );
  });

  test("parses specs with defaults, literal query strings and ignored keys", () => {
    const specs = parseSpecFile(
      [
        "[[queries]]",
        'name = " first "',
        "query = '''",
        '  process where file_path : "\\\\TestLogs"',
        "'''",
        "expected_event_ids = [1, 2]",
        'note = "ignored"',
        "",
        "[[queries]]",
        'name = "second"',
        "query = 'sequence [a where true] [b where true]'",
        "expected_event_ids = [[1, 2], [3, 4]]",
        'join_keys = [null, "x"]',
        "size = 0",
        "max_samples_per_key = 2",
        "allow_partial_search_results = true",
        "expect_shard_failures = false",
      ].join("\n"),
      "t.toml",
    );
    assert.deepEqual(specs[0], {
      name: "first",
      file: "t.toml",
      query: 'process where file_path : "\\\\TestLogs"',
      kind: "event",
      expected: [[1, 2]],
    });
    assert.deepEqual(specs[1], {
      name: "second",
      file: "t.toml",
      query: "sequence [a where true] [b where true]",
      kind: "sequence",
      expected: [
        [1, 2],
        [3, 4],
      ],
      joinKeys: ["null", "x"],
      size: 0,
      maxSamplesPerKey: 2,
      allowPartialSearchResults: true,
      expectShardFailures: false,
    });
  });

  test("expected_event_ids forms", () => {
    assert.deepEqual(expectedAlternatives([]), [[]]);
    assert.deepEqual(expectedAlternatives([1, -1]), [[1, -1]]);
    assert.deepEqual(expectedAlternatives([[1], [2, 3]]), [[1], [2, 3]]);
    assert.throws(() => expectedAlternatives([1, [2]]), /Invalid expected_event_ids/);
  });

  test("query kind from the first word", () => {
    assert.equal(classifyQuery("  process where true"), "event");
    assert.equal(classifyQuery("\n  SEQUENCE by a [x where true]"), "sequence");
    assert.equal(classifyQuery("// note\n/* c */ sample by h [a where true]"), "sample");
    assert.equal(classifyQuery("sequences where true"), "event");
  });
});

describe("judging", () => {
  test("ids: events in order; sequences flattened; a missing event is -1", () => {
    assert.deepEqual(flattenIds(events(3, 1), "id"), [3, 1]);
    const seqs: SearchResponse = {
      is_partial: false,
      hits: {
        total: { value: 2, relation: "eq" },
        sequences: [{ events: [hit({ id: 1 }), missing] }, { events: [hit({ id: 2 }), hit({ id: 5 })] }],
      },
    };
    assert.deepEqual(flattenIds(seqs, "id"), [1, -1, 2, 5]);
    assert.equal(
      flattenIds({ is_partial: false, hits: { total: { value: 0, relation: "eq" } } }, "id"),
      undefined,
    );
  });

  test("order-sensitive comparison with alternatives", () => {
    assert.ok(matchesExpected([1, 2], [[1, 2]]));
    assert.ok(!matchesExpected([2, 1], [[1, 2]]));
    assert.ok(!matchesExpected([1], [[1, 2]]));
    assert.ok(
      matchesExpected(
        [3, 4],
        [
          [1, 2],
          [3, 4],
        ],
      ),
    );
    assert.ok(matchesExpected([], [[]]));
  });

  test("join keys are stringified like Java's toString", () => {
    assert.deepEqual([null, undefined, 1234, 1.5, true, false, "10.0.0.1", 7n].map(stringifyJoinKey), [
      "null",
      "null",
      "1234",
      "1.5",
      "true",
      "false",
      "10.0.0.1",
      "7",
    ]);
    const r: SearchResponse = {
      is_partial: false,
      hits: {
        total: { value: 2, relation: "eq" },
        sequences: [
          { join_keys: ["a", null], events: [] },
          { join_keys: [1], events: [] },
        ],
      },
    };
    assert.deepEqual(flattenJoinKeys(r), ["a", "null", "1"]);
  });

  test("a matching response passes; join keys only count when the spec lists some", () => {
    assert.equal(judgeResponse(spec(), events(1, 2), "id").passed, true);
    assert.equal(judgeResponse(spec({ joinKeys: [] }), events(1, 2), "id").passed, true);
    const v = judgeResponse(spec({ joinKeys: ["x"] }), events(1, 2), "id");
    assert.deepEqual(v.problems, ["join keys differ"]);
  });

  test("wrong ids, missing hits and missing id fields fail", () => {
    assert.deepEqual(judgeResponse(spec(), events(2, 1), "id").problems, ["event ids differ"]);
    const none = judgeResponse(
      spec(),
      { is_partial: false, hits: { total: { value: 0, relation: "eq" } } },
      "id",
    );
    assert.deepEqual(none.problems, ["No events or sequences found"]);
    const noId = judgeResponse(spec(), events(1, 2), "serial");
    assert.deepEqual(noId.ids, [null, null]);
    assert.equal(noId.passed, false);
  });

  test("shard failures are checked when the spec says so", () => {
    const failing: SearchResponse = {
      ...events(1, 2),
      shard_failures: [{ index: "x", reason: { type: "script_exception", reason: "boom" } }],
    };
    assert.equal(judgeResponse(spec({ expectShardFailures: true }), failing, "id").passed, true);
    assert.equal(judgeResponse(spec({ expectShardFailures: true }), events(1, 2), "id").passed, false);
    assert.equal(
      judgeResponse(spec({ expectShardFailures: true }), { ...events(1, 2), is_partial: true }, "id").passed,
      true,
    );
    assert.equal(judgeResponse(spec({ expectShardFailures: false }), failing, "id").passed, false);
    assert.equal(judgeResponse(spec(), failing, "id").passed, true);
  });

  test("errors: query errors by message, crashes with where they happened", () => {
    const queryError = Object.assign(new Error("line 1:5: boom"), { line: 1, column: 5 });
    assert.equal(describeError(queryError), "Error: line 1:5: boom");
    assert.match(describeError(new TypeError("x is undefined")), /^TypeError: x is undefined \(at /);
  });
});

describe("requests", () => {
  const samples = TEST_CLASSES.find((c) => c.name === "EqlSampleTestCase")!;
  const endgame = TEST_CLASSES.find((c) => c.name === "EqlSpecTestCase")!;

  test("defaults: size 50, one sample per key, the fixed field names", () => {
    assert.deepEqual(buildRequest(spec(), endgame, "tail"), {
      query: "any where true",
      event_category_field: "event.category",
      timestamp_field: "@timestamp",
      tiebreaker_field: "serial_event_id",
      size: 50,
      result_position: "tail",
      max_samples_per_key: 1,
    });
  });

  test("spec values and no tiebreaker for samples", () => {
    const r = buildRequest(
      spec({
        size: 0,
        maxSamplesPerKey: 3,
        allowPartialSearchResults: false,
        allowPartialSequenceResults: true,
      }),
      samples,
      "head",
    );
    assert.equal(r.tiebreaker_field, undefined);
    assert.equal(r.size, 0);
    assert.equal(r.max_samples_per_key, 3);
    assert.equal(r.allow_partial_search_results, false);
    assert.equal(r.allow_partial_sequence_results, true);
  });
});

test("errata rewrite only the named spec's query and say why", async () => {
  const { applyErrata } = await import("./suite.ts");
  const fixed = applyErrata(
    "sequencesOnDifferentEventTypes7",
    "sequence with maxspan=500ms [a where true] [b where true]",
  );
  assert.equal(fixed.query, "sequence with maxspan=50ms [a where true] [b where true]");
  assert.match(fixed.applied[0], /PR #76953/);
  const untouched = applyErrata("otherSpec", "sequence with maxspan=500ms [a where true] [b where true]");
  assert.deepEqual(untouched.applied, []);
});
