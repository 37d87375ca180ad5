import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { EqlError } from "../../src/eql/error.ts";
import { tokenize } from "../../src/eql/lexer.ts";
import { makeSource } from "../../src/eql/source.ts";
import { KEYWORDS } from "../../src/eql/token.ts";

const kinds = (q: string) => tokenize(makeSource(q)).map((t) => t.kind);
const values = (q: string) => tokenize(makeSource(q)).map((t) => t.value);
const lexError = (q: string): EqlError => {
  try {
    tokenize(makeSource(q));
  } catch (e) {
    assert.ok(e instanceof EqlError);
    return e;
  }
  assert.fail(`expected a lexing error for ${q}`);
};

test("keywords are lower-case only; other spellings are identifiers", () => {
  assert.deepEqual(kinds("and AND where Where"), ["and", "identifier", "where", "identifier", "<EOF>"]);
});

test("identifiers may start with @ and _; a name right before ~ is a case-insensitive function name", () => {
  assert.deepEqual(kinds("@timestamp _x startsWith~( in~ like~ regex~"), [
    "identifier",
    "identifier",
    "tildeIdentifier",
    "(",
    "in~",
    "like~",
    "regex~",
    "<EOF>",
  ]);
});

test("numbers: integers, decimals and exponents; no sign in the literal", () => {
  assert.deepEqual(kinds("1 1.5 .5 1e3 2E-2 5. -1"), [
    "integer",
    "decimal",
    "decimal",
    "decimal",
    "decimal",
    "decimal",
    "-",
    "integer",
    "<EOF>",
  ]);
});

test("a point after digits belongs to the number, so an exponent may follow it", () => {
  assert.deepEqual(values("1.e3 1.E-2 5.e+1"), ["1.e3", "1.E-2", "5.e+1", ""]);
  assert.deepEqual(kinds("1.e3"), ["decimal", "<EOF>"]);
  // a name after the point is not the number's exponent: `1.` then `foo`, as in Elasticsearch
  assert.deepEqual(kinds("1.foo"), ["decimal", "identifier", "<EOF>"]);
  assert.deepEqual(kinds("1.e"), ["decimal", "identifier", "<EOF>"]);
});

test("string escapes, unicode escapes and raw strings", () => {
  assert.deepEqual(values(String.raw`"a\"b\\c\n\t\r" "\u{41}\u{0001F600}" """a\nb""" "it\'s"`), [
    'a"b\\c\n\t\r',
    "A😀",
    "a\\nb",
    "it's",
    "",
  ]);
});

test('raw strings end at the first """ and keep up to two more quotes', () => {
  assert.deepEqual(values('"""""hello""world!""""'), ['""hello""world!"', ""]);
  assert.deepEqual(values('""""""'), ["", ""]);
});

test("backticked names unquote doubled backticks", () => {
  const [t] = tokenize(makeSource("`my``field name`"));
  assert.equal(t.kind, "quotedIdentifier");
  assert.equal(t.value, "my`field name");
});

test("comments: line comments and nested block comments are skipped", () => {
  assert.deepEqual(kinds("a // x\n /* b /* c */ d */ e"), ["identifier", "identifier", "<EOF>"]);
});

test("errors name the problem and its position", () => {
  const single = lexError("process where name=='hello world'");
  assert.match(
    single.message,
    /^line 1:22: Use double quotes \["\] to define string literals, not single quotes \[']/,
  );
  assert.match(
    lexError('x == ?"a"').message,
    /Use triple double quotes \["""\] to define unescaped string literals, not \[\?"\]/,
  );
  assert.match(lexError("x == ?'a'").message, /not \[\?'\]/);
  assert.match(
    lexError(String.raw`"\u{D}"`).message,
    /Unicode sequence should use \[2-8\] hex digits, \[\\u\{D\}\] has \[1\]/,
  );
  assert.match(
    lexError(String.raw`"\u{d800}"`).message,
    /Invalid unicode character code, \[d800\] is a surrogate code/,
  );
  assert.match(lexError(String.raw`"\u{110000}"`).message, /Invalid unicode character code \[110000\]/);
  assert.match(lexError(String.raw`"\u41"`).message, /token recognition error/);
  assert.match(lexError(String.raw`"\q"`).message, /unknown escape sequence '\\q'/);
  assert.match(lexError('"abc').message, /^line 1:1: unterminated string/);
  assert.match(lexError('"a\nb"').message, /unterminated string/);
  // a raw string does not span lines either: Elasticsearch's grammar keeps \r and \n out of it
  assert.match(
    lexError('x == """a\nb"""').message,
    /^line 1:6: unterminated raw string: .* not closed on its line/,
  );
  assert.match(lexError('x == """a\r\nb"""').message, /not closed on its line/);
  assert.match(lexError("/* a /* b */").message, /^line 1:1: unterminated comment/);
  assert.match(lexError("`abc").message, /unterminated quoted name/);
  assert.match(lexError("x ~ y").message, /'~' must directly follow/);
  assert.match(lexError("x # y").message, /token recognition error at: '#'/);
  assert.match(lexError('x !: "a"').message, /'!:' is not an operator/);
});

test("positions count lines and columns across CRLF", () => {
  const e = lexError("process where\r\n  x == 'a'");
  assert.equal(e.line, 2);
  assert.equal(e.column, 9);
});

test("property: names, plain strings and the space between them are read whole, however long and mixed", () => {
  // what a query is mostly made of, joined by any run of spaces, tabs and line ends; the
  // lexer skips runs with patterns, so runs of every length and mix are what could go wrong
  const name = fc.stringMatching(/^[A-Za-z_@][A-Za-z0-9_]{0,40}$/).filter((n) => !KEYWORDS.has(n));
  const plain = fc.stringMatching(/^[^"\\\n\r]{0,60}$/);
  const piece = fc.oneof(
    name.map((n) => ({ text: n, kind: "identifier", value: n })),
    plain.map((s) => ({ text: `"${s}"`, kind: "string", value: s })),
    fc.constantFrom("==", "(", ")", ",", ".").map((op) => ({ text: op, kind: op, value: op })),
  );
  const space = fc.stringMatching(/^[ \t\r\n]{1,8}$/);
  fc.assert(
    fc.property(fc.array(fc.tuple(piece, space), { maxLength: 30 }), (pieces) => {
      const query = pieces.map(([p, s]) => p.text + s).join("");
      const tokens = tokenize(makeSource(query));
      assert.deepEqual(
        tokens.map((t) => [t.kind, t.value]),
        [...pieces.map(([p]) => [p.kind, p.value]), ["<EOF>", ""]],
      );
      let at = 0;
      pieces.forEach(([p, s], k) => {
        assert.equal(tokens[k].start, at);
        assert.equal(tokens[k].end, at + p.text.length);
        at += p.text.length + s.length;
      });
    }),
    { numRuns: 300 },
  );
});
