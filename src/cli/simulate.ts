import { once } from "node:events";
import { createWriteStream, writeFileSync } from "node:fs";
import { setImmediate, setTimeout as sleep } from "node:timers/promises";
import { type Command, InvalidArgumentError } from "commander";
import { ChunkWriter } from "../sim/chunk-writer.ts";
import {
  SIMULATION_DEFAULTS,
  STORY_NAMES,
  type StoryName,
  WORKLOAD_KINDS,
  type WorkloadKind,
} from "../sim/defaults.ts";
import type { Simulation, SimulationStats } from "../sim/index.ts";

interface SimulateOptions {
  seed: number;
  events?: number;
  rate?: number;
  hosts: number;
  attackRate: number;
  stories?: StoryName[];
  mix?: Partial<Record<WorkloadKind, number>>;
  start?: string;
  truth?: string;
  output?: string;
  stats?: boolean;
}

const wholeNumber = (name: string, min: number) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < min) {
    throw new InvalidArgumentError(`${name} must be a whole number >= ${min}`);
  }
  return Number(value);
};

const positiveNumber = (name: string) => (value: string) => {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`${name} must be > 0`);
  return n;
};

function attackRate(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !(n >= 0 && n < 1)) {
    throw new InvalidArgumentError("--attack-rate must be a fraction in [0, 1), e.g. 0.001");
  }
  return n;
}

function storyList(value: string): StoryName[] {
  const names = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!STORY_NAMES.includes(name as StoryName)) {
      throw new InvalidArgumentError(`unknown story '${name}'; stories: ${STORY_NAMES.join(", ")}`);
    }
  }
  return names as StoryName[];
}

function mixList(value: string): Partial<Record<WorkloadKind, number>> {
  const mix: Partial<Record<WorkloadKind, number>> = {};
  for (const item of value.split(",").filter((s) => s.trim())) {
    const [kind, share] = item.split("=").map((s) => s.trim());
    if (!WORKLOAD_KINDS.includes(kind as WorkloadKind)) {
      throw new InvalidArgumentError(`unknown workload '${kind}'; workloads: ${WORKLOAD_KINDS.join(", ")}`);
    }
    const n = Number(share);
    if (share === undefined || share === "" || !(n >= 0)) {
      throw new InvalidArgumentError(`--mix ${kind} needs a share >= 0, e.g. ${kind}=0.2`);
    }
    mix[kind as WorkloadKind] = n;
  }
  return mix;
}

function isoDate(value: string): string {
  if (!Number.isFinite(Date.parse(value))) throw new InvalidArgumentError("--start must be an ISO 8601 date");
  return value;
}

export function registerSimulateCommand(program: Command): void {
  program
    .command("simulate")
    .description(
      "generate Defend for Containers (cloud_defend) telemetry as NDJSON: nodes, pods, process and file events, " +
        "background workloads and injected attack stories, with optional ground truth",
    )
    .option(
      "--seed <n>",
      "random seed; the same seed and options give the same bytes",
      wholeNumber("--seed", 0),
      1,
    )
    .option(
      "--events <n>",
      `events to write, 0 for no end (default ${SIMULATION_DEFAULTS.events}; no end with --rate)`,
      wholeNumber("--events", 0),
    )
    .option(
      "--rate <n>",
      "events per second, paced in real time (timestamps follow the clock); without it, as fast as possible",
      positiveNumber("--rate"),
    )
    .option("--hosts <n>", "Kubernetes nodes", wholeNumber("--hosts", 1), SIMULATION_DEFAULTS.hosts)
    .option(
      "--attack-rate <f>",
      "share of events from attack stories (each chosen story appears at least once when > 0)",
      attackRate,
      SIMULATION_DEFAULTS.attackRate,
    )
    .option(
      "--stories <list>",
      `comma-separated stories to inject (default: all): ${STORY_NAMES.join(", ")}`,
      storyList,
    )
    .option(
      "--mix <list>",
      `background shares by workload, e.g. probe=0.3,build=0: ${WORKLOAD_KINDS.join(", ")}`,
      mixList,
    )
    .option(
      "--start <iso>",
      `first timestamp (default ${SIMULATION_DEFAULTS.start}; now with --rate)`,
      isoDate,
    )
    .option(
      "--truth <file>",
      "write the ground truth: NDJSON of {story, instance, event_ids, key_event_ids, …}",
    )
    .option("--output <file>", "write the events to a file instead of stdout")
    .option("--stats", "print counts and throughput to stderr")
    .action(async (options: SimulateOptions, command: Command) => {
      const code = await runSimulate(options);
      command.parent?.setOptionValue("exitCode", code);
    });
}

