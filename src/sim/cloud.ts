/** Cloud providers and the node names, OS images and account fields each one gives its nodes. */
import { uuid } from "./ids.ts";
import type { Rng } from "./random.ts";

export interface NodeOs {
  family: string;
  full: string;
  kernel: string;
  platform: string;
  version: string;
}

export interface CloudFlavor {
  provider: "aws" | "gcp" | "azure";
  region: string;
  zones: readonly string[];
  /** the members of `cloud` that name the account or project, e.g. `"account":{...}` */
  accountMembers: string;
  machineType: string;
  os: NodeOs;
  nodeName(rng: Rng, index: number, ip: string): string;
  instanceId(rng: Rng): string;
}

export function chooseCloud(rng: Rng, clusterName: string): CloudFlavor {
  const provider = rng.pick(["aws", "gcp", "azure"] as const);
  if (provider === "gcp") {
    const region = rng.pick(["us-central1", "europe-west1", "europe-west4"]);
    const project = `acme-${clusterName}-${rng.between(100000, 999999)}`;
    const pool = rng.hex(8);
    return {
      provider,
      region,
      zones: ["b", "c", "d"].map((z) => `${region}-${z}`),
      accountMembers: `"project":{"id":"${project}","name":"${project}"}`,
      machineType: rng.pick(["e2-standard-4", "n2-standard-8"]),
      os: {
        family: "cos",
        full: "Container-Optimized OS from Google",
        kernel: "6.1.100+",
        platform: "cos",
        version: "113",
      },
      nodeName: (r) => `gke-${clusterName}-default-pool-${pool}-${r.alnum(4)}`,
      instanceId: (r) => String(r.between(1000000000, 9999999999)) + String(r.between(100000000, 999999999)),
    };
  }
  if (provider === "aws") {
    const region = rng.pick(["eu-west-1", "us-east-1", "us-west-2"]);
    const account = String(rng.between(100000, 999999)) + String(rng.between(100000, 999999));
    return {
      provider,
      region,
      zones: ["a", "b", "c"].map((z) => `${region}${z}`),
      accountMembers: `"account":{"id":"${account}","name":"acme-${clusterName}"}`,
      machineType: rng.pick(["m6i.xlarge", "m7i.2xlarge"]),
      os: {
        family: "amzn",
        full: "Amazon Linux 2023.5.20240916",
        kernel: "6.1.109-118.189.amzn2023.x86_64",
        platform: "amzn",
        version: "2023.5.20240916",
      },
      nodeName: (_r, _i, ip) => `ip-${ip.replaceAll(".", "-")}.${region}.compute.internal`,
      instanceId: (r) => `i-0${r.hex(16)}`,
    };
  }
  const region = rng.pick(["westeurope", "eastus2"]);
  const vmss = rng.between(10000000, 99999999);
  return {
    provider,
    region,
    zones: ["1", "2", "3"].map((z) => `${region}-${z}`),
    accountMembers: `"account":{"id":"${uuid(rng)}"}`,
    machineType: rng.pick(["Standard_D4s_v5", "Standard_D8s_v5"]),
    os: {
      family: "ubuntu",
      full: "Ubuntu 22.04.4 LTS",
      kernel: "5.15.0-1071-azure",
      platform: "ubuntu",
      version: "22.04.4 LTS (Jammy Jellyfish)",
    },
    nodeName: (_r, index) => `aks-nodepool1-${vmss}-vmss${index.toString(36).padStart(6, "0")}`,
    instanceId: (r) => `/subscriptions/${uuid(r)}/virtualMachineScaleSets/aks-nodepool1-${vmss}-vmss`,
  };
}
