import assert from "node:assert/strict";
import { test } from "node:test";
import { parseBulk, parseBulkYielding } from "../../src/server/bulk-request.ts";
import { bulkResponse, generateId } from "../../src/server/bulk-response.ts";
import { bulkResponseText } from "../../src/server/bulk-response-text.ts";
import { filterPath } from "../../src/server/filter-path.ts";
import { IngestBatch } from "../../src/server/ingest-batch.ts";
import { IngestQueue } from "../../src/server/ingest-queue.ts";
import { PrometheusText } from "../../src/server/prometheus.ts";

const body = (...lines: string[]) => Buffer.from(lines.join("\n"));
const summary = (items: ReturnType<typeof parseBulk>) =>
  items.map((i) => `${i.action}@${i.line}:${i.error ? i.error.status : "ok"}`);

test("one item per action, in order; blank lines skipped; a missing last newline is fine", () => {
  const items = parseBulk(
    body(
      '{"index":{"_index":"a","_id":7}}',
      '{"x":1}',
      "",
      "   ",
      '{"delete":{"_index":"a","_id":"1"}}',
      '{"create":{}}',
      '{"y":2}',
    ),
    { urlIndex: "u" },
  );
  assert.deepEqual(summary(items), ["index@1:ok", "delete@5:400", "create@6:ok"]);
  assert.equal(items[0].id, "7", "a numeric _id is taken as its digits");
  assert.equal(items[2].index, "u", "the URL's index when the action names none");
});

test("after an unreadable action line the next line is its document, unless it is an action", () => {
  const resync = parseBulk(body("garbage", '{"x":1}', '{"create":{"_index":"a"}}', '{"y":2}'));
  assert.deepEqual(summary(resync), ["index@1:400", "create@3:ok"]);
  const noDocument = parseBulk(
    body('{"upsert":{}}', '{"delete":{"_index":"a","_id":"1"}}', '{"create":{"_index":"a"}}', '{"z":3}'),
  );
  assert.deepEqual(summary(noDocument), ["index@1:400", "delete@2:400", "create@3:ok"]);
  assert.match(noDocument[0].error!.reason, /found \[upsert\]/);
});

test("documents: not JSON, not an object, missing at the end, no index anywhere", () => {
  const items = parseBulk(
    body(
      '{"create":{"_index":"a"}}',
      '{"x":',
      '{"create":{"_index":"a"}}',
      '"text"',
      '{"create":{}}',
      '{"z":1}',
      '{"index":{"_index":"a"}}',
    ),
    {
      defaultIndex: "",
    },
  );
  assert.deepEqual(summary(items), ["create@1:400", "create@3:400", "create@5:400", "index@7:400"]);
  assert.equal(items[0].error!.type, "document_parsing_exception");
  assert.match(items[1].error!.reason, /must be a JSON object, not string/);
  assert.match(items[2].error!.reason, /index is missing/);
  assert.match(items[3].error!.reason, /no document line/);
});

test("a __proto__ key in an action or a document is a field, never a prototype", () => {
  const items = parseBulk(
    body('{"create":{"_index":"a","__proto__":{"_index":"evil"}}}', '{"__proto__":{"polluted":1},"a":1}'),
  );
  assert.equal(items[0].index, "a");
  assert.equal(Object.getPrototypeOf(items[0].event), Object.prototype);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test("filter_path keeps the named paths, looking through arrays", () => {
  const response = {
    took: 1,
    errors: false,
    items: [{ create: { _index: "a", status: 201 } }, { index: { status: 400, error: { type: "t" } } }],
  };
  assert.deepEqual(filterPath(response, "errors,items.*.status"), {
    errors: false,
    items: [{ create: { status: 201 } }, { index: { status: 400 } }],
  });
  assert.deepEqual(filterPath(response, "items.*.err*.type"), {
    items: [{ index: { error: { type: "t" } } }],
  });
  assert.deepEqual(filterPath(response, "nothing"), {});
  assert.equal(filterPath(response, undefined), response);
});

/** A _bulk body of `n` actions: creates with and without _id, a delete now and then, a bad document now and then. */
function mixedBulk(n: number, failures = true): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    if (failures && i % 7 === 3) lines.push(`{"delete":{"_index":"logs-a","_id":"d${i}"}}`);
    else if (failures && i % 11 === 5) lines.push('{"create":{"_index":"logs-a"}}', '"not an object"');
    else if (i % 2 === 0) lines.push(`{"create":{"_index":"logs-a","_id":"c${i}"}}`, `{"n":${i}}`);
    else lines.push('{"index":{"_index":"logs-b"}}', JSON.stringify({ n: i, s: 'é"x\u2028<' }));
  }
  return Buffer.from(lines.join("\n"));
}

