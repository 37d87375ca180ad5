import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import fc from "fast-check";
import { parse as smolParse, TomlError } from "smol-toml";
import { parseTomlDocument, setAsideLongStrings } from "../../src/rules/toml-parse.ts";
import { findRuleFiles } from "../../src/rules/walk-paths.ts";
import { sharedPath, skipWithoutShared } from "./fixtures.ts";

/** What a parser made of a text: the document, or the error with its place. */
function outcome(parse: () => unknown): unknown {
  try {
    return { document: parse() };
  } catch (error) {
    const toml = error instanceof TomlError ? error : undefined;
    return { error: (error as Error).message, line: toml?.line, column: toml?.column };
  }
}

const sameAsSmolToml = (text: string, minLength?: number) =>
  assert.deepEqual(
    outcome(() => parseTomlDocument(text, minLength)),
    outcome(() => smolParse(text)),
  );

const note = `${"Investigate the parent process and the container. ".repeat(8)}\n## Setup\nIt's "quoted" # not a comment\n`;

test("long multi-line strings are set aside and put back where they were", () => {
  const text = `[metadata]\nmaturity = "production"\n\n[rule]\nname = "it\\"'s" # a comment with """\nnote = """\n${note}"""\nsetup = '''\r\n${note}'''\nquery = '''\nprocess where true\n'''\n\n[[rule.threat]]\nframework = "MITRE ATT&CK"\n`;
  const aside = setAsideLongStrings(text, 256);
  assert.ok(aside);
  assert.equal(aside.strings.length, 2);
  assert.ok(aside.text.length < text.length / 2);
  sameAsSmolToml(text);
  const doc = parseTomlDocument(text) as { rule: Record<string, unknown> };
  assert.equal(doc.rule.note, note);
  assert.equal(doc.rule.setup, note);
});

test("up to two quotes before the closing delimiter belong to the string", () => {
  for (const quotes of ['""', "''"]) {
    const q = quotes[0];
    for (const extra of [1, 2]) {
      const text = `a = ${q.repeat(3)}${note}${q.repeat(3 + extra)}\nb = 1\n`;
      assert.deepEqual(setAsideLongStrings(text, 0)?.strings, [note + q.repeat(extra)]);
      sameAsSmolToml(text, 0);
    }
  }
});

test("what TOML refuses inside a long string is refused at its place, as smol-toml says", () => {
  for (const bad of ["\u0001", "\u007f", "\r", "\u001b[31m"]) {
    const text = `[rule]\nname = "x"\nnote = """\n${note}${bad}${note}"""\nafter = 1\n`;
    const result = outcome(() => parseTomlDocument(text)) as { error?: string; line?: number };
    assert.match(result.error ?? "", /control characters/);
    sameAsSmolToml(text);
  }
});

test("a token the parser does not read as a whole value sends the text to the parser as written", () => {
  // a multi-line string cannot be a key; the token that stands for it could be
  for (const text of [`"""\n${note}""" = 1\n`, `'''\n${note}''' = 1\n`, `a.'''${note}''' = 1\n`]) {
    const result = outcome(() => parseTomlDocument(text, 0)) as { error?: string };
    assert.ok(result.error, `refused: ${JSON.stringify(text.slice(0, 12))}`);
    sameAsSmolToml(text, 0);
  }
});

test("a text holding the token's first character is parsed as written", () => {
  const text = `note = """\nÿ${note}"""\n`;
  assert.equal(setAsideLongStrings(text, 0), undefined);
  sameAsSmolToml(text, 0);
});

