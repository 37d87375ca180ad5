/** An injected attack story: how it plays out, and where (recorded in its ground truth). */
import type { Cluster } from "./cluster.ts";
import type { StoryName } from "./defaults.ts";
import type { SimContainer } from "./pod.ts";
import type { Scene } from "./scene.ts";
import type { StoryRun } from "./truth.ts";

export type { StoryName };

export interface Story {
  name: StoryName;
  description: string;
  /** events per instance, roughly; sets how many instances an attack rate asks for */
  nominalEvents: number;
  play(scene: Scene, cluster: Cluster, run: StoryRun): void;
}

/** records where the story happens */
export function target(run: StoryRun, container: SimContainer): void {
  run.host = container.pod.host.name;
  run.containerId = container.id;
  run.pod = `${container.pod.namespace}/${container.pod.name}`;
}
