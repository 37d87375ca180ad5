/** A Kubernetes node with the sensor: identity, cloud metadata, pid allocation and its JSON pieces. */
import type { CloudFlavor } from "./cloud.ts";
import { uuid } from "./ids.ts";
import { flat, jstr } from "./json.ts";
import type { SimPod } from "./pod.ts";
import type { SimProcess } from "./process.ts";
import type { Rng } from "./random.ts";

export interface HostDaemons {
  containerd: SimProcess;
  kubelet: SimProcess;
  sshd: SimProcess;
  cron: SimProcess;
}

export interface SimHost {
  readonly index: number;
  readonly name: string;
  readonly id: string;
  readonly bootId: string;
  readonly pidNsIno: number;
  readonly ip: string;
  /** second and third octet of the node's pod range, e.g. `10.4.<n>.x` */
  readonly podSubnet: string;
  /** `"agent":{…},"cloud":{…},` */
  readonly agentCloud: string;
  /** `"host":{…},` */
  readonly hostJson: string;
  /** `"orchestrator":{…},` for processes outside any pod */
  readonly clusterOrchestrator: string;
  nextPid: number;
  nextPodIp: number;
  readonly pods: SimPod[];
  /** pid 1; never reported (it started before the sensor) */
  init: SimProcess | undefined;
  daemons: HostDaemons | undefined;
}

export interface HostContext {
  cloud: CloudFlavor;
  clusterOrchestrator: string;
  agentVersion: string;
  /** second octet of the cluster's pod network */
  podOctet: number;
}

export function createHost(rng: Rng, index: number, context: HostContext): SimHost {
  const { cloud } = context;
  const ip = `10.${rng.between(0, 3) * 16}.${rng.between(0, 255)}.${rng.between(2, 250)}`;
  const name = cloud.nodeName(rng, index, ip);
  const zone = cloud.zones[index % cloud.zones.length];
  const mac = Array.from({ length: 6 }, () => rng.hex(2)).join(":");
  const agentId = uuid(rng);
  const id = rng.hex(32);
  const bootId = uuid(rng);
  const agentCloud =
    `"agent":{"id":"${agentId}","type":"cloud-defend","version":"${context.agentVersion}"},` +
    `"cloud":{${cloud.accountMembers},"availability_zone":"${zone}","instance":{"id":${jstr(cloud.instanceId(rng))}` +
    `,"name":${jstr(name)}},"machine":{"type":"${cloud.machineType}"},"provider":"${cloud.provider}"` +
    `,"region":"${cloud.region}"},`;
  const os = cloud.os;
  const hostJson =
    `"host":{"architecture":"amd64","boot":{"id":"${bootId}"},"hostname":${jstr(name)},"id":"${id}"` +
    `,"ip":["${ip}"],"mac":["${mac}"],"name":${jstr(name)},"os":{"family":"${os.family}","full":${jstr(os.full)}` +
    `,"kernel":${jstr(os.kernel)},"name":"Linux","platform":"${os.platform}","type":"linux"` +
    `,"version":${jstr(os.version)}},"pid_ns_ino":4026531836},`;
  return {
    index,
    name,
    id,
    bootId,
    pidNsIno: 4026531836,
    ip,
    podSubnet: `${context.podOctet}.${index}`,
    agentCloud: flat(agentCloud),
    hostJson: flat(hostJson),
    clusterOrchestrator: flat(context.clusterOrchestrator),
    nextPid: rng.between(380, 520),
    nextPodIp: 2,
    pods: [],
    init: undefined,
    daemons: undefined,
  };
}

/** The next pid: the kernel hands them out in order; threads and unobserved tasks use some too. */
export function allocatePid(host: SimHost, rng: Rng): number {
  host.nextPid += rng.chance(0.35) ? rng.between(2, 9) : 1;
  if (host.nextPid >= 4194304) host.nextPid = 300;
  return host.nextPid;
}
