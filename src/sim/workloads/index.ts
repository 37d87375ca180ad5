import type { Workload } from "../workload.ts";
import { buildWorkload } from "./build.ts";
import { cronWorkload } from "./cron.ts";
import { databaseWorkload } from "./database.ts";
import { debugWorkload } from "./debug.ts";
import { nodeWorkload } from "./node.ts";
import { probeWorkload } from "./probe.ts";
import { webWorkload } from "./web.ts";
import { workerWorkload } from "./worker.ts";

export const WORKLOADS: readonly Workload[] = [
  probeWorkload,
  webWorkload,
  workerWorkload,
  databaseWorkload,
  cronWorkload,
  buildWorkload,
  nodeWorkload,
  debugWorkload,
];
