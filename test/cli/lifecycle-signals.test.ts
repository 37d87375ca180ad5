import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const early = fileURLToPath(new URL("../../src/cli/early-hangup.ts", import.meta.url));
const lifecycle = fileURLToPath(new URL("../../src/cli/lifecycle-signals.ts", import.meta.url));

/**
 * A process whose command line names `command` (argv[2], as for the entry): it loads the module the entry loads first,
 * sends itself a SIGHUP, then does `then` (a script body) and prints "alive".
 */
function hangUpEarly(command: string, then = "") {
  const script = `
    await import(${JSON.stringify(early)});
    process.kill(process.pid, "SIGHUP");
    await new Promise((resolve) => setTimeout(resolve, 200));
    ${then}
    process.stdout.write("alive");
  `;
  return spawnSync(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "-e", script, "entry", command],
    {
      encoding: "utf8",
    },
  );
}

test("a SIGHUP before serve or worker listen for it is ignored, not the end of the process", () => {
  for (const command of ["serve", "worker"]) {
    const child = hangUpEarly(command);
    assert.equal(child.signal, null, `${command}: ${child.stderr}`);
    assert.equal(child.stdout, "alive");
  }
  // a one-shot command keeps Node's default: a hang-up ends it
  const scan = hangUpEarly("scan");
  assert.equal(scan.signal, "SIGHUP");
  assert.equal(scan.stdout, "");
});

test("once serve or worker listen for SIGHUP, a SIGHUP reloads, and only their listener hears it", () => {
  const child = hangUpEarly(
    "worker",
    `
    const { listenForLifecycleSignals } = await import(${JSON.stringify(lifecycle)});
    let reloads = 0;
    listenForLifecycleSignals({ stop() {}, hangup: () => reloads++, hangupWhileStopping() {} });
    process.kill(process.pid, "SIGHUP");
    await new Promise((resolve) => setTimeout(resolve, 200));
    process.stdout.write(process.listenerCount("SIGHUP") + " listener, " + reloads + " reload; ");
    `,
  );
  assert.equal(child.signal, null, child.stderr);
  assert.equal(child.stdout, "1 listener, 1 reload; alive");
});

test("a SIGHUP caught just as a stop begins is heard as one while stopping, not lost", () => {
  const child = hangUpEarly(
    "serve",
    `
    const { listenForLifecycleSignals } = await import(${JSON.stringify(lifecycle)});
    const heard = [];
    const signals = listenForLifecycleSignals({
      stop() {},
      hangup: () => heard.push("reload"),
      hangupWhileStopping: () => heard.push("ignored while stopping"),
    });
    // caught now, by the signal handler; dispatched to a listener on the next turn of the loop
    process.kill(process.pid, "SIGHUP");
    signals.stopping();
    await new Promise((resolve) => setTimeout(resolve, 200));
    process.stdout.write(heard.join(", ") + "; ");
    `,
  );
  assert.equal(child.signal, null, child.stderr);
  assert.equal(child.stdout, "ignored while stopping; alive");
});
