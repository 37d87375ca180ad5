import assert from "node:assert/strict";
import { test } from "node:test";
import type { Expression } from "../../src/eql/ast.ts";
import { EqlError } from "../../src/eql/error.ts";
import { parse, parseExpression } from "../../src/eql/parser.ts";
import { print } from "../../src/eql/printer.ts";

const syntaxError = (q: string): EqlError => {
  try {
    parse(q);
  } catch (e) {
    assert.ok(e instanceof EqlError, `not an EqlError: ${e}`);
    assert.equal(e.kind, "syntax");
    return e;
  }
  assert.fail(`expected a syntax error for: ${q}`);
};
const rejects = (q: string, message: RegExp | string) => {
  const e = syntaxError(q);
  if (typeof message === "string")
    assert.ok(e.message.includes(message), `${e.message}\n  does not include\n${message}`);
  else assert.match(e.message, message);
};
/** The expression with explicit parentheses everywhere, to make precedence visible. */
const shape = (e: Expression): string => {
  switch (e.kind) {
    case "Literal":
      return JSON.stringify(e.value);
    case "Field":
      return e.name;
    case "FunctionCall":
      return `${e.name}(${e.args.map(shape).join(",")})`;
    case "Negate":
    case "Not":
      return `(${e.kind === "Not" ? "not" : e.op} ${shape(e.operand)})`;
    case "Arithmetic":
    case "Comparison":
    case "Logical":
      return `(${shape(e.left)} ${e.op} ${shape(e.right)})`;
    case "Match":
      return `(${shape(e.subject)} ${e.op}${e.caseInsensitive && e.op !== ":" ? "~" : ""} ${e.patterns.map(shape).join("|")})`;
    case "In":
      return `(${shape(e.subject)} ${e.negated ? "not " : ""}in ${e.values.map(shape).join("|")})`;
  }
};

test("precedence: or < and < not < comparison < additive < multiplicative < unary < predicates", () => {
  assert.equal(shape(parseExpression("a or b and c")), "(a or (b and c))");
  assert.equal(shape(parseExpression("not a and b")), "((not a) and b)");
  assert.equal(shape(parseExpression("not x == 1")), "(not (x == 1))");
  assert.equal(shape(parseExpression("a + b * c == d - e / f")), "((a + (b * c)) == (d - (e / f)))");
  assert.equal(shape(parseExpression("a - b - c")), "((a - b) - c)");
  assert.equal(shape(parseExpression("a or b or c and d")), "((a or b) or (c and d))");
  assert.equal(shape(parseExpression("a * b % c / d")), "(((a * b) % c) / d)");
  assert.equal(
    shape(parseExpression("not not a * 2 < b and c or d")),
    "(((not (not ((a * 2) < b))) and c) or d)",
  );
  assert.equal(shape(parseExpression("a == b or c != d + e")), "((a == b) or (c != (d + e)))");
  assert.equal(shape(parseExpression("-a * b")), "((- a) * b)");
  assert.equal(shape(parseExpression("a + b in (1, 2)")), "(a + (b in 1|2))");
  assert.equal(shape(parseExpression("a == b in (1)")), "(a == (b in 1))");
  assert.equal(shape(parseExpression('x : ("a", "b*") or y like~ "c"')), '((x : "a"|"b*") or (y like~ "c"))');
  assert.equal(shape(parseExpression("x not in~ (1)")), "(x not in 1)");
});

test("literals: integer widths follow Elasticsearch", () => {
  const lit = (q: string) => parseExpression(q) as Expression & { kind: "Literal" };
  assert.equal(lit("5").type, "integer");
  assert.equal(lit("8589934592").type, "long");
  assert.equal(lit("99999999999999999999").type, "double");
  assert.equal(lit("5.2").type, "double");
  assert.equal(lit("null").value, null);
  rejects("process where x == 1" + "0".repeat(400), "is too large");
});

test("fields: dotted, backticked, optional; keywords need backticks", () => {
  const f = parseExpression("?`my-field`.`sequence`.x");
  assert.equal(f.kind, "Field");
  if (f.kind === "Field") {
    assert.equal(f.name, "my-field.sequence.x");
    assert.equal(f.optional, true);
  }
  rejects(
    "process where a.sequence == 1",
    "'sequence' is a keyword; to use it as part of a field name write `sequence`",
  );
  rejects("process where f[0] == 1", "Array indexes are not supported");
});