/** What string bodies are made of: mostly plain text, sometimes what TOML escapes or refuses. */
const PLAIN = ["a", " ", "\t", "\n", "\r\n", "#", "=", "[", "]", "{", "}", ",", ".", "é", "'", '"'];
const AWKWARD = ["\r", "\\", "\\n", "\\u00e9", "\\\n  ", '"""', "'''", "\u0001", "\u007f", "\uE000", "ÿ"];
const PIECES = [...PLAIN, ...AWKWARD];
const piece = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...PLAIN) },
  { weight: 1, arbitrary: fc.constantFrom(...AWKWARD) },
);
const body = fc.array(piece, { maxLength: 12 }).map((p) => p.join(""));
const key = fc.constantFrom("note", "setup", "query", '"quoted key"', "'lit'", "a.b", "__proto__");
/** mostly what a one-line string may hold; sometimes anything */
const lineBody = fc.oneof(
  { weight: 4, arbitrary: body.map((b) => b.replace(/[\r\n"'\\]/g, "x")) },
  { weight: 1, arbitrary: body },
);
const stringValue = fc.oneof(
  body.map((b) => `"""${b}"""`),
  body.map((b) => `'''${b}'''`),
  body.map((b) => `"""\n${b}"""`),
  body.map((b) => `'''\r\n${b}'''`),
  lineBody.map((b) => `"${b}"`),
  lineBody.map((b) => `'${b}'`),
);
const value = fc.oneof(
  stringValue,
  fc.constantFrom("1", "true", "1979-05-27T07:32:00Z", "[]"),
  fc.array(stringValue, { minLength: 1, maxLength: 3 }).map((vs) => `[${vs.join(", ")}]`),
  fc.tuple(key, stringValue).map(([k, v]) => `{ ${k} = ${v} }`),
);
const line = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(key, value).map(([k, v]) => `${k} = ${v}`) },
  { weight: 1, arbitrary: fc.constantFrom("[rule]", "[metadata]", "[[rule.threat]]", '["a"."b"]') },
  { weight: 1, arbitrary: body.map((b) => `# ${b}`) },
  { weight: 1, arbitrary: fc.tuple(key, value, body).map(([k, v, b]) => `${k} = ${v} # ${b}`) },
);
const document = fc.array(line, { maxLength: 8 }).map((lines) => lines.join("\n"));
/** A document with a few characters inserted or deleted: mostly invalid TOML, in every way. */
const damaged = fc
  .tuple(
    document,
    fc.array(fc.tuple(fc.nat(), fc.constantFrom(...PIECES, "")), { minLength: 1, maxLength: 3 }),
  )
  .map(([text, edits]) =>
    edits.reduce((t, [at, piece]) => {
      const i = t.length === 0 ? 0 : at % t.length;
      return piece === "" ? t.slice(0, i) + t.slice(i + 1) : t.slice(0, i) + piece + t.slice(i);
    }, text),
  );

test("property: every document, valid or not, parses exactly as smol-toml parses it", () => {
  let setAside = 0;
  let setAsideAndValid = 0;
  fc.assert(
    fc.property(fc.oneof(document, damaged), (text) => {
      sameAsSmolToml(text, 0);
      if (!setAsideLongStrings(text, 0)) return;
      setAside++;
      if ("document" in (outcome(() => smolParse(text)) as object)) setAsideAndValid++;
    }),
    { numRuns: 3000 },
  );
  // the property is about the fast path: many documents must have taken it, valid ones among them
  assert.ok(setAside > 600 && setAsideAndValid > 150, `${setAside} set aside, ${setAsideAndValid} valid`);
});

test("every TOML file of the detection-rules corpus parses exactly as smol-toml parses it", {
  skip: skipWithoutShared("the detection-rules corpus", "corpus/detection-rules"),
}, async () => {
  const { files } = await findRuleFiles([sharedPath("corpus", "detection-rules")]);
  let setAside = 0;
  for (const file of files.filter((f) => f.endsWith(".toml"))) {
    const text = readFileSync(file, "utf8");
    setAside += setAsideLongStrings(text, 256)?.strings.length ?? 0;
    assert.deepEqual(
      outcome(() => parseTomlDocument(text)),
      outcome(() => smolParse(text)),
      file,
    );
  }
  assert.ok(setAside > 3000, `${setAside} strings set aside`);
});
