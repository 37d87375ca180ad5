import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { runCli } from "../cli/run-cli.ts";
import { bulkBody, CLOUD_DEFEND_PROCESS, interactiveExec, tempDir } from "./serve-helpers.ts";
import { ServeProcess } from "./serve-process.ts";

const entry = fileURLToPath(new URL("../../src/cli/entry.ts", import.meta.url));
const EXAMPLE_EVENTS = fileURLToPath(new URL("../../examples/container-events.ndjson", import.meta.url));

test("eqlite serve: events in over HTTP, alerts out on stdout and to --output; SIGHUP reloads; SIGTERM drains and exits 0", async (t) => {
  const dir = tempDir("eqlite-serve-cli-");
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const output = join(dir, "alerts.ndjson");
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      entry,
      "serve",
      "--port",
      "0",
      "--no-watch-rules",
      "--output",
      output,
      "--stdout",
      // sequences wait behind a watermark nothing moves: only the drain releases them
      "--allowed-lateness",
      "600000",
      "--idle-flush",
      "600000",
    ],
    { env: { ...process.env, EQLITE_LOG_LEVEL: "info" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  t.after(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line:\n${stderr}`)), 20_000);
    child.stderr.on("data", (d) => {
      stderr += d;
      const m = /"url":"(http:\/\/[^"]+)"/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`exited ${code}:\n${stderr}`)));
  });
  const exec = (name: string, executable: string, second: number) => ({
    "@timestamp": new Date(Date.UTC(2026, 8, 1, 10, 0, second)).toISOString(),
    event: { category: ["process"], type: ["start"], action: "exec" },
    container: { id: "cli1" },
    process: { name, executable, args: [name] },
  });
  const body = [interactiveExec(), exec("wget", "/usr/bin/wget", 1), exec("payload", "/tmp/payload", 2)]
    .flatMap((e) => [JSON.stringify({ create: { _index: CLOUD_DEFEND_PROCESS } }), JSON.stringify(e)])
    .join("\n");
  const r = await fetch(`${url}/_bulk`, { method: "POST", body });
  assert.equal(r.status, 200);
  assert.equal(((await r.json()) as { errors: boolean }).errors, false);

  // SIGHUP reloads the rules (and keeps the sequence waiting behind the watermark)
  child.kill("SIGHUP");
  const deadline = Date.now() + 10_000;
  while (!stderr.includes('"msg":"rules reloaded"')) {
    assert.ok(Date.now() < deadline, `no reload after SIGHUP:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }

  const code = await new Promise<number | null>((resolve) => {
    child.on("exit", (c) => resolve(c));
    child.kill("SIGTERM");
  });
  assert.equal(code, 0, stderr);
  const shells = (text: string) =>
    text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((a) => a["kibana.alert.building_block_type"] === undefined)
      .map((a) => a["kibana.alert.rule.name"])
      .sort();
  const expected = [
    "File Downloaded then Executed from a Temporary Directory in a Container",
    "Interactive Shell Started by kubectl exec in a Container",
  ];
  assert.deepEqual(
    shells(stdout),
    expected,
    "the sequence held behind the watermark was flushed by the drain",
  );
  assert.deepEqual(shells(readFileSync(output, "utf8")), expected);
  assert.match(stderr, /"msg":"eqlite serve stopped"/);
  assert.match(stderr, /no --data-dir: accepted events and alerts are kept in memory only/);
  assert.doesNotMatch(stdout, /"level"/, "logs never go to stdout");
});

test("eqlite serve refuses a non-loopback address without credentials, and bad settings, with exit 2", () => {
  const open = runCli(["serve", "--host", "0.0.0.0", "--port", "0"]);
  assert.equal(open.code, 2);
  assert.match(open.stderr, /refusing to listen on 0\.0\.0\.0 without authentication/);

  const dir = tempDir("eqlite-serve-config-");
  const bad = join(dir, "serve.toml");
  writeFileSync(bad, 'host = "127.0.0.1"\nport = \n');
  const r = runCli(["serve", "--config", bad]);
  assert.equal(r.code, 2);
  assert.ok(r.stderr.includes(`${bad}:2:`), r.stderr);

  const unknown = join(dir, "serve.json");
  writeFileSync(unknown, JSON.stringify({ prot: 9200 }));
  const u = runCli(["serve", "--config", unknown]);
  assert.equal(u.code, 2);
  assert.match(u.stderr, /unknown setting "prot", did you mean \[port\]\?/);

  const rules = join(dir, "rules");
  const missing = runCli(["serve", "--port", "0", "--rules", rules]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /rules not found/);
  rmSync(dir, { recursive: true, force: true });
});

test("eqlite serve whose stdout reader goes away says so, drops what it cannot write, stops cleanly and exits 1", async (t) => {
  const serve = await ServeProcess.start(["--no-watch-rules"]);
  t.after(() => serve.stop("SIGKILL"));
  serve.child.stdout?.destroy();
  const exited = once(serve.child, "exit");
  const answer = await fetch(`${serve.url}/_bulk`, {
    method: "POST",
    headers: { "content-type": "application/x-ndjson" },
    body: bulkBody([interactiveExec({ "@timestamp": new Date().toISOString() })]),
  });
  assert.equal(answer.status, 200);
  const [code] = await exited;
  assert.equal(code, 1, serve.stderr);
  const lines = serve.stderr
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { level: number; msg: string; alerts?: number });
  const messages = lines.map((l) => l.msg);
  assert.ok(
    messages.includes(
      "stdout was closed by its reader: the alerts written there have nowhere to go; stopping (exit 1)",
    ),
    messages.join("\n"),
  );
  assert.equal(lines.find((l) => l.msg === "alert sink write failed; alerts dropped")?.alerts, 1);
  assert.ok(messages.includes("eqlite serve stopped"), "a clean stop, not an abrupt exit");
});

test("eqlite scan whose stdout reader goes away (| head) exits 0 at once: the reader's choice", async () => {
  const child = spawn(process.execPath, ["--import", "tsx", entry, "scan", EXAMPLE_EVENTS], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.destroy();
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const [code] = await once(child, "exit");
  assert.equal(code, 0, stderr);
});

test("eqlite serve: a SIGHUP while it drains is said and ignored, not let end the process; the drain finishes and exits 0", async (t) => {
  const dir = tempDir("eqlite-serve-stop-hup-");
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // a receiver that takes the connection and never answers holds the drain open (up to the
  // webhook's 10 s close timeout), long enough for a reload to arrive in the middle of it
  const silent = createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  t.after(() => silent.close());
  const hook = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/hook`;
  const serve = await ServeProcess.start([
    "--no-watch-rules",
    "--data-dir",
    join(dir, "data"),
    "--webhook",
    hook,
  ]);
  t.after(() => {
    if (serve.running) serve.child.kill("SIGKILL");
  });
  const r = await fetch(`${serve.url}/_bulk`, { method: "POST", body: bulkBody([interactiveExec()]) });
  assert.equal(r.status, 200);
  const exited = once(serve.child, "exit");
  serve.child.kill("SIGTERM");
  await serve.waitFor(/"msg":"stop requested"/);
  serve.child.kill("SIGHUP");
  await serve.waitFor(/"msg":"SIGHUP while stopping: ignored, the service is draining"/);
  const [code, signal] = await exited;
  assert.equal(signal, null, serve.stderr);
  assert.equal(code, 0, serve.stderr);
  assert.match(serve.stderr, /"msg":"eqlite serve stopped"/);
});
