import assert from "node:assert/strict";
import { test } from "node:test";
import { compileEventQuery } from "../../src/eql/compile-query.ts";
import { EqlError } from "../../src/eql/error.ts";
import { MAX_REGEX_NESTING } from "../../src/eql/lucene-regex.ts";
import { MAX_NESTING } from "../../src/eql/nesting.ts";
import { parse, parseExpression } from "../../src/eql/parser.ts";
import { print } from "../../src/eql/printer.ts";
import { makeSource, printCodeFrame } from "../../src/eql/source.ts";

/** Each builds a condition `levels` deep (counted in tree nodes, or in brackets for brackets). */
const NESTED: Record<string, (levels: number) => string> = {
  brackets: (n) => `${"(".repeat(n - 2)}process.name == "a"${")".repeat(n - 2)}`,
  not: (n) => `${"not ".repeat(n - 2)}process.name == "a"`,
  "and chain": (n) => Array.from({ length: n - 1 }, (_, i) => `process.name != "x${i}"`).join(" and "),
  "or chain": (n) => Array.from({ length: n - 1 }, (_, i) => `process.pid == ${i}`).join(" or "),
  "arithmetic chain": (n) => `${Array.from({ length: n - 1 }, () => "process.pid").join(" + ")} > 0`,
  signs: (n) => `${"-".repeat(n - 2)}process.pid == 1`,
  "function calls": (n) => `${"concat(".repeat(n - 2)}process.name${")".repeat(n - 2)} == "a"`,
};

const event = { event: { category: "process" }, process: { name: "a", pid: 1 } };

for (const [name, nested] of Object.entries(NESTED)) {
  test(`nesting (${name}): ${MAX_NESTING} levels parse, check, compile, run and print`, () => {
    const query = `process where ${nested(MAX_NESTING)}`;
    const predicate = compileEventQuery(query);
    assert.equal(typeof predicate(event), "boolean");
    // printed, it parses back to the same query
    const printed = print(parse(query));
    assert.equal(print(parse(printed)), printed);
  });

  test(`nesting (${name}): one level more is a syntax error, not a stack overflow`, () => {
    const query = `process where ${nested(MAX_NESTING + 1)}`;
    for (const attempt of [() => parse(query), () => parseExpression(nested(MAX_NESTING + 1))]) {
      assert.throws(attempt, (e) => {
        assert.ok(e instanceof EqlError, String(e));
        assert.equal(e.kind, "syntax");
        assert.match(e.message, new RegExp(`nests more than ${MAX_NESTING} levels deep`));
        assert.equal(e.line, 1);
        return true;
      });
    }
  });
}

test("nesting: a chain over the limit is placed at its start; brackets where the limit is crossed", () => {
  const chain = `process where ${NESTED["and chain"](MAX_NESTING + 1)}`;
  assert.throws(
    () => parse(chain),
    (e: EqlError) => e.column === "process where ".length + 1,
  );
  const brackets = `process where ${NESTED.brackets(MAX_NESTING + 1)}`;
  assert.throws(
    () => parse(brackets),
    (e: EqlError) => e.column === brackets.indexOf('"a"') + 1,
  );
});

test("nesting: every term of a sequence is held to the limit, the until clause too", () => {
  const deep = NESTED["or chain"](MAX_NESTING + 1);
  const shallow = 'process.name == "a"';
  for (const [first, second, until] of [
    [deep, shallow, shallow],
    [shallow, deep, shallow],
    [shallow, shallow, deep],
  ]) {
    const query = `sequence [process where ${first}] [process where ${second}] until [process where ${until}]`;
    assert.throws(() => parse(query), /nests more than/);
  }
});

test("messages quote long spans of a query by their two ends", () => {
  const list = Array.from({ length: 200 }, (_, i) => `"v${i}"`).join(", ");
  const query = `process where concat(${list}) + 1 == 2`;
  assert.throws(
    () => compileEventQuery(query),
    (e: EqlError) => {
      const quoted = /found value \[(.*?)\] type/.exec(e.message)?.[1] ?? "";
      assert.ok(quoted.startsWith('concat("v0", "v1"'), quoted);
      assert.ok(quoted.endsWith('"v198", "v199")'), quoted);
      assert.ok(quoted.includes("…") && quoted.length <= 161, quoted);
      return true;
    },
  );
  // a short one is quoted whole, as Elasticsearch writes it
  assert.throws(
    () => compileEventQuery("process where length(1) == 1"),
    /first argument of \[length\(1\)\] /,
  );
});

test("a code frame shows a window of a long line around the problem, the caret under it", () => {
  const body = `process where ${Array.from({ length: 300 }, (_, i) => `a${i} == ${i}`).join(" or ")} or b = 1`;
  const offset = body.indexOf("b = 1") + 2;
  const [line, caret] = printCodeFrame(makeSource(body), offset).split("\n");
  assert.ok(line.length < 200, `${line.length} characters`);
  assert.ok(line.startsWith("1 | …") && line.endsWith("b = 1"), line);
  assert.equal(line[caret.indexOf("^")], "=");
  // short lines are shown whole
  assert.equal(
    printCodeFrame(makeSource("process where b = 1"), 16),
    "1 | process where b = 1\n  |                 ^",
  );
});

test("the deepest query holding the deepest regex still compiles and runs", () => {
  const regex = `${"(".repeat(MAX_REGEX_NESTING)}a${")".repeat(MAX_REGEX_NESTING)}`;
  const query = `process where ${"not ".repeat(MAX_NESTING - 2)}process.name regex "${regex}"`;
  assert.equal(compileEventQuery(query)(event), MAX_NESTING % 2 === 0);
});