type Output = NodeJS.WritableStream & { writableNeedDrain?: boolean };

export async function runSimulate(options: SimulateOptions): Promise<number> {
  const paced = options.rate !== undefined;
  const { createSimulation } = await import("../sim/index.ts");
  const sim = createSimulation({
    seed: options.seed,
    events: options.events ?? (paced ? 0 : SIMULATION_DEFAULTS.events),
    hosts: options.hosts,
    attackRate: options.attackRate,
    stories: options.stories,
    mix: options.mix,
    start: options.start ?? (paced ? Date.now() : SIMULATION_DEFAULTS.start),
    eventsPerSecond: options.rate,
  });
  const toFile = options.output !== undefined;
  const out: Output = toFile ? createWriteStream(options.output as string) : process.stdout;
  let failure: NodeJS.ErrnoException | undefined;
  const onError = (error: NodeJS.ErrnoException) => {
    failure ??= error;
  };
  out.on("error", onError);
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
  };
  process.once("SIGINT", onSigint);
  const began = performance.now();
  try {
    if (paced) await writePaced(sim, out, options.rate as number, () => interrupted || failure !== undefined);
    else await writeAll(sim, out, () => interrupted || failure !== undefined);
    if (toFile && !failure) {
      out.end();
      await once(out, "finish");
    }
  } catch (error) {
    failure ??= error as NodeJS.ErrnoException;
  } finally {
    process.removeListener("SIGINT", onSigint);
  }
  const seconds = (performance.now() - began) / 1000;
  if (failure && failure.code !== "EPIPE") {
    process.stderr.write(`eqlite: cannot write ${options.output ?? "stdout"}: ${failure.message}\n`);
    return 2;
  }
  if (options.truth) {
    const records = sim.truth();
    try {
      writeFileSync(options.truth, records.map((r) => `${JSON.stringify(r)}\n`).join(""));
    } catch (error) {
      process.stderr.write(`eqlite: cannot write ${options.truth}: ${(error as Error).message}\n`);
      return 2;
    }
  }
  if (options.stats) process.stderr.write(formatStats(sim.stats(), seconds));
  return 0;
}

/**
 * As fast as the destination takes it: 1 MiB chunks, waiting for 'drain' when write() says so, and
 * yielding to the event loop after each chunk anyway (a synchronous stdout never asks to wait) so
 * that Ctrl-C and errors are seen.
 */
async function writeAll(sim: Simulation, out: Output, stop: () => boolean): Promise<void> {
  const writer = new ChunkWriter();
  for (let event = sim.next(); event; event = sim.next()) {
    const chunk = writer.add(event.line);
    if (!chunk) continue;
    if (out.write(chunk)) await setImmediate();
    else await once(out, "drain");
    if (stop()) return;
  }
  const rest = writer.take();
  if (rest && !out.write(rest) && !stop()) await once(out, "drain");
}

/**
 * Real time: every tick writes the events whose timestamps have come (the simulation's clock runs
 * at the wall clock's pace from its start), then sleeps until the next one is due.
 */
async function writePaced(sim: Simulation, out: Output, rate: number, stop: () => boolean): Promise<void> {
  const wallStart = Date.now();
  const writer = new ChunkWriter(Math.max(64 * 1024, Math.min(1 << 20, Math.ceil(rate * 4096))));
  let event = sim.next();
  while (event && !stop()) {
    const now = sim.start + (Date.now() - wallStart);
    while (event && event.t <= now) {
      const chunk = writer.add(event.line);
      if (chunk && !out.write(chunk)) await once(out, "drain");
      event = sim.next();
    }
    const rest = writer.take();
    if (rest && !out.write(rest)) await once(out, "drain");
    // ticks of 20–100 ms: events due within a tick go out together
    if (event) await sleep(Math.max(20, Math.min(100, event.t - (sim.start + (Date.now() - wallStart)))));
  }
}

export function formatStats(stats: SimulationStats, seconds: number): string {
  const mb = stats.bytes / 1e6;
  const kinds = Object.entries(stats.byKind)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(", ");
  return (
    `eqlite simulate: ${stats.events} events, ${mb.toFixed(1)} MB (${Math.round(stats.bytes / Math.max(1, stats.events))} B/event; ` +
    `process ${stats.processEvents}, file ${stats.fileEvents}); ${stats.stories} attack stories\n` +
    `  by kind: ${kinds}\n` +
    `  ${seconds.toFixed(2)} s: ${Math.round(stats.events / seconds)} events/s, ${(mb / seconds).toFixed(0)} MB/s\n`
  );
}
