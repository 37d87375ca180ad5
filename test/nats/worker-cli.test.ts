import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { ruleToml } from "../rules/fixtures.ts";

const entry = fileURLToPath(new URL("../../src/cli/entry.ts", import.meta.url));

function worker(args: string[]) {
  const env = { ...process.env };
  delete env.EQLITE_NATS;
  const r = spawnSync(process.execPath, ["--import", "tsx", entry, "worker", ...args], {
    encoding: "utf8",
    timeout: 30_000,
    env,
  });
  return { code: r.status, stderr: r.stderr };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test("eqlite worker refuses bad settings with exit 2 and names the problem", () => {
  const own = worker(["--partitions", "8", "--own", "0-9"]);
  assert.equal(own.code, 2);
  assert.match(own.stderr, /--own: partition 9 is out of range: there are 8/);
  const ttl = worker(["--lease-ttl", "2000", "--checkpoint-interval", "5000"]);
  assert.equal(ttl.code, 2);
  assert.match(ttl.stderr, /--checkpoint-interval must be shorter than the lease TTL/);
  const replicas = worker(["--replicas", "7"]);
  assert.equal(replicas.code, 2);
  assert.match(replicas.stderr, /--replicas takes a whole number from 1 to 5/);
  const bad = worker(["--partitions", "zero"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--partitions takes a whole number/);
});

test("eqlite worker exits 2 on invalid rules and 1 when NATS cannot be reached", async () => {
  const rules = worker(["--rules", "/nonexistent/rules"]);
  assert.equal(rules.code, 2);
  assert.match(rules.stderr, /rules not found/);
  const unreachable = worker(["--nats", `nats://127.0.0.1:${await closedPort()}`]);
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stderr, /cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+/);
});

test("eqlite worker names the sample rules it loads, which do not alert on workers yet", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-worker-sample-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const rule = (id: string, name: string, query: string) =>
    ruleToml({ rule: { name: `"${name}"`, rule_id: `"${id}"`, index: '["logs-*"]' }, query });
  writeFileSync(
    join(dir, "sample.toml"),
    rule(
      "7a0c5a4e-1111-4d3c-9e2f-000000000001",
      "Two Tools On One Host",
      'sample by host.id [process where process.name == "a"] [process where process.name == "b"]',
    ),
  );
  writeFileSync(
    join(dir, "event.toml"),
    rule("7a0c5a4e-1111-4d3c-9e2f-000000000002", "One Tool", 'process where process.name == "a"'),
  );
  const run = worker(["--rules", dir, "--nats", `nats://127.0.0.1:${await closedPort()}`]);
  assert.equal(run.code, 1);
  const warning = run.stderr.split("\n").find((l) => l.includes("sample rules do not alert on workers"));
  assert.ok(warning, run.stderr);
  assert.deepEqual(JSON.parse(warning).rules, ["Two Tools On One Host"]);
});