test("a field name of thousands of parts is refused where it is, before a getter is built for it", () => {
  // Building its getter took minutes and ran out of memory: every run of parts is a key to try.
  const e = syntaxError(`process where x == 1 and ${Array(10_000).fill("a").join(".")} == 1`);
  assert.equal(e.column, 26);
  assert.ok(e.message.includes("a field name has at most 64 parts; found 10000"), e.message);
  rejects(`process where \`${"a".repeat(2000)}\` == 1`, "a field name is at most 1024 characters long");
  rejects(
    `sequence by ${Array(65).fill("a").join(".")} [any where true] [any where true]`,
    "at most 64 parts",
  );
  assert.equal(parseExpression(Array(64).fill("a").join(".")).kind, "Field");
});

test("event queries: categories as names, strings or any", () => {
  assert.equal(print(parse('"my-category" where true')), '"my-category" where true');
  assert.equal(print(parse("any where true")), "any where true");
  rejects("`identifier` where true", "no viable alternative at input '`identifier`'");
  rejects("process true", "expected 'where' after the event category 'process'");
  rejects("", "empty query");
  rejects("process.name == 1", "expected 'where' after the event category 'process', but found '.'");
});

test("= is not a comparison operator", () => {
  rejects(
    "process where serial_event_id = 1",
    "'=' is not a comparison operator; use '==' (case-sensitive) or ':' (case-insensitive)",
  );
  for (const query of ["process where a and b + 1 = c", "process where not a = 1", "process where (a = 1)"]) {
    rejects(query, "'=' is not a comparison operator");
  }
  rejects("process where a == b = c", "comparisons cannot be chained");
});

test("brackets: the error says where the unclosed one opened", () => {
  rejects("process where (a == 1 and (b == 2)", "line 1:35: expected ')' to close '(' opened at 1:15");
  rejects('process where f("a", 1', "expected ')' to close '(' opened at 1:16");
  rejects("sequence [process where true [file where true]", "expected ']' to close '[' opened at 1:10");
  rejects("process where a == 1)", "unexpected ')': it closes nothing");
});

test("chained comparisons are rejected", () => {
  rejects("process where 1 == 1 == 1", "mismatched input '==': comparisons cannot be chained");
  rejects("process where foo < bar <= baz", "mismatched input '<='");
});

test("pattern operators take constants only; 'not' only before in", () => {
  rejects("process where x : other_field", "the right side of ':' must be a constant string");
  rejects('process where x like concat("a", "*")', "the right side of 'like' must be a constant string");
  rejects(
    'process where x not like "a"',
    "'not' cannot stand between a value and 'like'; write 'not x like ...'",
  );
  rejects("process where x in ()", "an 'in' list cannot be empty");
});

test("pipes: head and tail with one non-negative integer", () => {
  assert.deepEqual(
    parse("process where true | head 0 | tail 3").pipes.map((p) => [p.name, p.count]),
    [
      ["head", 0],
      ["tail", 3],
    ],
  );
  for (const pipe of ["count", "filter", "sort", "unique", "unique_count"]) {
    rejects(`file where true | ${pipe} file.path`, `Pipe [${pipe}] is not supported`);
  }
  rejects("file where true | foo", "Unrecognized pipe [foo]");
  rejects("file where true | haed 1", "Unrecognized pipe [haed], did you mean [head]?");
  rejects("file where true | head -1", "Pipe [head] expects a positive integer but found [-1]");
  rejects("file where true | head x", "Pipe [head] expects a positive integer but found [x]");
  rejects("file where true | tail 1.5", "Pipe [tail] expects a positive integer but found [1.5]");
  rejects("file where true | head", "Pipe [head] expects exactly one argument but found [0]");
  rejects("file where true | head 1, 2", "Pipe [head] expects exactly one argument but found [2]");
});

test("process relationships and join are rejected", () => {
  rejects("process where child of [process where true]", "Process relationships are not supported");
  rejects("process where descendant of [process where true]", "Process relationships are not supported");
  rejects("join [a where true] [b where true]", "join queries are not supported");
});

