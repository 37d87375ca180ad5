/** Pods and their containers: ids, images, labels, and the `container` / `orchestrator` JSON pieces. */
import type { AppSpec } from "./apps.ts";
import type { SimHost } from "./host.ts";
import { containerId } from "./ids.ts";
import { flat, jarr, jstr } from "./json.ts";
import type { SimProcess } from "./process.ts";
import type { Rng } from "./random.ts";

/** where Kubernetes mounts a pod's service-account token */
export const SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

export interface SimContainer {
  readonly id: string;
  readonly pod: SimPod;
  readonly spec: AppSpec;
  /** `"container":{…},` */
  readonly json: string;
  main: SimProcess | undefined;
  /** long-lived children of the main process (nginx workers, gunicorn workers, postgres helpers) */
  workers: SimProcess[];
}

export interface SimPod {
  readonly name: string;
  readonly namespace: string;
  readonly host: SimHost;
  readonly ip: string;
  readonly spec: AppSpec;
  /** `"orchestrator":{…},` */
  readonly orchestratorJson: string;
  /** the pod sandbox (`pause`) */
  sandbox: SimContainer;
  /** the application container */
  app: SimContainer;
  /** the pod's containerd-shim-runc-v2 once the pod has started */
  shim: SimProcess | undefined;
  running: boolean;
}

const PAUSE: AppSpec = {
  app: "pause",
  namespace: "",
  controller: "ReplicaSet",
  image: "registry.k8s.io/pause",
  tag: "3.9",
  argv: ["/pause"],
  executable: "/pause",
  user: "65535",
  cwd: "/",
  forks: 0,
  role: "sandbox",
  perHost: 0,
  min: 0,
};

export function labelsOf(spec: AppSpec, podName: string, hash: string): string[] {
  switch (spec.controller) {
    case "StatefulSet":
      return [`app:${spec.app}`, `statefulset.kubernetes.io/pod-name:${podName}`];
    case "DaemonSet":
      return [`k8s-app:${spec.app}`, `controller-revision-hash:${hash}`];
    case "none":
      return [`run:${spec.app}`];
    case "Job":
      return [
        `app:${spec.app}`,
        `batch.kubernetes.io/job-name:${podName.slice(0, podName.lastIndexOf("-"))}`,
      ];
    default:
      return [`app:${spec.app}`, `pod-template-hash:${hash}`];
  }
}

export interface PodInit {
  host: SimHost;
  spec: AppSpec;
  name: string;
  /** the controller revision / pod template hash */
  hash: string;
  /** `"cluster":{…}` */
  clusterMembers: string;
}

export function createPod(rng: Rng, init: PodInit): SimPod {
  const { host, spec, name } = init;
  const ip = `10.${host.podSubnet}.${host.nextPodIp++ % 250}`;
  const annotations =
    spec.role === "web" || spec.role === "worker"
      ? ["prometheus.io/scrape:true", "prometheus.io/port:9102"]
      : [`kubernetes.io/config.seen:${rng.pick(["2026-08-30", "2026-08-31"])}`];
  const parent = spec.controller === "none" ? "" : `,"parent":{"type":"${spec.controller}"}`;
  const orchestratorJson =
    `"orchestrator":{${init.clusterMembers},"namespace":${jstr(spec.namespace)},"resource":{"annotation":${jarr(annotations)}` +
    `,"ip":"${ip}","label":${jarr(labelsOf(spec, name, init.hash))},"name":${jstr(name)}${parent}` +
    `,"type":"pod"}},`;
  const pod = {
    name,
    namespace: spec.namespace,
    host,
    ip,
    spec,
    orchestratorJson: flat(orchestratorJson),
    shim: undefined,
    running: false,
  } as unknown as SimPod;
  pod.sandbox = createContainer(rng, pod, PAUSE);
  pod.app = createContainer(rng, pod, spec);
  return pod;
}

function createContainer(rng: Rng, pod: SimPod, spec: AppSpec): SimContainer {
  const id = containerId(rng);
  return {
    id,
    pod,
    spec,
    json: flat(`"container":{"id":"${id}","image":{"name":${jstr(spec.image)},"tag":[${jstr(spec.tag)}]}},`),
    main: undefined,
    workers: [],
  };
}
