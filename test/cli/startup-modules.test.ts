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
function packagesLoaded(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { packages: Set<string>; modules: string[]; stdout: string } {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-modules-"));
  const log = join(dir, "modules.txt");
  try {
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", "--import", `data:text/javascript,${encodeURIComponent(REGISTER)}`, entry, ...args],
      { encoding: "utf8", env: { ...process.env, ...env, EQLITE_TEST_MODULE_LOG: log } },
    );
    assert.equal(r.status, 0, r.stderr);
    const modules = readFileSync(log, "utf8").split("\n");
    const names = modules
      .map((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1])
      .filter((name) => name !== undefined);
    return { packages: new Set(names), modules, stdout: r.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What only serve, worker and status use: the HTTP server, its logger, the store, the NATS client. */
const SERVICE_PACKAGES = /^(@nats-io\/|fastify$|pino$|better-sqlite3$)/;

/**
 * The event generator: only simulate and demo run it. Its defaults and story names (for the
 * options) and the buffer simulate writes through are one small module each.
 */
const SIMULATOR = /\/src\/sim\/(?!defaults\.ts$|chunk-writer\.ts$)/;

test("a command that needs no service loads none of the service's packages, nor the simulator", () => {
  for (const args of [["--version"], ["scan", "--format", "summary", events]]) {
    const { packages, modules } = packagesLoaded(args);
    assert.ok(packages.has("commander"), `the module log works: ${[...packages].join(", ")}`);
    const service = [...packages].filter((name) => SERVICE_PACKAGES.test(name));
    assert.deepEqual(service, [], `eqlite ${args.join(" ")} loaded ${service.join(", ")}`);
    const simulator = modules.filter((url) => SIMULATOR.test(url));
    assert.deepEqual(simulator, [], `eqlite ${args.join(" ")} loaded the simulator`);
  }
  assert.ok(
    packagesLoaded(["simulate", "--events", "1"]).modules.some((url) => SIMULATOR.test(url)),
    "the module log sees the simulator where it is used",
  );
});

/** eqlite's own modules a command loaded, as paths below src/. */
const ownModules = (modules: string[]) =>
  modules.map((url) => /\/src\/(.+\.ts)$/.exec(url)?.[1]).filter((path) => path !== undefined);

test("a command loads only its own code: --version none, serve and status not scan's engine", () => {
  const version = packagesLoaded(["--version"]);
  assert.match(version.stdout, /^\d+\.\d+\.\d+/);
  assert.deepEqual(
    ownModules(version.modules).sort(),
    [
      "cli/early-hangup.ts",
      "cli/entry.ts",
      "cli/hang-up.ts",
      "cli/main.ts",
      "cli/stdout-closed.ts",
      "eql/regex-safety.ts",
    ],
    "--version loads no command",
  );
  for (const command of ["serve", "status", "worker", "simulate"]) {
    const own = ownModules(packagesLoaded([command, "--help"]).modules);
    assert.ok(
      own.includes(`cli/${command === "test" ? "test-rules" : command}.ts`),
      `${command}: the log sees it`,
    );
    // the rule loader, the EQL parser, the detection engine, scan itself
    const engine = own.filter((path) =>
      /^rules\/|^eql\/parser\.ts$|^engine\/detection-engine\.ts$|^cli\/scan\.ts$/.test(path),
    );
    assert.deepEqual(engine, [], `${command} --help loaded scan's code`);
  }
  const help = ownModules(packagesLoaded(["--help"]).modules);
  for (const command of ["scan", "query", "serve", "worker", "status", "simulate", "validate", "explain"])
    assert.ok(help.includes(`cli/${command}.ts`), `--help lists ${command}, so it loads it`);
});

test("a scan whose rules are all in the rule cache does not load the rule schemas, and alerts the same", () => {
  const cacheDir = mkdtempSync(join(tmpdir(), "eqlite-cache-"));
  try {
    const args = ["scan", "--format", "ndjson", events];
    const first = packagesLoaded(args, { EQLITE_CACHE_DIR: cacheDir });
    assert.ok(first.packages.has("zod"), "a cold load checks every rule");
    const cached = packagesLoaded(args, { EQLITE_CACHE_DIR: cacheDir });
    assert.ok(!cached.packages.has("zod"), `loaded: ${[...cached.packages].join(", ")}`);
    const alertIds = (stdout: string) =>
      stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line)["kibana.alert.uuid"] as string);
    assert.ok(alertIds(first.stdout).length > 0, "the example events alert");
    assert.deepEqual(alertIds(cached.stdout), alertIds(first.stdout));
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test("coverage reads which rules have tests without running a case: no test runner, no detection engine", () => {
  const rules = fileURLToPath(new URL("../../rules", import.meta.url));
  const { modules, stdout } = packagesLoaded(["coverage", "--format", "json", rules]);
  const own = ownModules(modules);
  assert.ok(own.includes("ruletest/format.ts"), "the log sees the test files read");
  const running = own.filter((path) => /^ruletest\/runner\.ts$|^engine\/detection-engine\.ts$/.test(path));
  assert.deepEqual(running, [], "coverage ran the rules' test cases");
  const { summary } = JSON.parse(stdout) as { summary: { rules: number; tested: number } };
  assert.ok(summary.tested > 0 && summary.tested === summary.rules, "every bundled rule has tests");
});
