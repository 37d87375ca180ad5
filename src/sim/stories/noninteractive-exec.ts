/**
 * `kubectl exec <pod> -- sh -c '…'` without -it: a shell enters the container as its entry leader
 * but has no terminal, so it is not interactive. Its commands run in the shell's process group.
 */
import { podsWithShell } from "../cluster.ts";
import { runtimeExec } from "../runtime.ts";
import { type Story, target } from "../story.ts";

export const noninteractiveExec: Story = {
  name: "noninteractive-exec",
  description: "kubectl exec without a terminal: sh -c running discovery and secret hunting commands",
  nominalEvents: 12,
  play(scene, cluster, run) {
    const rng = scene.rng;
    const container = rng.pick(podsWithShell(cluster, (pod) => pod.spec.role !== "build")).app;
    target(run, container);
    const bash = container.spec.shell === "bash";
    const variant = rng.int(3);
    if (variant === 0) {
      const sh = runtimeExec(scene, container, ["sh", "-c", "env; ls -la /app; cat /etc/passwd"], {
        key: true,
      });
      scene.run(sh, ["env"], { ms: 2 });
      scene.run(sh, ["ls", "-la", "/app"], { ms: 3 });
      scene.run(sh, ["cat", "/etc/passwd"], { ms: 2 }, (cat) => scene.file(cat, "open", "/etc/passwd"));
      scene.end(sh, 0);
    } else if (variant === 1) {
      const shell = bash ? "bash" : "sh";
      const sh = runtimeExec(scene, container, [shell, "-c", "printenv | grep -iE 'pass|secret|token|key'"], {
        exe: `/bin/${shell}`,
        key: true,
      });
      const printenv = scene.spawn(sh, ["printenv"]);
      const grep = scene.spawn(sh, ["grep", "-iE", "pass|secret|token|key"]);
      scene.wait(rng.between(1, 4));
      scene.end(printenv, 0);
      scene.end(grep, 0);
      scene.end(sh, 0);
    } else {
      const sh = runtimeExec(scene, container, ["sh", "-c", "cat /proc/1/environ | tr '\\0' '\\n'"], {
        key: true,
      });
      const cat = scene.spawn(sh, ["cat", "/proc/1/environ"]);
      const tr = scene.spawn(sh, ["tr", "\\0", "\\n"]);
      scene.file(cat, "open", "/proc/1/environ");
      scene.end(cat, 0);
      scene.end(tr, 0);
      scene.end(sh, 0);
    }
  },
};