const FILTERS = [
  undefined,
  "",
  " , ",
  "errors,items.*.error,items.*.status",
  "errors,items.*.error",
  "items.*._id,items.*._seq_no",
  "items.*.err*.type",
  "took",
  "nothing",
  "items",
  "items.*",
  "*",
  "*.*.create.status",
  "errors,items.create._id",
];

test("the _bulk answer is built a slice at a time, the event loop turning between slices, in the same bytes as built whole", async () => {
  for (const failures of [true, false]) {
    for (const filter of FILTERS) {
      const items = parseBulk(mixedBulk(2_345, failures));
      let turns = 0;
      let building = true;
      const spin = () => {
        turns++;
        if (building) setImmediate(spin);
      };
      setImmediate(spin);
      const text = await bulkResponseText(items, 12, 40, filter, 100);
      building = false;
      const what = `${failures ? "with" : "without"} failures, filter_path ${JSON.stringify(filter)}`;
      // 24 slices of items: another task ran between them (a filter that keeps no item builds none)
      if (text.includes('"items":[')) {
        assert.ok(turns >= 20, `${what}: the event loop turned ${turns} times while the answer was built`);
        assert.ok(
          items.every((item) => item.error !== undefined || typeof item.id === "string"),
          `${what}: ids are given as answers are written`,
        );
      }
      assert.equal(text, JSON.stringify(filterPath(bulkResponse(items, 12, 40), filter)), what);
    }
  }
  const none = await bulkResponseText([], 1, 0, undefined);
  assert.equal(none, '{"took":1,"errors":false,"items":[]}');
  assert.equal(await bulkResponseText([], 1, 0, "items"), '{"items":[]}');
  assert.equal(await bulkResponseText([], 1, 0, "items.*.status"), "{}");
});

test("the queue reserves room for a whole request, refuses past its bound, lets an oversized batch in alone", async () => {
  const q = new IngestQueue(10);
  const a = q.reserve(6)!;
  assert.equal(q.reserve(5), undefined, "6 reserved + 5 > 10");
  const b = q.reserve(4)!;
  b.cancel();
  a.commit(new IngestBatch(new Array(6).fill({ event: {}, origin: { source: "t", line: 1 } }), "t"));
  assert.equal(q.depth, 6);
  assert.ok(q.isFull(5));
  await q.take();
  assert.ok(q.reserve(50), "an empty queue takes a batch larger than itself");
  q.close();
  assert.equal(q.reserve(1), undefined, "a closed queue takes nothing new");
});

test("Prometheus text escapes label values", () => {
  const text = new PrometheusText()
    .family("eqlite_x_total", "counter", "Help with a \\ backslash.", [
      { labels: { rule: 'a "quoted"\\ name\n' }, value: 2 },
    ])
    .toString();
  assert.equal(
    text,
    '# HELP eqlite_x_total Help with a \\\\ backslash.\n# TYPE eqlite_x_total counter\neqlite_x_total{rule="a \\"quoted\\"\\\\ name\\n"} 2\n',
  );
});

test("a UTF-8 byte order mark before the first action line is skipped, as /ingest skips it", () => {
  const items = parseBulk(
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body('{"create":{"_index":"a"}}', '{"x":1}')]),
  );
  assert.deepEqual(summary(items), ["create@1:ok"]);
  assert.deepEqual(items[0].event, { x: 1 });
});

test("a large body is parsed a slice at a time, giving the event loop a turn between slices, and the same items", async () => {
  const lines: string[] = [];
  for (let i = 0; i < 10; i++) lines.push('{"create":{"_index":"a"}}', i === 4 ? "not json" : `{"n":${i}}`);
  lines.splice(6, 0, "garbage");
  const whole = body(...lines);
  let turns = 0;
  const tick = () => {
    turns++;
    if (turns < 20) setImmediate(tick);
  };
  setImmediate(tick);
  const items = await parseBulkYielding(whole, {}, 3);
  assert.deepEqual(summary(items), summary(parseBulk(whole)));
  assert.ok(turns >= 3, `the event loop ran ${turns} times during the parse`);
});

test("generated ids are 20 URL-safe characters and do not repeat across refills of their random pool", () => {
  const ids = new Set<string>();
  for (let i = 0; i < 10_000; i++) {
    const id = generateId();
    assert.match(id, /^[A-Za-z0-9_-]{20}$/);
    ids.add(id);
  }
  assert.equal(ids.size, 10_000);
});

test("filter_path segments: * is the only wildcard, ? and \\ stand for themselves", () => {
  const response = { "a?c": 1, abc: 2, "a\\x": 3, ax: 4, "x\ny": 5 };
  assert.deepEqual(filterPath(response, "a?c"), { "a?c": 1 });
  assert.deepEqual(filterPath(response, "a\\x"), { "a\\x": 3 });
  assert.deepEqual(filterPath(response, "a*c"), { "a?c": 1, abc: 2 });
  assert.deepEqual(filterPath(response, "x*"), { "x\ny": 5 });
});
