/**
 * A scene writes one episode of activity (a health probe, a CI job, an attack): it forks, execs and
 * ends processes and touches files at its own clock, producing events that the simulation merges
 * in time order with every other scene's.
 */
import type { IsoClock } from "./clock.ts";
import { assignEntryLeader } from "./entry-leader.ts";
import { allocatePid } from "./host.ts";
import { jarr, jstr } from "./json.ts";
import type { SimContainer } from "./pod.ts";
import { basename, forkOf, refresh, type SimProcess, setImageJson, type Tty } from "./process.ts";
import { resolveCommand } from "./programs.ts";
import type { Rng } from "./random.ts";
import type { FileAction, Renderer } from "./render.ts";
import type { StoryRun } from "./truth.ts";

export interface PendingEvent {
  t: number;
  seq: number;
  line: string;
  id: string;
  /** index of the workload kind or story that produced it */
  kind: number;
  story: StoryRun | undefined;
  /** one of the events a detection of the story should find */
  key: boolean;
  file: boolean;
}

export interface SceneSink {
  readonly rng: Rng;
  readonly renderer: Renderer;
  readonly clock: IsoClock;
  /** share of fork+exec pairs the sensor reports as one "squished" document */
  readonly squishRate: number;
  /** multiplies every wait, so that short runs still hold whole episodes */
  readonly timeScale: number;
  push(event: PendingEvent): void;
}

export interface ExecOptions {
  /** the executable path when it is not argv[0] resolved on PATH */
  exe?: string;
  /** the process calls setsid(): it leads a new session and process group (and loses its tty) */
  setsid?: boolean;
  /** the controlling terminal it has after exec (set after setsid) */
  tty?: Tty;
  /** it joins a container's namespaces and cgroup before exec */
  container?: SimContainer;
  /** a shell with job control puts each command in a process group of its own */
  newGroup?: boolean;
  /** a later member of a pipeline joins the process group of its first member */
  joinGroup?: SimProcess;
  user?: string;
  cwd?: string;
  /** mark the exec event as a key event of the scene's story */
  key?: boolean;
}

export interface RunOptions extends ExecOptions {
  /** how long the process runs, milliseconds (before time scaling) */
  ms?: number;
  exitCode?: number;
}

export class Scene {
  t: number;
  private last: PendingEvent | undefined;

  constructor(
    private readonly sink: SceneSink,
    start: number,
    readonly kind: number,
    readonly story?: StoryRun,
  ) {
    this.t = Math.round(start);
  }

  get rng(): Rng {
    return this.sink.rng;
  }

  wait(ms: number): void {
    this.t += Math.max(1, Math.round(ms * this.sink.timeScale));
  }

  /** an exponentially distributed pause, e.g. a person thinking between commands */
  think(meanMs: number): void {
    this.wait(this.rng.exp(meanMs));
  }

  /** marks the last event as one a detection of this scene's story should find */
  key(): void {
    if (this.last) this.last.key = true;
  }

  private emit(line: string, file: boolean): void {
    const event: PendingEvent = {
      t: this.t,
      seq: 0,
      line,
      id: this.sink.renderer.lastId,
      kind: this.kind,
      story: this.story,
      key: false,
      file,
    };
    this.sink.push(event);
    this.last = event;
    this.t += 1 + this.rng.int(3);
  }

  private forkQuiet(parent: SimProcess): SimProcess {
    const pid = allocatePid(parent.host, this.rng);
    return forkOf(parent, pid, this.t, this.sink.clock.format(this.t));
  }

  fork(parent: SimProcess): SimProcess {
    const child = this.forkQuiet(parent);
    this.emit(this.sink.renderer.processEvent(child, "fork", this.t), false);
    return child;
  }

  private applyExec(p: SimProcess, argv: readonly string[], o: ExecOptions): void {
    p.previous = {
      executable: p.executable,
      args: p.args,
      json: `{"args":${jarr(p.args)},"executable":${jstr(p.executable)}}`,
    };
    p.executable = o.exe ?? resolveCommand(argv[0]);
    p.name = basename(p.executable);
    p.args = argv;
    setImageJson(p);
    if (o.cwd) p.cwd = o.cwd;
    if (o.user) {
      p.userId = o.user;
      p.groupId = o.user;
    }
    if (o.container) p.container = o.container;
    if (o.setsid) {
      p.sessionLeader = p;
      p.groupLeader = p;
      p.tty = undefined;
    } else if (o.joinGroup) {
      p.groupLeader = o.joinGroup;
    } else if (o.newGroup) {
      p.groupLeader = p;
    }
    if (o.tty) p.tty = o.tty;
    assignEntryLeader(p);
    refresh(p);
  }

  exec(p: SimProcess, argv: readonly string[], o: ExecOptions = {}): void {
    this.applyExec(p, argv, o);
    this.emit(this.sink.renderer.processEvent(p, "exec", this.t), false);
    if (o.key) this.key();
  }

  /** fork + exec, reported as two events or, sometimes, as one squished fork+exec document */
  spawn(parent: SimProcess, argv: readonly string[], o: ExecOptions = {}): SimProcess {
    if (this.rng.chance(this.sink.squishRate)) {
      const child = this.forkQuiet(parent);
      this.applyExec(child, argv, o);
      this.emit(this.sink.renderer.processEvent(child, "fork-exec", this.t), false);
      if (o.key) this.key();
      return child;
    }
    const child = this.fork(parent);
    this.exec(child, argv, o);
    return child;
  }

  end(p: SimProcess, exitCode = 0): void {
    p.ended = true;
    this.emit(this.sink.renderer.processEvent(p, "end", this.t, exitCode), false);
  }

  file(p: SimProcess, action: FileAction | "chmod", path: string): void {
    this.emit(this.sink.renderer.fileEvent(p, action, path, this.t), true);
  }

  /** spawn, let `body` act as the new process, then end it */
  run(
    parent: SimProcess,
    argv: readonly string[],
    o: RunOptions = {},
    body?: (p: SimProcess) => void,
  ): SimProcess {
    const child = this.spawn(parent, argv, o);
    this.wait(o.ms ?? this.rng.between(2, 40));
    body?.(child);
    this.end(child, o.exitCode ?? 0);
    return child;
  }

  /** changes a process's parent (the orphan is adopted by a subreaper or init) */
  reparent(p: SimProcess, parent: SimProcess): void {
    p.parent = parent;
    refresh(p);
  }
}
