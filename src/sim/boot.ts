/**
 * The start of the window: each node comes up (its daemons start under init) and the runtime
 * starts the pods placed on it. Every long-lived process the workloads later use as a parent is
 * reported here, so each parent appears in an earlier event on the same host (init excepted: it
 * started before the sensor).
 */
import type { SimHost } from "./host.ts";
import { createProcess, refresh } from "./process.ts";
import { startContainer, startPod } from "./runtime.ts";
import type { Scene } from "./scene.ts";

export function bootHost(scene: Scene, host: SimHost): void {
  const rng = scene.rng;
  const bootMs = scene.t - rng.between(15000, 40000);
  const init = createProcess({
    host,
    pid: 1,
    startMs: bootMs,
    startIso: new Date(bootMs).toISOString(),
    executable: "/usr/lib/systemd/systemd",
    args: ["/sbin/init"],
    cwd: "/",
    userId: "0",
  });
  init.sessionLeader = init;
  init.groupLeader = init;
  refresh(init);
  host.init = init;
  const daemon = (argv: string[]) => {
    scene.wait(rng.between(5, 60));
    return scene.spawn(init, argv, { setsid: true });
  };
  const containerd = daemon(["/usr/bin/containerd"]);
  const kubelet = daemon([
    "/usr/bin/kubelet",
    "--config=/var/lib/kubelet/config.yaml",
    "--kubeconfig=/var/lib/kubelet/kubeconfig",
    "--container-runtime-endpoint=unix:///run/containerd/containerd.sock",
    `--node-ip=${host.ip}`,
  ]);
  const sshd = daemon(["/usr/sbin/sshd", "-D"]);
  const cron = daemon(["/usr/sbin/cron", "-f"]);
  host.daemons = { containerd, kubelet, sshd, cron };
  for (const pod of host.pods) {
    scene.wait(rng.between(5, 60));
    startPod(scene, pod);
    startContainer(scene, pod.app);
  }
}
