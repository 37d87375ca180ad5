/**
 * What the command line needs of the simulation before running one: its defaults and the
 * names of its stories and workloads. Kept apart so that parsing options, and every other
 * command, does not load the generator itself.
 */

export const SIMULATION_DEFAULTS = {
  seed: 1,
  events: 10000,
  hosts: 6,
  attackRate: 0.001,
  start: "2026-09-01T08:00:00.000Z",
  eventsPerHostPerSecond: 50,
  squishRate: 0.05,
} as const;

/** In the order the stories are defined (stories/index.ts) */
export const STORY_NAMES = [
  "interactive-exec",
  "noninteractive-exec",
  "reverse-shell",
  "sa-token-theft",
  "package-install",
  "host-escape",
] as const;

export type StoryName = (typeof STORY_NAMES)[number];

/** In the order the workloads are defined (workloads/index.ts) */
export const WORKLOAD_KINDS = [
  "probe",
  "web",
  "worker",
  "database",
  "cron",
  "build",
  "node",
  "debug",
] as const;

export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];
