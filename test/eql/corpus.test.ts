import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { parse as parseToml } from "smol-toml";
import { compileEventQuery, prepareQuery } from "../../src/eql/compile-query.ts";
import { parse } from "../../src/eql/parser.ts";
import { print } from "../../src/eql/printer.ts";

const corpus = fileURLToPath(new URL("../../../shared/corpus/detection-rules", import.meta.url));

function* tomlFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* tomlFiles(path);
    else if (name.endsWith(".toml")) yield path;
  }
}

function eqlQueries(): Array<{ file: string; query: string }> {
  const out: Array<{ file: string; query: string }> = [];
  for (const file of tomlFiles(corpus)) {
    const doc = parseToml(readFileSync(file, "utf8")) as { rule?: { language?: string; query?: string } };
    if (doc.rule?.language === "eql" && typeof doc.rule.query === "string")
      out.push({ file, query: doc.rule.query });
  }
  return out;
}

test("every EQL query of the detection-rules corpus parses, prints back, and compiles", {
  skip: !existsSync(corpus) && "../shared not found: corpus test skipped",
}, () => {
  const queries = eqlQueries();
  assert.ok(queries.length >= 1000, `expected the corpus's ~1,081 EQL rules, found ${queries.length}`);
  const failures: string[] = [];
  for (const { file, query } of queries) {
    try {
      const ast = parse(query);
      assert.equal(print(parse(print(ast))), print(ast));
      if (ast.query.kind === "EventQuery") compileEventQuery(query);
      else {
        const prepared = prepareQuery(query);
        const compiler = prepared.compiler();
        for (const term of ast.query.terms) compiler.compileEventQuery(term.query);
      }
    } catch (error) {
      failures.push(`${file}: ${(error as Error).message}`);
    }
  }
  assert.deepEqual(failures, []);
});
