import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const entry = fileURLToPath(new URL("../../src/cli/entry.ts", import.meta.url));
const events = fileURLToPath(new URL("../../examples/container-events.ndjson", import.meta.url));

/** Notes every module the loader resolves in a file named by EQLITE_TEST_MODULE_LOG. */
const MODULE_LOG_HOOK = `
import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.EQLITE_TEST_MODULE_LOG, resolved.url + "\\n");
  return resolved;
}`;
const REGISTER = `import { register } from "node:module"; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(MODULE_LOG_HOOK)}`)});`;

/** The npm packages a command loads (a command start pays for every module it loads). */
function packagesLoaded(args: string[]): Set<string> {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-modules-"));
  const log = join(dir, "modules.txt");
  try {
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", "--import", `data:text/javascript,${encodeURIComponent(REGISTER)}`, entry, ...args],
      { encoding: "utf8", env: { ...process.env, EQLITE_TEST_MODULE_LOG: log } },
    );
    assert.equal(r.status, 0, r.stderr);
    const names = readFileSync(log, "utf8")
      .split("\n")
      .map((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1])
      .filter((name) => name !== undefined);
    return new Set(names);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What only serve, worker and status use: the HTTP server, its logger, the store, the NATS client. */
const SERVICE_PACKAGES = /^(@nats-io\/|fastify$|pino$|better-sqlite3$)/;

test("a command that needs no service loads none of the service's packages", () => {
  for (const args of [["--version"], ["scan", "--format", "summary", events]]) {
    const loaded = packagesLoaded(args);
    assert.ok(loaded.has("commander"), `the module log works: ${[...loaded].join(", ")}`);
    const service = [...loaded].filter((name) => SERVICE_PACKAGES.test(name));
    assert.deepEqual(service, [], `eqlite ${args.join(" ")} loaded ${service.join(", ")}`);
  }
});
