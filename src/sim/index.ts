/** `eqlite simulate`: cloud_defend-shaped telemetry with injected attack stories and ground truth. */

export type { PendingEvent as SimulatedEvent } from "./scene.ts";
export {
  createSimulation,
  SIMULATION_DEFAULTS,
  Simulation,
  type SimulationOptions,
  type SimulationStats,
  simulate,
} from "./simulation.ts";
export { STORIES, STORY_NAMES } from "./stories/index.ts";
export type { StoryName } from "./story.ts";
export type { TruthRecord } from "./truth.ts";
export type { WorkloadKind } from "./workload.ts";
export { WORKLOAD_KINDS, WORKLOADS } from "./workloads/index.ts";