test("sequences: structure, maxspan, runs, missing events, until", () => {
  const s = parse(
    "sequence by host.id with maxspan=30s [process where true] by user.name with runs=3 ![file where true] by user.name [network where true] by x until [process where false] by y",
  ).query;
  assert.equal(s.kind, "SequenceQuery");
  if (s.kind !== "SequenceQuery") return;
  assert.deepEqual(s.maxspan && [s.maxspan.value, s.maxspan.unit], [30, "s"]);
  assert.deepEqual(
    s.terms.map((t) => [t.runs, t.missing]),
    [
      [3, false],
      [1, true],
      [1, false],
    ],
  );
  assert.equal(s.until?.query.category, "process");
  // a decimal runs value is ignored, as in Elasticsearch
  const d = parse("sequence [a where true] with runs=2.5 [b where true]").query;
  assert.equal(d.kind === "SequenceQuery" && d.terms[0].runs, 1);
  assert.ok(parse("sequence [a where true] with runs=2"));
});

test("sequence errors", () => {
  rejects(
    "sequence with maxspan=1m by x [a where true] [b where true]",
    "Please specify sequence [by] before [with] not after",
  );
  rejects("sequence [a where true]", "A sequence requires a minimum of 2 queries, found [1]");
  rejects(
    `sequence ${"[a where true] ".repeat(257)}`,
    "Sequence cannot contain more than 256 queries; found [257]",
  );
  rejects(
    "sequence [a where true] with runs=200 [b where true] with runs=100",
    "A query cannot be repeated more than 100 times; found [200]",
  );
  rejects(
    "sequence with maxspan=1m ![a where true] ![b where true]",
    "A sequence requires at least one positive event query; found none",
  );
  rejects(
    "sequence [a where true] ![b where true]",
    "[maxspan] is required for sequences with missing events queries; found none",
  );
  rejects(
    "sequence with maxspan=0s [a where true] [b where true]",
    "A positive maxspan value is required; found [0]",
  );
  rejects(
    "sequence with maxspan=10 [a where true] [b where true]",
    "No time unit specified, did you mean [s] as in [10s]?",
  );
  rejects(
    "sequence with maxspan=5y [a where true] [b where true]",
    "Unrecognized time unit [y] in [5y], please specify one of [ms, s, m, h, d]",
  );
  rejects(
    "sequence with maxspan=0.5s [a where true] [b where true]",
    "Decimal time interval [0.5] not supported; please use an positive integer",
  );
  rejects(
    "sequence [a where true] with runs=0 [b where true]",
    "A positive runs value is required; found [0]",
  );
  rejects("sequence [a where true] with foo=2 [b where true]", "Unrecognized option [foo], expecting [runs]");
  rejects(
    "sequence [a where true] by x [b where true] by x, y",
    "Inconsistent number of join keys specified; expected [1] but found [2]",
  );
  rejects("sequence by pid * 2 [a where true] [b where true]", "Unsupported join key");
  rejects("sequence by string(pid) [a where true] [b where true]", "Unsupported join key");
  rejects(
    "sequence with maxspan=1m [a where true] [b where true] until ![c where true]",
    "cannot be used in 'until'",
  );
});

test("sample errors", () => {
  assert.ok(parse("sample by host [a where true] [b where true]"));
  rejects("sample by x [a where true]", "A sample requires a minimum of 2 queries, found [1]");
  rejects(
    `sample by x ${"[a where true] ".repeat(6)}`,
    "A sample cannot contain more than 5 queries, found [6]",
  );
  rejects("sample [a where true] [b where true]", "A sample must have at least one join key, found none");
  rejects(
    "sample by x [a where true] by x [b where true] by y",
    "Join keys must be used only once, found duplicates: [x]",
  );
  rejects("sample by x [a where true] [b where true] | head 1", "Samples do not support pipes yet");
  rejects("sample by x with maxspan=1m [a where true] [b where true]", "a sample takes no 'with' options");
  rejects("sample by x [a where true] [b where true] until [c where true]", "a sample has no 'until' clause");
  rejects("sample by x [a where true] ![b where true]", "Missing events are supported only for sequences");
});

test("errors print a code frame with a caret under the problem", () => {
  const e = syntaxError('process where\n  name = "x"');
  assert.equal(e.line, 2);
  assert.equal(e.column, 8);
  assert.equal(
    e.pretty(),
    ["line 2:8: " + e.problems[0].message, "1 | process where", '2 |   name = "x"', "  |        ^"].join(
      "\n",
    ),
  );
});
