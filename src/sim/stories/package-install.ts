/**
 * Installing tools into a running container (drift): `kubectl exec <pod> -- sh -c 'apt-get update &&
 * apt-get install -y nmap …'` (or `apk add`), with the package manager's helpers and new executables
 * under /usr/bin, then a scan of the cluster's service network.
 */
import { podsWithShell } from "../cluster.ts";
import type { SimProcess } from "../process.ts";
import { runtimeExec } from "../runtime.ts";
import type { Scene } from "../scene.ts";
import { type Story, target } from "../story.ts";

function apt(scene: Scene, sh: SimProcess): void {
  const rng = scene.rng;
  scene.run(sh, ["apt-get", "update"], { ms: rng.between(2000, 7000) }, (update) => {
    for (let i = 0; i < 2; i++)
      scene.run(update, ["/usr/lib/apt/methods/http"], { ms: rng.between(800, 4000) });
    scene.file(
      update,
      "creation",
      "/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4",
    );
  });
  const debs = [
    "/var/cache/apt/archives/nmap_7.93+dfsg1-1_amd64.deb",
    "/var/cache/apt/archives/netcat-openbsd_1.219-1_amd64.deb",
  ];
  scene.run(
    sh,
    ["apt-get", "install", "-y", "--no-install-recommends", "nmap", "netcat-openbsd"],
    { ms: rng.between(3000, 9000), key: true },
    (install) => {
      for (const deb of debs) scene.file(install, "creation", deb);
      scene.run(
        install,
        ["/usr/bin/dpkg", "--status-fd", "35", "--no-triggers", "--unpack", "--auto-deconfigure", ...debs],
        { ms: rng.between(500, 2000) },
        (dpkg) => {
          scene.file(dpkg, "creation", "/usr/bin/nmap");
          scene.key();
          scene.file(dpkg, "creation", "/usr/bin/nc.openbsd");
          scene.file(dpkg, "creation", "/var/lib/dpkg/info/nmap.list");
        },
      );
      scene.run(install, ["/usr/bin/dpkg", "--status-fd", "35", "--configure", "--pending"], {
        ms: rng.between(200, 900),
      });
    },
  );
}

function apk(scene: Scene, sh: SimProcess): void {
  scene.run(
    sh,
    ["apk", "add", "--no-cache", "nmap", "nmap-scripts"],
    { ms: scene.rng.between(2000, 6000), key: true },
    (add) => {
      scene.file(add, "creation", "/usr/bin/nmap");
      scene.key();
      scene.file(add, "creation", "/usr/share/nmap/nmap-services");
      scene.file(add, "modification", "/lib/apk/db/installed");
    },
  );
}

export const packageInstall: Story = {
  name: "package-install",
  description: "kubectl exec sh -c 'apt-get install nmap' (or apk add) in a running container, then a scan",
  nominalEvents: 24,
  play(scene, cluster, run) {
    const rng = scene.rng;
    const pods = podsWithShell(
      cluster,
      (pod) => pod.spec.packages !== undefined && pod.spec.role !== "build",
    );
    const container = rng.pick(pods).app;
    target(run, container);
    const debian = container.spec.packages === "apt";
    const install = debian
      ? "apt-get update && apt-get install -y --no-install-recommends nmap netcat-openbsd"
      : "apk add --no-cache nmap nmap-scripts";
    const scan = "nmap -sT -Pn -p 22,443,2379,6443,10250 10.96.0.0/24";
    // images whose USER is root: kubectl exec runs as root
    const sh = runtimeExec(scene, container, ["sh", "-c", `${install} && ${scan}`], { user: "0" });
    if (debian) apt(scene, sh);
    else apk(scene, sh);
    scene.run(sh, scan.split(" "), { ms: rng.between(5000, 20000) });
    scene.end(sh, 0);
  },
};
