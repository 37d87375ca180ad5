/**
 * Kubelet exec probes: every few seconds the kubelet asks the runtime to run a command in a
 * container (`runc exec`, no terminal). The command is a session and entry leader of type
 * `container`, not interactive: a constant stream of near misses for exec-into-container rules, and
 * a match for rules that only look for shells entering a container.
 */
import { podsWithRole } from "../cluster.ts";
import { runtimeExec } from "../runtime.ts";
import type { Workload } from "../workload.ts";

export const probeWorkload: Workload = {
  kind: "probe",
  description: "kubelet exec readiness/liveness probes (pg_isready, redis-cli ping, celery inspect ping)",
  share: 0.26,
  nominalEvents: 9,
  play(scene, cluster) {
    const rng = scene.rng;
    const pods = [
      ...podsWithRole(cluster, "postgres"),
      ...podsWithRole(cluster, "redis"),
      ...podsWithRole(cluster, "worker"),
    ].filter((pod) => pod.spec.probe);
    if (!pods.length) return;
    const pod = rng.pick(pods);
    const container = pod.app;
    const probe = runtimeExec(scene, container, pod.spec.probe ?? []);
    scene.wait(rng.between(1, 5));
    switch (pod.spec.role) {
      case "postgres": {
        // `sh -c "exec pg_isready …"`: the shell replaces itself
        scene.exec(probe, ["pg_isready", "-U", "shop", "-d", "dbname=shop", "-h", "127.0.0.1", "-p", "5432"]);
        scene.wait(rng.between(2, 8));
        const main = container.main;
        if (main) {
          const backend = scene.fork(main);
          scene.wait(rng.between(2, 10));
          scene.end(backend, 0);
        }
        break;
      }
      case "redis":
        scene.run(probe, ["redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping"], { ms: rng.between(2, 9) });
        break;
      default:
        scene.run(
          probe,
          [
            "/usr/local/bin/python3.12",
            "/usr/local/bin/celery",
            "-A",
            "worker.tasks",
            "inspect",
            "ping",
            "-d",
            `celery@${pod.name}`,
          ],
          { exe: "/usr/local/bin/celery", ms: rng.between(700, 2500) },
        );
    }
    scene.wait(rng.between(1, 4));
    scene.end(probe, 0);
  },
};
