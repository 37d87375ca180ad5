import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type Command, CommanderError } from "commander";
import { buildProgram } from "../../src/cli/main.ts";
import { runSimulate } from "../../src/cli/simulate.ts";

const entry = fileURLToPath(new URL("../../src/cli/entry.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "eqlite-simulate-"));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** runs the CLI from source in a child process, as a user would */
function eqlite(args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", entry, ...args],
      { encoding: "utf8", maxBuffer: 1 << 28 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const SAME = ["simulate", "--seed", "7", "--events", "1500", "--hosts", "2", "--attack-rate", "0.05"];

describe("eqlite simulate", { concurrency: true }, () => {
  it("--events --output --truth --stats: NDJSON, ground truth, a summary; stdout has the same bytes", async () => {
    const out = join(dir, "events.ndjson");
    const truth = join(dir, "truth.ndjson");
    const [toFile, toStdout] = await Promise.all([
      eqlite([...SAME, "--output", out, "--truth", truth, "--stats"]),
      eqlite(SAME),
    ]);
    assert.equal(toFile.code, 0, toFile.stderr);
    assert.equal(toFile.stdout, "");
    assert.match(toFile.stderr, /1500 events, .* MB .*events\/s/s);
    const text = readFileSync(out, "utf8");
    const lines = text.split("\n");
    assert.equal(lines.pop(), "", "ends with a newline");
    assert.equal(lines.length, 1500);
    const ids = new Set(lines.map((l) => JSON.parse(l).event.id));
    const records = readFileSync(truth, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.ok(records.length >= 6);
    for (const record of records) {
      assert.equal(typeof record.story, "string");
      for (const id of record.event_ids) assert.ok(ids.has(id));
    }
    assert.equal(toStdout.code, 0, toStdout.stderr);
    assert.equal(toStdout.stdout, text, "same seed and options, same bytes");
  });

  it("--rate paces the output and still writes exactly --events lines", async () => {
    const began = Date.now();
    const r = await eqlite([
      "simulate",
      "--rate",
      "2000",
      "--events",
      "600",
      "--hosts",
      "1",
      "--start",
      "2026-01-01T00:00:00Z",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.length, 600);
    const span =
      Date.parse(JSON.parse(lines[599])["@timestamp"]) - Date.parse(JSON.parse(lines[0])["@timestamp"]);
    assert.ok(Date.now() - began >= span, `took at least the ${span} ms the timestamps span`);
  });

  it("rejects bad options with the valid choices", async () => {
    const program = await buildProgram();
    let errors = "";
    const capture = (command: Command) => {
      command.configureOutput({
        writeErr: (s) => {
          errors += s;
        },
        writeOut: () => {},
      });
      command.commands.forEach(capture);
    };
    capture(program);
    const reject = async (args: string[], message: RegExp) => {
      errors = "";
      await assert.rejects(program.parseAsync(args, { from: "user" }), CommanderError);
      assert.match(errors, message);
    };
    await reject(
      ["simulate", "--stories", "interactive-exec,nope"],
      /unknown story 'nope'; stories: interactive-exec, /,
    );
    await reject(["simulate", "--attack-rate", "2"], /--attack-rate must be a fraction/);
    await reject(["simulate", "--mix", "probe=x"], /--mix probe needs a share/);
    await reject(["simulate", "--events", "-3"], /--events must be a whole number/);
  });

  it("an unwritable output is reported with exit code 2", async () => {
    const write = process.stderr.write;
    let errors = "";
    process.stderr.write = ((s: string) => {
      errors += s;
      return true;
    }) as typeof process.stderr.write;
    try {
      const output = join(dir, "missing", "x.ndjson");
      assert.equal(await runSimulate({ seed: 1, events: 10, hosts: 1, attackRate: 0, output }), 2);
    } finally {
      process.stderr.write = write;
    }
    assert.match(errors, /cannot write .*missing/);
  });
});
