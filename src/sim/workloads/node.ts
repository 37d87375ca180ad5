/**
 * Node-level activity: kube-proxy syncing iptables, fluent-bit opening new container logs, the
 * kubelet measuring volumes, host cron running logrotate, and now and then an administrator's ssh
 * session on the node (interactive, entry type sshd, no container).
 */

import type { SimHost } from "../host.ts";
import { uuid } from "../ids.ts";
import type { SimPod } from "../pod.ts";
import type { Scene } from "../scene.ts";
import type { Workload } from "../workload.ts";

function daemonPod(host: SimHost, app: string): SimPod | undefined {
  return host.pods.find((pod) => pod.spec.app === app && pod.running);
}

function kubeProxySync(scene: Scene, host: SimHost): void {
  const main = daemonPod(host, "kube-proxy")?.app.main;
  if (!main) return;
  const rng = scene.rng;
  scene.run(main, ["iptables-save", "-t", "nat"], { ms: rng.between(5, 40) });
  scene.run(main, ["iptables-restore", "-w", "5", "-W", "100000", "--noflush", "--counters"], {
    ms: rng.between(5, 60),
  });
  if (rng.chance(0.5)) {
    scene.run(main, ["ip6tables-save", "-t", "nat"], {
      exe: "/usr/sbin/ip6tables-save",
      ms: rng.between(3, 20),
    });
  }
}

function logShipperOpens(scene: Scene, host: SimHost): void {
  const main = daemonPod(host, "fluent-bit")?.app.main;
  if (!main) return;
  const pods = host.pods.filter((pod) => pod.running);
  for (let i = scene.rng.between(1, 3); i > 0; i--) {
    const pod = scene.rng.pick(pods);
    scene.file(
      main,
      "open",
      `/var/log/containers/${pod.name}_${pod.namespace}_${pod.spec.app}-${pod.app.id}.log`,
    );
    scene.think(30);
  }
}

function kubeletVolumeStats(scene: Scene, host: SimHost): void {
  const kubelet = host.daemons?.kubelet;
  if (!kubelet) return;
  const path = `/var/lib/kubelet/pods/${uuid(scene.rng)}/volumes/kubernetes.io~empty-dir/tmp`;
  const nice = scene.spawn(kubelet, ["nice", "-n", "19", "du", "-x", "-s", "-B", "1", path]);
  scene.wait(1);
  scene.exec(nice, ["du", "-x", "-s", "-B", "1", path]);
  scene.wait(scene.rng.between(5, 80));
  scene.end(nice, 0);
}

function hostCron(scene: Scene, host: SimHost): void {
  const cron = host.daemons?.cron;
  if (!cron) return;
  const rng = scene.rng;
  const child = scene.fork(cron);
  const sh = scene.spawn(
    child,
    ["/bin/sh", "-c", "test -x /usr/sbin/logrotate && /usr/sbin/logrotate /etc/logrotate.conf"],
    {
      setsid: true,
    },
  );
  scene.run(sh, ["test", "-x", "/usr/sbin/logrotate"], { ms: 1 });
  scene.run(sh, ["/usr/sbin/logrotate", "/etc/logrotate.conf"], { ms: rng.between(20, 200) }, (logrotate) => {
    scene.file(logrotate, "open", "/etc/logrotate.conf");
    scene.file(logrotate, "rename", "/var/log/syslog.1");
    scene.file(logrotate, "creation", "/var/log/syslog");
    scene.run(logrotate, ["/bin/gzip", "/var/log/syslog.2"], { ms: rng.between(20, 300) }, (gzip) =>
      scene.file(gzip, "creation", "/var/log/syslog.2.gz"),
    );
    scene.file(logrotate, "deletion", "/var/log/syslog.8.gz");
  });
  scene.end(sh, 0);
  scene.end(child, 0);
}

function adminSsh(scene: Scene, host: SimHost): void {
  const sshd = host.daemons?.sshd;
  if (!sshd) return;
  const rng = scene.rng;
  const connection = scene.fork(sshd);
  scene.wait(rng.between(50, 300));
  const session = scene.fork(connection);
  const shell = scene.spawn(session, ["-bash"], {
    exe: "/bin/bash",
    setsid: true,
    tty: { major: 136, minor: rng.int(4) },
    user: "1000",
    cwd: "/home/admin",
  });
  const commands = [
    ["sudo", "crictl", "ps"],
    ["journalctl", "-u", "kubelet", "--since", "10 min ago", "--no-pager"],
    ["systemctl", "status", "containerd"],
    ["df", "-h"],
    ["uptime"],
  ];
  for (const argv of rng.shuffle(commands).slice(0, rng.between(2, 4))) {
    scene.think(4000);
    scene.run(shell, argv, { newGroup: true, ms: rng.between(30, 600) }, (p) => {
      if (argv[0] === "sudo") scene.run(p, argv.slice(1), { user: "0", ms: rng.between(20, 200) });
    });
  }
  scene.think(2000);
  scene.end(shell, 0);
  scene.end(session, 0);
  scene.end(connection, 0);
}

export const nodeWorkload: Workload = {
  kind: "node",
  description:
    "kube-proxy iptables syncs, fluent-bit log opens, kubelet du, host logrotate, admin ssh sessions",
  share: 0.09,
  nominalEvents: 6,
  play(scene, cluster) {
    const rng = scene.rng;
    const host = rng.pick(cluster.hosts);
    const r = rng.float();
    if (r < 0.35) kubeProxySync(scene, host);
    else if (r < 0.6) logShipperOpens(scene, host);
    else if (r < 0.8) kubeletVolumeStats(scene, host);
    else if (r < 0.97) hostCron(scene, host);
    else adminSsh(scene, host);
  },
};
