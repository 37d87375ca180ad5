/** Shared by the simulate tests: runs a simulation and keeps each event parsed, with its metadata. */
import {
  createSimulation,
  type Simulation,
  type SimulationOptions,
  type TruthRecord,
} from "../../src/sim/index.ts";

export type Json = Record<string, unknown>;

export interface Generated {
  sim: Simulation;
  lines: string[];
  /** the lines parsed (on first use) */
  readonly events: Json[];
  /** whether each event is a file event */
  files: boolean[];
  /** kind name (workload, story or "boot") of each event */
  kinds: string[];
  /** story name of each event, or undefined for background */
  stories: (string | undefined)[];
  truth: TruthRecord[];
}

const cache = new Map<string, Generated>();

export function generate(options: SimulationOptions): Generated {
  const key = JSON.stringify(options);
  const hit = cache.get(key);
  if (hit) return hit;
  const sim = createSimulation(options);
  const lines: string[] = [];
  const files: boolean[] = [];
  const kinds: string[] = [];
  const stories: (string | undefined)[] = [];
  for (let e = sim.next(); e; e = sim.next()) {
    lines.push(e.line);
    files.push(e.file);
    kinds.push(sim.kindNames[e.kind]);
    stories.push(e.story?.story);
  }
  let parsed: Json[] | undefined;
  const generated: Generated = {
    sim,
    lines,
    get events() {
      parsed ??= lines.map((line) => JSON.parse(line));
      return parsed;
    },
    files,
    kinds,
    stories,
    truth: sim.truth(),
  };
  cache.set(key, generated);
  return generated;
}

/** a dotted field of a parsed event (nested objects only, as the generator writes them) */
export function get(event: Json, path: string): unknown {
  let value: unknown = event;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Json)[part];
  }
  return value;
}

/** the seed rule 420e5bb4 as created in 2023 (shared/seed/interactive_exec_container.toml) */
export const SEED_2023 =
  'process where container.id : "*" and event.type== "start" and process.entry_leader.entry_meta.type : "container" and ' +
  "process.entry_leader.same_as_process== true and process.interactive == true";

/** the same rule as of 2026-07 (shared/seed/interactive_exec_container.2026-07.toml) */
export const SEED_2026 =
  'process where host.os.type == "linux" and event.type == "start" and event.action == "exec" and ' +
  'process.name in ("bash", "dash", "sh", "tcsh", "csh", "zsh", "ksh", "fish", "busybox") and ' +
  'process.entry_leader.entry_meta.type == "container" and process.entry_leader.same_as_process == true and container.id like "*"';
