import assert from "node:assert/strict";
import { test } from "node:test";
import { foldAscii, foldIgnoreCase } from "../../src/eql/case-fold.ts";
import { compileEventQuery } from "../../src/eql/compile-query.ts";
import type { Event } from "../../src/eql/field-access.ts";

/** Whether the query matches an event whose field `p` holds `value`. */
const holds = (query: string, value: string): boolean =>
  compileEventQuery(`any where ${query}`)({ p: value });

const KELVIN = "\u212a";

test("foldAscii folds A to Z only; foldIgnoreCase is Java's compareToIgnoreCase, one code point for one", () => {
  assert.equal(foldAscii("ÉCOLE Kk"), "École kk");
  assert.equal(foldAscii(`${KELVIN}İß`), `${KELVIN}İß`);
  const same = (a: string, b: string) => foldIgnoreCase(a) === foldIgnoreCase(b);
  assert.ok(same("ÉCOLE", "école"));
  assert.ok(same(KELVIN, "k"));
  assert.ok(same("ß", "ẞ"));
  assert.ok(!same("ß", "SS"));
  assert.ok(same("İ", "i"));
  assert.ok(same("ı", "I"));
  assert.ok(same("ς", "Σ"));
  assert.ok(same("𐐀", "𐐨"));
  assert.ok(!same("ﬀ", "FF"));
});

test("on a field, : in~ like~ and the ~ functions are queries: they fold ASCII letters only", () => {
  for (const query of [
    'p : "ÉCOLE"',
    'p : "ÉC?LE"',
    'p : "ÉC*"',
    'p like~ "ÉCO*"',
    'p in~ ("x", "ÉCOLE")',
    'startsWith~(p, "ÉCO")',
    'endsWith~(p, "ÉCOLE")',
    'stringContains~(p, "ÉCOL")',
  ]) {
    assert.equal(holds(query, "école"), false, query);
    assert.equal(holds(query, "École"), true, query);
    assert.equal(holds(query.replace("É", "E"), "ecole"), true, query);
  }
  assert.equal(holds('p : "k"', KELVIN), false);
  assert.equal(holds('p : "K"', "k"), true);
  assert.equal(holds('p : "SS"', "ß"), false);
  assert.equal(holds('p : "İ"', "i"), false);
  assert.equal(holds('p in~ ("I")', "ı"), false);
  assert.equal(holds('startsWith~(p, "k")', `${KELVIN}x`), false);
  assert.equal(holds('stringContains~(p, "σ")', "ας"), false);
});

test("in a script, : in~ and like~ without wildcards compare as Java's compareToIgnoreCase", () => {
  assert.equal(holds('concat(p) : "ÉCOLE"', "école"), true);
  assert.equal(holds('concat(p) like~ "ÉCOLE"', "école"), true);
  assert.equal(holds('concat(p) in~ ("x", "ÉCOLE")', "école"), true);
  assert.equal(holds('concat(p) : "k"', KELVIN), true);
  assert.equal(holds('concat(p) : "i"', "İ"), true);
  assert.equal(holds('concat(p) : "SS"', "ß"), false);
  assert.equal(holds('concat(p) : "ẞ"', "ß"), true);
  assert.equal(holds('not concat(p) : "ÉCOLE"', "école"), false);
});

test("in a script, : and like~ with wildcards are Java patterns that fold ASCII letters only", () => {
  assert.equal(holds('concat(p) : "ÉC*"', "école"), false);
  assert.equal(holds('concat(p) : "éC*"', "écOLE"), true);
  assert.equal(holds('concat(p) like~ "?COLE"', "école"), true);
  assert.equal(holds('concat(p) like~ "k*"', KELVIN), false);
  // a list mixes both: the exact element as compareToIgnoreCase, the pattern as ASCII
  assert.equal(holds('concat(p) : ("ÉCOLE", "x*")', "école"), true);
  assert.equal(holds('concat(p) : ("x", "ÉCOL*")', "école"), false);
});

test("in a script, the ~ functions lower-case both sides as Java's toLowerCase(Locale.ROOT)", () => {
  assert.equal(holds('startsWith~(concat(p), "ÉCO")', "école"), true);
  assert.equal(holds('endsWith~(concat(p), "k")', `x${KELVIN}`), true);
  assert.equal(holds('stringContains~(concat(p), "SS")', "ß"), false);
  // İ lower-cases to i and a combining dot: a plain i does not contain it
  assert.equal(holds('stringContains~(concat(p), "İ")', "i"), false);
  assert.equal(holds('stringContains~(concat(p), "i")', "İ"), true);
});

test("on a field, a letter escaped in a wildcard query keeps its case, as Elasticsearch's automaton does", () => {
  const events: Event[] = [{ p: "c:Windows" }, { p: "C:windows" }, { p: "C:\\Windows" }, { p: "x\\TEMP" }];
  const matching = (query: string) => {
    const predicate = compileEventQuery(`any where ${query}`);
    return events.flatMap((e, i) => (predicate(e) ? [i] : []));
  };
  // EQL's "C:\\Windows" is the text C:\Windows: to the wildcard query, \W is an exact W
  assert.deepEqual(matching('stringContains~(p, "C:\\\\Windows")'), [0]);
  assert.deepEqual(matching('stringContains~(p, "C:\\\\\\\\WINDOWS")'), [2]);
  assert.deepEqual(matching('endsWith~(p, "\\\\\\\\temp")'), [3]);
  assert.deepEqual(matching('endsWith~(p, "\\\\*")'), []);
});
