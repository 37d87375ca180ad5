import { type Command, InvalidArgumentError, Option } from "commander";
import type { EventOrigin } from "../engine/detection-engine.ts";
import type { Event } from "../eql/field-access.ts";
import type { AlertFormat } from "../io/sinks/alert-formats.ts";
import { SIMULATION_DEFAULTS } from "../sim/defaults.ts";
import { BUNDLED_RULES } from "./bundled-rules.ts";
import { runScan } from "./scan.ts";

interface DemoOptions {
  events: number;
  seed: number;
  format?: AlertFormat;
  output?: string;
}

const positive = (name: string) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError(`${name} must be a whole number >= 1`);
  return Number(value);
};

/**
 * The embedded default: the bundled rule pack over simulated container telemetry
 * with attack stories in it (an interactive `kubectl exec` among them), alerts on
 * screen. Nothing to download, nothing to configure.
 */
export function registerDemoCommand(program: Command): void {
  program
    .command("demo", { isDefault: false })
    .description(
      "the bundled rules over simulated container telemetry with injected attacks (what `eqlite` runs alone)",
    )
    .option("--events <n>", "how many events to simulate", positive("--events"), 5_000)
    .option(
      "--seed <n>",
      "the simulation seed (same seed, same events)",
      positive("--seed"),
      SIMULATION_DEFAULTS.seed,
    )
    .addOption(new Option("--format <format>", "as for scan").choices(["pretty", "ndjson", "csv", "summary"]))
    .option("--output <file>", "write alerts to a file")
    .action(async (options: DemoOptions, command: Command) => {
      command.parent?.setOptionValue("exitCode", await runDemo(options));
    });
}

export async function runDemo(options: DemoOptions): Promise<number> {
  process.stderr.write(
    `eqlite demo: the bundled rules (${BUNDLED_RULES}) over ${options.events} simulated container events ` +
      `(seed ${options.seed}) with injected attack stories\n\n`,
  );
  return runScan(
    [],
    { format: options.format, output: options.output, allowedLateness: 0 },
    simulatedEvents(options.events, options.seed),
  );
}

async function* simulatedEvents(
  events: number,
  seed: number,
): AsyncGenerator<{ event: Event; origin: EventOrigin }> {
  // the generator is loaded only by the commands that run it
  const { simulate } = await import("../sim/index.ts");
  let line = 0;
  for (const text of simulate({ events, seed, attackRate: 0.002 })) {
    line++;
    yield { event: JSON.parse(text) as Event, origin: { source: "<simulated>", line } };
  }
}
