import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { WriteAheadLog } from "../../src/server/wal.ts";
import { tempDir } from "./alerts.ts";

const CHILD = fileURLToPath(new URL("./wal-crash-child.ts", import.meta.url));

interface Ack {
  run: number;
  b: number;
  size: number;
  firstSeq: number;
  lastSeq: number;
}

/** Starts the appender, lets it acknowledge a random number of batches, then kills it with SIGKILL. */
async function runAndKill(dir: string, ackTarget: number): Promise<{ acks: Ack[]; next: number }> {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, dir], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const acks: Ack[] = [];
  let next = 0;
  let pending = "";
  const exited = once(child, "exit");
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      pending += chunk.toString("utf8");
      const lines = pending.split("\n");
      pending = lines.pop()!; // a line cut by the kill is not an acknowledgement anyone saw
      for (const line of lines) {
        const message = JSON.parse(line);
        if (message.ready) next = message.next;
        else acks.push(message);
        if (acks.length === ackTarget) {
          // Kill at a moment that is not tied to an acknowledgement: writes are in flight.
          setTimeout(() => child.kill("SIGKILL"), Math.floor(Math.random() * 15));
        }
      }
    });
    exited.then(() => resolve(), reject);
  });
  const [code, signal] = await exited;
  assert.equal(signal, "SIGKILL", `the appender exited by itself (${code}): ${stderr}`);
  return { acks, next };
}

test("kill -9 while appending: every acknowledged event survives, exactly once, and seqs go on", async (t) => {
  const dir = await tempDir(t, "eqlite-wal-crash-");
  const acknowledged = new Map<number, { run: number; b: number; i: number }>();
  let highest = 0;
  for (let round = 0; round < 4; round++) {
    const { acks, next } = await runAndKill(dir, 20 + Math.floor(Math.random() * 200));
    // The restarted appender goes on after everything acknowledged before.
    assert.ok(
      next > highest,
      `round ${round}: restarted at seq ${next}, but seq ${highest} was acknowledged`,
    );
    assert.ok(acks.length > 0, `round ${round}: nothing was acknowledged`);
    for (const ack of acks) {
      assert.equal(ack.lastSeq - ack.firstSeq + 1, ack.size);
      for (let i = 0; i < ack.size; i++) acknowledged.set(ack.firstSeq + i, { run: ack.run, b: ack.b, i });
      highest = Math.max(highest, ack.lastSeq);
    }

    const wal = await WriteAheadLog.open({ dir, segmentBytes: 32 * 1024, maxBytes: 256 * 1024 * 1024 });
    try {
      const seen = new Map<number, unknown>();
      let previous = 0;
      for await (const { seq, event } of wal.replay(1)) {
        assert.equal(seq, previous + 1, `round ${round}: seq ${seq} follows ${previous}`);
        previous = seq;
        seen.set(seq, event);
      }
      for (const [seq, expected] of acknowledged) {
        const event = seen.get(seq) as { run: number; b: number; i: number } | undefined;
        assert.ok(event, `round ${round}: acknowledged seq ${seq} is missing`);
        assert.deepEqual({ run: event.run, b: event.b, i: event.i }, expected, `round ${round}: seq ${seq}`);
      }
      for (const problem of wal.recovery) assert.equal(problem.kind, "torn-tail", problem.message);
    } finally {
      await wal.close();
    }
  }
});
