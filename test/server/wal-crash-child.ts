import { WriteAheadLog } from "../../src/server/wal.ts";

/**
 * The process wal-crash.test.ts kills: appends batches from several writers at
 * once, forever, and prints a line per acknowledged batch. A line is printed
 * only after `append` resolved, so every line names events that must survive.
 */
const dir = process.argv[2];
const wal = await WriteAheadLog.open({ dir, segmentBytes: 32 * 1024, maxBytes: 256 * 1024 * 1024 });
const say = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
say({ ready: true, next: wal.next, problems: wal.recovery.map((p) => p.kind) });

const run = process.pid;
let batch = 0;
async function writer(): Promise<void> {
  for (;;) {
    const b = batch++;
    const size = 1 + (b % 5);
    const events = Array.from({ length: size }, (_, i) => ({ run, b, i, pad: "x".repeat((b * 37) % 300) }));
    const range = await wal.append(events);
    say({ run, b, size, ...range });
  }
}
await Promise.all([writer(), writer(), writer(), writer()]);
