import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ruleToml } from "../rules/fixtures.ts";
import { idOf, tempDir } from "./alerts.ts";
import { attackTraffic, bulkOf, type Shipped } from "./attack-traffic.ts";
import { scanOracle } from "./scan-oracle.ts";
import { BUNDLED_RULES, startTestService } from "./serve-helpers.ts";

const EVENTS = 3000;
const BATCH = 25;
const SENDERS = 4;
const RELOADS = 8;

function churnRule(generation: number): string {
  return ruleToml({
    rule: {
      description: `"A rule that changes at every reload (generation ${generation})."`,
      from: '"now-6m"',
      name: '"Churning Rule"',
      risk_score: "21",
      rule_id: `"22222222-0000-4000-8000-00000000000${generation % 2}"`,
      severity: '"low"',
    },
    query: `process where process.name == "never-${generation}"`,
  });
}

test("hot reload under load: no event lost, the unchanged rules' alerts (sequences across reloads included) equal scan's", async (t) => {
  const dir = await tempDir(t, "eqlite-reload-load-");
  const churnFile = join(dir, "churn.toml");
  writeFileSync(churnFile, churnRule(0));
  const { service, sink } = await startTestService({ rules: [BUNDLED_RULES, churnFile] });
  // a failed assertion must end the test, not leave the server holding the process open
  t.after(() => service.close());

  const traffic = attackTraffic(EVENTS, 11, 15);
  const batches: Shipped[][] = [];
  for (let i = 0; i < traffic.length; i += BATCH) batches.push(traffic.slice(i, i + BATCH));

  // senders post batches in order of their index; reloads are interleaved while they run
  let next = 0;
  let failed = false;
  const sender = async () => {
    while (next < batches.length && !failed) {
      const batch = batches[next++];
      for (;;) {
        const response = await fetch(`${service.url}/_bulk`, {
          method: "POST",
          headers: { "content-type": "application/x-ndjson" },
          body: bulkOf(batch),
        });
        const body = (await response.json()) as { errors?: boolean };
        if (response.status === 429) {
          await new Promise((r) => setTimeout(r, 10));
          continue;
        }
        try {
          assert.equal(response.status, 200);
          assert.equal(body.errors, false);
        } catch (error) {
          failed = true;
          throw error;
        }
        break;
      }
    }
  };
  const reloader = async () => {
    const outcomes = [];
    for (let generation = 1; generation <= RELOADS; generation++) {
      while (!failed && next < (batches.length * generation) / (RELOADS + 1))
        await new Promise((r) => setTimeout(r, 5));
      writeFileSync(churnFile, churnRule(generation));
      outcomes.push(await service.reload());
    }
    return outcomes;
  };
  const [outcomes] = await Promise.all([reloader(), ...Array.from({ length: SENDERS }, sender)]);
  for (const outcome of outcomes) {
    assert.equal(outcome.ok, true, outcome.error);
    assert.ok((outcome.summary?.kept.length ?? 0) >= 10, "the bundled rules are kept at every reload");
  }
  await service.close(); // drains: every accepted event is run through the rules

  const served = sink.alerts.filter((a) => a["kibana.alert.rule.name"] !== "Churning Rule");
  const expected = scanOracle(dir, traffic, BUNDLED_RULES);
  const got = new Set(served.map(idOf));
  assert.equal(got.size, served.length, "each alert delivered once");
  const want = new Set(expected.map(idOf));
  const sequenceAlerts = expected.filter(
    (a) => a["kibana.alert.rule.type"] === "eql" && a["kibana.alert.group.id"],
  );
  assert.ok(sequenceAlerts.length > 0, "the traffic completes sequences");
  assert.deepEqual(
    [...want].filter((id) => !got.has(id)),
    [],
    "alerts scan finds that serve lost across reloads",
  );
  assert.deepEqual(
    [...got].filter((id) => !want.has(id)),
    [],
    "alerts serve raised that scan does not",
  );
});
