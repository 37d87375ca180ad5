/**
 * The chaos run's workers: `eqlite worker` children (the tests' WorkerProcess) that faults kill,
 * stop, pause and replace. It keeps every process it ever started, for the log review and the
 * final kill, and samples each one's resident memory once a second. A worker that ends without
 * being told to is started again 2 s later under its name, as systemd's `Restart=always` does
 * (docs/scale-out.md), and its end is told to `onUnasked`.
 */
import { readFileSync } from "node:fs";
import { WorkerProcess } from "../../test/nats/worker-harness.ts";

export interface MemoryPeak {
  worker: string;
  pid: number;
  /** resident set size, MiB: the first sample after start, the highest, the last */
  firstMiB: number;
  peakMiB: number;
  lastMiB: number;
}

export class Fleet {
  /** every process started, in order */
  readonly all: WorkerProcess[] = [];
  readonly paused = new Set<WorkerProcess>();
  private readonly memory = new Map<WorkerProcess, MemoryPeak>();
  /** workers a fault or the end of the run stopped: their end was asked for */
  private readonly asked = new Set<WorkerProcess>();
  private names = 0;
  private closing = false;
  private readonly sampler: NodeJS.Timeout;

  constructor(
    private readonly args: string[],
    private readonly onUnasked: (worker: WorkerProcess, code: number | null) => void,
  ) {
    this.sampler = setInterval(() => this.sampleMemory(), 1_000);
  }

  /** A new worker; `name` reuses a name (a restart under the same `--id`), else a fresh one. */
  start(name = `w${++this.names}`): WorkerProcess {
    const worker = WorkerProcess.spawn(name, this.args);
    this.all.push(worker);
    void worker.exited.then(async (code) => {
      if (this.asked.has(worker) || this.closing) return;
      this.onUnasked(worker, code);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      if (!this.closing) this.start(name);
    });
    return worker;
  }

  /** Says that this worker's end is the run's doing (SIGKILL, SIGTERM), before it is sent. */
  ending(worker: WorkerProcess): void {
    this.asked.add(worker);
  }

  /**
   * Workers running, not paused, not already told to end, and far enough into their start to
   * have a log (before it, Node's defaults answer signals): what a fault may pick.
   */
  get live(): WorkerProcess[] {
    return this.all.filter(
      (w) => w.running && !this.paused.has(w) && !this.asked.has(w) && w.lines.length > 0,
    );
  }

  get running(): WorkerProcess[] {
    return this.all.filter((w) => w.running);
  }

  memoryPeaks(): MemoryPeak[] {
    return [...this.memory.values()];
  }

  async killAll(): Promise<void> {
    this.closing = true;
    clearInterval(this.sampler);
    await Promise.all(this.all.map((w) => w.kill()));
  }

  private sampleMemory(): void {
    for (const worker of this.running) {
      const pid = worker.child.pid;
      if (pid === undefined || this.paused.has(worker)) continue;
      const mib = residentMiB(pid);
      if (mib === undefined) continue;
      const peak = this.memory.get(worker);
      if (!peak)
        this.memory.set(worker, { worker: worker.name, pid, firstMiB: mib, peakMiB: mib, lastMiB: mib });
      else {
        peak.peakMiB = Math.max(peak.peakMiB, mib);
        peak.lastMiB = mib;
      }
    }
  }
}

function residentMiB(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kb === undefined ? undefined : Math.round(Number(kb) / 1024);
  } catch {
    return undefined;
  }
}
