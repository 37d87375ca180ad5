/**
 * The Elasticsearch EQL spec suite as node:test subtests, one per spec and index
 * set. Needs ../shared next to the repository; skipped without it.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, test } from "node:test";
import { eqlSearch } from "../../src/index.ts";
import { defaultSuiteDir, formatFailure, loadSuite, runSpec, unresolvedReason } from "./suite.ts";

const dir = defaultSuiteDir();

if (!existsSync(dir)) {
  test("EQL conformance", { skip: "../shared not found: conformance specs skipped" }, () => {});
} else {
  const suite = loadSuite(dir);
  for (const group of suite.groups) {
    describe(group.label, () => {
      for (const spec of group.specs) {
        test(`${spec.name} [${spec.kind}]`, async (t) => {
          const result = await runSpec(suite, group, spec, eqlSearch);
          if (result.status === "not_applicable") {
            t.skip(`not applicable: ${result.reason}`);
            return;
          }
          const unresolved = unresolvedReason(result);
          if (unresolved) {
            assert.equal(
              result.status,
              "failed",
              "this spec passes now: remove it from UNRESOLVED in suite.ts",
            );
            t.todo(`unresolved: ${unresolved}`);
            return;
          }
          assert.ok(result.status === "passed", formatFailure(result));
        });
      }
    });
  }
}
