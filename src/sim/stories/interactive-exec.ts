/**
 * `kubectl exec -it <pod> -- bash`: runc starts a shell in the running container with a new
 * session and a pseudo-terminal, so the shell is its own entry leader (type container) and
 * interactive. The person then looks around, one command (one process group) at a time.
 */
import { podsWithShell } from "../cluster.ts";
import { containerPts, runtimeExec } from "../runtime.ts";
import { type Story, target } from "../story.ts";

const LOOK_AROUND: readonly (readonly string[])[] = [
  ["id"],
  ["whoami"],
  ["uname", "-a"],
  ["hostname"],
  ["cat", "/etc/os-release"],
  ["ls", "-la", "/"],
  ["ps", "aux"],
  ["env"],
  ["mount"],
  ["df", "-h"],
  ["cat", "/etc/passwd"],
];

export const interactiveExec: Story = {
  name: "interactive-exec",
  description: "kubectl exec -it into a running pod: an interactive shell as the container's entry leader",
  nominalEvents: 22,
  play(scene, cluster, run) {
    const rng = scene.rng;
    const pods = podsWithShell(cluster, (pod) => pod.spec.role !== "build");
    const container = rng.pick(pods).app;
    target(run, container);
    const shellName = container.spec.shell === "bash" ? "bash" : "sh";
    const shell = runtimeExec(scene, container, [shellName], {
      exe: `/bin/${shellName}`,
      tty: containerPts(scene),
      key: true,
    });
    for (const argv of rng.shuffle(LOOK_AROUND).slice(0, rng.between(3, 6))) {
      scene.think(5000);
      scene.run(shell, argv, { newGroup: true, ms: rng.between(2, 60) }, (p) => {
        if (argv[0] === "cat") scene.file(p, "open", argv[1]);
      });
    }
    if (rng.chance(0.6)) {
      // `cat /etc/shadow | grep root`: one process group led by cat
      scene.think(5000);
      const cat = scene.spawn(shell, ["cat", "/etc/shadow"], { newGroup: true });
      const grep = scene.spawn(shell, ["grep", "root"], { joinGroup: cat });
      scene.file(cat, "open", "/etc/shadow");
      scene.wait(rng.between(1, 5));
      scene.end(cat, 0);
      scene.end(grep, 0);
    }
    scene.think(4000);
    scene.end(shell, 0);
  },
};
