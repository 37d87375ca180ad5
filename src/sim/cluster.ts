/** The simulated cluster: nodes, the pods placed on them, and lookups the workloads use. */
import { APPS, type AppSpec, DAEMONSETS, type Role } from "./apps.ts";
import { type CloudFlavor, chooseCloud } from "./cloud.ts";
import { createHost, type SimHost } from "./host.ts";
import { uuid } from "./ids.ts";
import { createPod, type SimPod } from "./pod.ts";
import type { Rng } from "./random.ts";

export interface Cluster {
  readonly name: string;
  readonly id: string;
  readonly cloud: CloudFlavor;
  /** `"cluster":{…}` inside `orchestrator` */
  readonly clusterMembers: string;
  readonly hosts: readonly SimHost[];
  /** the long-lived pods placed at start */
  readonly pods: readonly SimPod[];
  readonly policyId: string;
  readonly policyRevision: number;
}

const CLUSTER_NAMES = ["prod-eu-1", "prod-us-2", "shop-prod", "platform-prod", "prod-west"];

export function createCluster(rng: Rng, hostCount: number): Cluster {
  const name = rng.pick(CLUSTER_NAMES);
  const id = uuid(rng);
  const cloud = chooseCloud(rng, name);
  const clusterMembers = `"cluster":{"id":"${id}","name":"${name}"}`;
  const context = {
    cloud,
    clusterOrchestrator: `"orchestrator":{${clusterMembers}},`,
    agentVersion: rng.pick(["8.19.3", "9.3.1"]),
    podOctet: rng.between(1, 15) * 16,
  };
  const hosts = Array.from({ length: hostCount }, (_, i) => createHost(rng, i, context));
  const pods: SimPod[] = [];
  const place = (host: SimHost, spec: AppSpec, podName: string, hash: string) => {
    const pod = createPod(rng, { host, spec, name: podName, hash, clusterMembers });
    host.pods.push(pod);
    pods.push(pod);
  };
  for (const spec of DAEMONSETS) {
    const hash = rng.alnum(10);
    for (const host of hosts) place(host, spec, `${spec.app}-${rng.alnum(5)}`, hash);
  }
  let cursor = rng.int(hostCount);
  for (const spec of APPS) {
    const count = Math.max(spec.min, Math.round(spec.perHost * hostCount));
    const hash = rng.alnum(10);
    for (let i = 0; i < count; i++) {
      const host = hosts[cursor++ % hostCount];
      const podName =
        spec.controller === "StatefulSet" ? `${spec.app}-${i}` : `${spec.app}-${hash}-${rng.alnum(5)}`;
      place(host, spec, podName, hash);
    }
  }
  return {
    name,
    id,
    cloud,
    clusterMembers,
    hosts,
    pods,
    policyId: uuid(rng),
    policyRevision: rng.between(2, 9),
  };
}

/** running long-lived pods with the given role */
export function podsWithRole(cluster: Cluster, role: Role): SimPod[] {
  return cluster.pods.filter((pod) => pod.running && pod.spec.role === role);
}

/** running long-lived pods whose image has a shell (an attacker or an admin can exec into them) */
export function podsWithShell(cluster: Cluster, filter: (pod: SimPod) => boolean = () => true): SimPod[] {
  return cluster.pods.filter((pod) => pod.running && pod.spec.shell !== undefined && filter(pod));
}

/** a pod that is not part of the initial placement: a CronJob run, a debug pod, an attacker's pod */
export function transientPod(
  rng: Rng,
  cluster: Cluster,
  host: SimHost,
  spec: AppSpec,
  podName: string,
): SimPod {
  return createPod(rng, {
    host,
    spec,
    name: podName,
    hash: rng.alnum(10),
    clusterMembers: cluster.clusterMembers,
  });
}
