import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { deadLetterLine } from "../../src/io/sinks/dead-letter.ts";
import { receiver } from "../io/webhook-receiver.ts";
import { eventAlert, idOf, tempDir } from "../server/alerts.ts";

const entry = fileURLToPath(new URL("../../src/cli/entry.ts", import.meta.url));

/** The CLI in a child process the test's receiver can answer while it runs. */
function resend(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ["--import", "tsx", entry, "resend", ...args],
      (error, _out, stderr) => resolve({ code: error ? (child.exitCode ?? null) : 0, stderr }),
    );
  });
}

const letters = (sink: string, pids: number[]) =>
  pids
    .map((pid) =>
      deadLetterLine({
        "@timestamp": "2026-11-30T03:00:00.000Z",
        sink,
        error: "no answer within 10000 ms",
        attempts: 31,
        alert: eventAlert({ pid }),
      }),
    )
    .join("");

test("eqlite resend takes serve's config file: its webhooks and their headers; exit 0 when every alert is delivered", async (t) => {
  const hook = await receiver(t, () => ({ status: 200 }));
  const dir = await tempDir(t);
  const file = join(dir, "webhook-dead-letters.ndjson");
  await writeFile(file, letters(`webhook:${new URL(hook.url).host}`, [1, 2, 3]));
  const config = join(dir, "serve.toml");
  await writeFile(
    config,
    `data_dir = "${dir}"\nrules = ["nowhere"]\nwebhooks = ["${hook.url}"]\n\n[webhook_headers]\nAuthorization = "Bearer from-config"\n`,
  );
  const r = await resend([file, "--config", config]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /3 dead letter\(s\)/);
  assert.match(r.stderr, /: 3: 3 delivered/);
  assert.match(r.stderr, /every alert delivered/);
  assert.deepEqual(
    hook.requests.flatMap((q) => q.ids).sort(),
    [1, 2, 3].map((pid) => idOf(eventAlert({ pid }))).sort(),
  );
  assert.ok(hook.requests.every((q) => q.authorization === "Bearer from-config"));
});

test("eqlite resend: exit 1 and the unsent file named when a webhook refuses again; 2 for bad usage", async (t) => {
  const hook = await receiver(t, () => ({ status: 400 }));
  const dir = await tempDir(t);
  const file = join(dir, "dead.ndjson");
  await writeFile(file, letters(`webhook:${new URL(hook.url).host}`, [4, 5]));
  const refused = await resend([file, "--webhook", hook.url]);
  assert.equal(refused.code, 1, refused.stderr);
  const unsent = join(dir, "dead.unsent.ndjson");
  assert.match(refused.stderr, /: 2: 0 delivered, 2 refused again/);
  assert.ok(refused.stderr.includes(`2 line(s) not delivered are in ${unsent}`), refused.stderr);
  assert.equal((await readFile(unsent, "utf8")).split("\n").filter(Boolean).length, 2);

  const same = await resend([file, "--webhook", hook.url, "--unsent", file]);
  assert.equal(same.code, 2);
  assert.match(same.stderr, /is one of the files read/);
  const none = await resend([file]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no webhook to send to/);
  const missing = await resend([join(dir, "nope.ndjson"), "--webhook", hook.url]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.ndjson: no such file/);
});
