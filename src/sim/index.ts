/** `eqlite simulate`: cloud_defend-shaped telemetry with injected attack stories and ground truth. */

export {
  SIMULATION_DEFAULTS,
  STORY_NAMES,
  type StoryName,
  WORKLOAD_KINDS,
  type WorkloadKind,
} from "./defaults.ts";
export type { PendingEvent as SimulatedEvent } from "./scene.ts";
export {
  createSimulation,
  Simulation,
  type SimulationOptions,
  type SimulationStats,
  simulate,
} from "./simulation.ts";
export { STORIES } from "./stories/index.ts";
export type { TruthRecord } from "./truth.ts";
export { WORKLOADS } from "./workloads/index.ts";
