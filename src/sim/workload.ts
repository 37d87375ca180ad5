/** A kind of background activity and how one episode of it plays out. */
import type { Cluster } from "./cluster.ts";
import type { WorkloadKind } from "./defaults.ts";
import type { Scene } from "./scene.ts";

export type { WorkloadKind };

export interface Workload {
  kind: WorkloadKind;
  description: string;
  /** default share of the background events */
  share: number;
  /** events per episode before any was measured */
  nominalEvents: number;
  play(scene: Scene, cluster: Cluster): void;
}
