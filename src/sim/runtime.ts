/**
 * What the container runtime does on a node, as process events: containerd starts a shim per pod,
 * the shim starts the sandbox and the app container's entrypoint, and `runc exec` (kubelet exec
 * probes, `kubectl exec`) starts a new process inside a running container. Every process started
 * by the runtime calls setsid, so the sensor sees it as a session leader whose parent is a runtime
 * helper: its own entry leader, of type `container`.
 */
import type { SimContainer, SimPod } from "./pod.ts";
import type { SimProcess, Tty } from "./process.ts";
import type { Scene } from "./scene.ts";

const TASK_DIR = "/run/containerd/io.containerd.runtime.v2.task/k8s.io";

export function startPod(scene: Scene, pod: SimPod): void {
  const host = pod.host;
  const daemons = host.daemons;
  if (!daemons || !host.init) throw new Error(`node ${host.name} has not booted`);
  const shim = scene.spawn(daemons.containerd, [
    "/usr/bin/containerd-shim-runc-v2",
    "-namespace",
    "k8s.io",
    "-id",
    pod.sandbox.id,
    "-address",
    "/run/containerd/containerd.sock",
  ]);
  // the shim daemonises: its parent exits and init adopts it
  scene.reparent(shim, host.init);
  pod.shim = shim;
  startContainer(scene, pod.sandbox);
  pod.running = true;
}

export interface StartOptions {
  tty?: Tty;
  key?: boolean;
}

/** Starts a container's entrypoint (and the workers it forks) under the pod's shim. */
export function startContainer(scene: Scene, container: SimContainer, o: StartOptions = {}): SimProcess {
  const shim = container.pod.shim;
  if (!shim) throw new Error(`pod ${container.pod.name} has no shim`);
  const spec = container.spec;
  scene.wait(scene.rng.between(10, 120));
  const main = scene.spawn(shim, spec.argv, {
    exe: spec.executable,
    setsid: true,
    container,
    user: spec.user,
    cwd: spec.cwd,
    tty: o.tty,
    key: o.key,
  });
  container.main = main;
  for (let i = 0; i < spec.forks; i++) {
    scene.wait(scene.rng.between(2, 30));
    container.workers.push(scene.fork(main));
  }
  return main;
}

export function stopContainer(scene: Scene, container: SimContainer, exitCode = 0): void {
  for (const worker of container.workers) {
    if (!worker.ended) scene.end(worker, 0);
  }
  container.workers = [];
  if (container.main && !container.main.ended) scene.end(container.main, exitCode);
}

export function stopPod(scene: Scene, pod: SimPod, exitCode = 0): void {
  stopContainer(scene, pod.app, exitCode);
  scene.wait(scene.rng.between(50, 400));
  stopContainer(scene, pod.sandbox, 0);
  if (pod.shim && !pod.shim.ended) scene.end(pod.shim, 0);
  pod.running = false;
}

export interface RuntimeExecOptions {
  tty?: Tty;
  user?: string;
  cwd?: string;
  exe?: string;
  key?: boolean;
}

/**
 * `runc exec` into a running container: the pod's shim runs runc, runc starts the process inside
 * the container (new session; with a console socket when a terminal was asked for) and exits, and
 * the shim adopts the process. Returns the process.
 */
export function runtimeExec(
  scene: Scene,
  container: SimContainer,
  argv: readonly string[],
  o: RuntimeExecOptions = {},
): SimProcess {
  const shim = container.pod.shim;
  if (!shim) throw new Error(`pod ${container.pod.name} has no shim`);
  const rng = scene.rng;
  const execId = rng.hex(64);
  const runc = scene.spawn(shim, [
    "runc",
    "--root",
    "/run/containerd/runc/k8s.io",
    "--log",
    `${TASK_DIR}/${container.id}/log.json`,
    "--log-format",
    "json",
    "exec",
    "--process",
    `/tmp/runc-process${rng.between(100000000, 999999999)}`,
    ...(o.tty ? ["--console-socket", `/tmp/pty${rng.between(100000000, 999999999)}/pty.sock`] : []),
    "--detach",
    "--pid-file",
    `${TASK_DIR}/${container.id}/${execId}.pid`,
    container.id,
  ]);
  scene.wait(rng.between(3, 15));
  const proc = scene.spawn(runc, argv, {
    exe: o.exe,
    setsid: true,
    container,
    tty: o.tty,
    user: o.user ?? container.spec.user,
    cwd: o.cwd ?? container.spec.cwd,
    key: o.key,
  });
  scene.wait(rng.between(1, 6));
  scene.end(runc, 0);
  scene.reparent(proc, shim);
  return proc;
}

/** a pseudo-terminal inside the container (its own devpts instance numbers from 0) */
export function containerPts(scene: Scene): Tty {
  return { major: 136, minor: scene.rng.int(3) };
}
