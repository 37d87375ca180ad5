import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

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
