import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import fc from "fast-check";
import { eventsOf, queryLineFilter } from "../../src/cli/query.ts";
import { parse } from "../../src/eql/parser.ts";
import { eqlSearch } from "../../src/eql/search.ts";
import type { LineFilter } from "../../src/io/line-filter.ts";
import { condition, event, query } from "../engine/prefilter-arbitrary.ts";
import { style, write } from "../engine/written-json.ts";
import { runCli } from "./run-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "eqlite-query-prefilter-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const OPTIONS = { timestampField: "@timestamp", eventCategoryField: "event.category" } as const;

/** A term that leaves many lines out: one the prefilter can decide, and a random condition. */
const selective = fc
  .tuple(
    fc.constantFrom('process.name : "*sh"', 'process.name == "bash"', 'user.id in ("5", "sh")', "x == true"),
    condition,
  )
  .map(([decided, c]) => `${decided} and (${c})`);

/** Event, sequence and sample queries, with and without pipes. */
const anyQuery = fc.oneof(
  query,
  selective.map((c) => `process where ${c}`),
  fc
    .tuple(selective, fc.constantFrom("head", "tail"), fc.integer({ min: 1, max: 4 }))
    .map(([c, pipe, n]) => `any where ${c} | ${pipe} ${n}`),
  fc
    .tuple(selective, selective)
    .map(
      ([a, b]) => `sequence by user.id [process where ${a}] [any where ${b}] until [file where x == "sh"]`,
    ),
  fc.tuple(selective, selective).map(([a, b]) => `sample by user.id [process where ${a}] [any where ${b}]`),
);

/** Few distinct times, so that order often falls to the tiebreak of reading order. */
const timestamp = fc.integer({ min: 0, max: 5 }).map((s) => `2026-01-01T00:00:0${s}Z`);

let skippedInAll = 0;
let file = 0;

test("property: a query behind its prefilter answers exactly as over every line, hit ids included", async () => {
  await fc.assert(
    fc.asyncProperty(
      anyQuery,
      // half the lines written plainly, which the prefilter decides; the others every way JSON allows
      fc.array(fc.tuple(event, fc.option(style, { freq: 2 }), timestamp), { minLength: 1, maxLength: 30 }),
      async (text, events) => {
        const path = join(dir, `events-${file++}.ndjson`);
        const lines = events.map(([e, s, t]) => {
          const stamped = { "@timestamp": t, ...e };
          return s === null ? JSON.stringify(stamped) : write(stamped, s);
        });
        writeFileSync(path, `${lines.join("\n")}\n`);
        const filter = queryLineFilter(text, OPTIONS);
        const counted: LineFilter | undefined = filter && {
          reset: () => filter.reset(),
          accepts: (buf, start, end) => {
            if (filter.accepts(buf, start, end)) return true;
            skippedInAll++;
            return false;
          },
        };
        const search = async (lineFilter?: LineFilter) => {
          const { took: _, ...response } = await eqlSearch(
            [
              {
                name: "events",
                events: eventsOf(path, {
                  onProblem: (p) => assert.fail(`no line is malformed: ${JSON.stringify(p)}`),
                  keepText: parse(text).query.kind !== "EventQuery",
                  lineFilter,
                }),
              },
            ],
            { query: text, size: 1000 },
          );
          // as the command prints it (an event read behind the filter carries its position)
          return JSON.parse(JSON.stringify(response));
        };
        assert.deepEqual(await search(counted), await search(undefined));
      },
    ),
    { numRuns: 150 },
  );
  assert.ok(skippedInAll > 100, `the prefilter skipped lines (${skippedInAll}), so ids were renumbered`);
});

test("the command skips what the query cannot match unless told not to, or given a mapping or --strict", () => {
  // a line the prefilter skips is not read, so a malformed one is not reported (as in scan)
  const path = join(dir, "skippable.ndjson");
  const lines = [
    '{"@timestamp":"2026-01-01T00:00:01Z","event":{"category":"process"},"process":{"name":"sh"}}',
    '{"@timestamp":"2026-01-01T00:00:02Z","event":{"category":"process"},"process":{"name":"zsh"},oops}',
    '{"@timestamp":"2026-01-01T00:00:03Z","event":{"category":"process"},"process":{"name":"bash"}}',
  ];
  writeFileSync(path, `${lines.join("\n")}\n`);
  const mapping = join(dir, "mapping.json");
  writeFileSync(
    mapping,
    JSON.stringify({ properties: { process: { properties: { name: { type: "keyword" } } } } }),
  );
  const query = 'process where process.name == "bash"';
  const ids = (stdout: string) =>
    (JSON.parse(stdout) as { hits: { events: Array<{ _id: string }> } }).hits.events.map((e) => e._id);

  const filtered = runCli(["query", "--format", "es", query, path]);
  assert.equal(filtered.code, 0, filtered.stderr);
  assert.deepEqual(ids(filtered.stdout), ["2"], "the skipped line still counts in the hit's id");
  assert.doesNotMatch(filtered.stderr, /skippable\.ndjson:2/);

  for (const args of [["--no-prefilter"], ["--mapping", mapping]]) {
    const everyLine = runCli(["query", "--format", "es", ...args, query, path]);
    assert.equal(everyLine.code, 0, everyLine.stderr);
    assert.match(
      everyLine.stderr,
      /skippable\.ndjson:2:\d+: /,
      `${args[0]}: the malformed line is read and reported`,
    );
    // the malformed line is not an event when it is read
    assert.deepEqual(ids(everyLine.stdout), ["1"]);
  }
  const strict = runCli(["query", "--strict", query, path]);
  assert.equal(strict.code, 2);
  assert.match(strict.stderr, /skippable\.ndjson:2:\d+: /);
});
