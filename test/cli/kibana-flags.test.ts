import assert from "node:assert/strict";
import { test } from "node:test";
import { kibanaTargetOf } from "../../src/cli/kibana-flags.ts";

test("worker's --space and --kibana-url: the flags over EQLITE_SPACE_ID and EQLITE_KIBANA_URL, each checked as the flag is", () => {
  assert.deepEqual(kibanaTargetOf({}), {});
  assert.deepEqual(kibanaTargetOf({}, { EQLITE_SPACE_ID: "", EQLITE_KIBANA_URL: "" }), {});
  const env = { EQLITE_SPACE_ID: "soc", EQLITE_KIBANA_URL: "https://kibana.example.com/" };
  assert.deepEqual(kibanaTargetOf({}, env), { spaceId: "soc", kibanaUrl: "https://kibana.example.com" });
  // flags come already checked by their parsers
  assert.deepEqual(kibanaTargetOf({ space: "blue", kibanaUrl: "http://k:5601" }, env), {
    spaceId: "blue",
    kibanaUrl: "http://k:5601",
  });
  assert.throws(
    () => kibanaTargetOf({}, { EQLITE_SPACE_ID: "SOC" }),
    /^TypeError: EQLITE_SPACE_ID: space id "SOC"/,
  );
  assert.throws(
    () => kibanaTargetOf({}, { EQLITE_KIBANA_URL: "kibana" }),
    /^TypeError: EQLITE_KIBANA_URL: "kibana" is not a URL/,
  );
  // the flag wins: the variable it overrides is not read
  assert.deepEqual(kibanaTargetOf({ space: "blue" }, { EQLITE_SPACE_ID: "SOC" }), { spaceId: "blue" });
});
