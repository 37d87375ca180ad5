/**
 * P4: sequence state memory. (1) bytes per open partial sequence; (2) heap over a
 * long stream through a maxspan sequence rule, sampled every million events: it
 * must stay flat. Run with `npm run bench:memory [-- --events N]`.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createQueryStream } from "../src/eql/query-stream.ts";

const { values } = parseArgs({ options: { events: { type: "string", default: "10000000" } } });
const total = Number(values.events);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc (npm run bench:memory does)");
const heap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};

function perPartial(n: number): number {
  const stream = createQueryStream(
    "sequence by host.id [process where true] [network where true]",
    { maxOpenPartials: n + 1 },
    () => {},
  );
  const before = heap();
  for (let i = 0; i < n; i++) {
    stream.push({
      "@timestamp": i,
      event: { category: "process" },
      host: { id: `host-${i}` },
      process: { pid: i },
    });
  }
  const after = heap();
  if (stream.stats.sequences!.open !== n)
    throw new Error(`expected ${n} open partials, got ${stream.stats.sequences!.open}`);
  return (after - before) / n;
}

function flatStream(events: number) {
  const stream = createQueryStream(
    'sequence by host.id with maxspan=30s [process where process.name == "bash"] [network where true]',
    { allowedLatenessMs: 1000 },
    () => {},
  );
  const samples: Array<{ events: number; heapMB: number; open: number }> = [];
  const hosts = 5000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < events; i++) {
    const host = (i * 7919) % hosts;
    const network = i % 3 === 0;
    stream.push({
      "@timestamp": i * 2,
      event: { category: network ? "network" : "process" },
      host: { id: `h${host}` },
      process: { name: i % 5 === 0 ? "bash" : "sh" },
    });
    if ((i + 1) % 1_000_000 === 0) {
      samples.push({ events: i + 1, heapMB: heap() / 2 ** 20, open: stream.stats.sequences!.open });
      console.log(
        `  ${samples.at(-1)!.events.toLocaleString()} events: heap ${samples.at(-1)!.heapMB.toFixed(1)} MB, open partials ${samples.at(-1)!.open}`,
      );
    }
  }
  stream.flush();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { samples, eventsPerSecond: events / seconds };
}

const bytesPerPartial = perPartial(200_000);
console.log(
  `memory per open partial sequence: ${bytesPerPartial.toFixed(0)} bytes (200,000 partials, one event each)`,
);
console.log(
  `stream of ${total.toLocaleString()} events through a maxspan=30s sequence rule over 5,000 hosts:`,
);
const { samples, eventsPerSecond } = flatStream(total);
const heaps = samples.map((s) => s.heapMB);
const growth = heaps.length > 1 ? heaps[heaps.length - 1] - heaps[0] : 0;
console.log(
  `heap first/last sample: ${heaps[0]?.toFixed(1)} / ${heaps.at(-1)?.toFixed(1)} MB (growth ${growth.toFixed(1)} MB); ${Math.round(eventsPerSecond).toLocaleString()} events/s`,
);
const file = new URL(
  `./results/sequence-memory-${new Date().toISOString().replace(/[:.]/g, "-")}.json`,
  import.meta.url,
);
writeFileSync(
  file,
  `${JSON.stringify({ bytesPerPartial, samples, eventsPerSecond, growthMB: growth }, null, 2)}\n`,
);
console.log(`written ${file.pathname}`);
