import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { idOf, tempDir } from "./alerts.ts";
import { attackTraffic } from "./attack-traffic.ts";
import { scanOracle } from "./scan-oracle.ts";
import { BUNDLED_RULES, startTestService } from "./serve-helpers.ts";

/**
 * A real shipper from Debian: the official Python client (`python3-elasticsearch`, 7.17),
 * which checks the product header of `GET /` before anything else and sends `_bulk` in
 * chunks through its bulk helper. CI installs it; without it the test skips.
 */
const SHIPPER = `
import json, sys
from elasticsearch import Elasticsearch, helpers
url, path = sys.argv[1], sys.argv[2]
es = Elasticsearch(url, request_timeout=30)
info = es.info()
def actions():
    with open(path) as f:
        for line in f:
            shipped = json.loads(line)
            yield {"_op_type": "create", "_index": shipped["index"], "_source": shipped["event"]}
ok, errors = helpers.bulk(es, actions(), chunk_size=250, raise_on_error=False)
print(json.dumps({"version": info["version"]["number"], "ok": ok, "errors": errors}))
`;

const run = promisify(execFile);

/** Debian's interpreter first: a python3 earlier on the PATH (pyenv) may not see Debian's packages. */
const python = ["/usr/bin/python3", "python3"].find(
  (candidate) => spawnSync(candidate, ["-c", "import elasticsearch"], { encoding: "utf8" }).status === 0,
);
const clientMissing =
  python === undefined && "python3-elasticsearch is not installed (apt-get install python3-elasticsearch)";

test("the Python Elasticsearch client (Debian's python3-elasticsearch) ships to serve with helpers.bulk: every event accepted, alerts equal scan's", {
  skip: clientMissing,
}, async (t) => {
  const dir = await tempDir(t, "eqlite-python-client-");
  const { service, sink } = await startTestService({ rules: [BUNDLED_RULES] });
  t.after(() => service.close());
  const traffic = attackTraffic(1500, 5, 15);
  const file = join(dir, "to-ship.ndjson");
  writeFileSync(file, traffic.map((s) => `${JSON.stringify(s)}\n`).join(""));

  // not spawnSync: the service answers from this process's event loop
  const shipper = await run(python!, ["-c", SHIPPER, service.url, file], { timeout: 120_000 });
  const result = JSON.parse(shipper.stdout) as { version: string; ok: number; errors: unknown[] };
  assert.match(result.version, /^8\./, "the client accepted eqlite as Elasticsearch");
  assert.deepEqual(result.errors, []);
  assert.equal(result.ok, traffic.length, "every event acknowledged");
  await service.close();

  const expected = scanOracle(dir, traffic, BUNDLED_RULES);
  assert.ok(expected.length > 10, `the traffic raises alerts (${expected.length})`);
  assert.deepEqual(sink.alerts.map(idOf).sort(), expected.map(idOf).sort());
});
