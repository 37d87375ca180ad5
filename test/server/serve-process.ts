import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

const entry = fileURLToPath(new URL("../../src/cli/entry.ts", import.meta.url));

/** `eqlite serve` as a user runs it: a child process on a free port, logs collected. */
export class ServeProcess {
  stderr = "";
  stdout = "";
  /** `http://127.0.0.1:PORT` once it listens */
  url = "";
  private constructor(readonly child: ChildProcess) {
    child.stdout!.on("data", (d) => {
      this.stdout += d;
    });
    child.stderr!.on("data", (d) => {
      this.stderr += d;
    });
  }

  /**
   * Starts the CLI and resolves once it listens (replay, if any, is done by then). A start that
   * fails is killed: the caller never got it to stop, and a child left running keeps the test
   * file's process, and the whole run, from ever ending.
   */
  static async start(args: string[], env: Record<string, string> = {}): Promise<ServeProcess> {
    const serve = ServeProcess.spawn(args, env);
    try {
      const [url] = await serve.waitFor(/"url":"(http:\/\/[^"]+)","rules"/);
      serve.url = url;
      return serve;
    } catch (error) {
      await serve.stop("SIGKILL");
      throw error;
    }
  }

  /** Starts the CLI without waiting for anything: `waitFor` what its log says. */
  static spawn(args: string[], env: Record<string, string> = {}): ServeProcess {
    const child = spawn(process.execPath, ["--import", "tsx", entry, "serve", "--port", "0", ...args], {
      env: { ...process.env, EQLITE_LOG_LEVEL: "info", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    return new ServeProcess(child);
  }

  /**
   * Resolves with the pattern's groups once stderr matches it; rejects if the process exits
   * first, or after `timeoutMs`: generous, as a start on a loaded machine takes tens of seconds
   * (a restart after a crash was seen at more than 30 s from spawn to listening).
   */
  waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<string[]> {
    const stderr = this.child.stderr!;
    return new Promise((resolve, reject) => {
      const look = () => {
        const m = pattern.exec(this.stderr);
        if (!m) return false;
        done();
        resolve(m.slice(1));
        return true;
      };
      // "close", not "exit": by then all it wrote has been read
      const exited = () => {
        if (look()) return;
        done();
        reject(
          new Error(
            `serve exited with ${this.child.exitCode ?? this.child.signalCode}:\n${this.stderr}\n(waiting for ${pattern})`,
          ),
        );
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`serve did not log ${pattern} in ${timeoutMs} ms:\n${this.stderr}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        stderr.off("data", onData);
        this.child.off("close", exited);
      };
      // after the listener that collects stderr, which was added first
      const onData = () => void look();
      if (look()) return;
      if (this.child.stderr!.closed) return exited();
      stderr.on("data", onData);
      this.child.once("close", exited);
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends the signal and waits for the exit; resolves with the exit code (null when killed). */
  async stop(signal: NodeJS.Signals): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    const exited = once(this.child, "exit");
    this.child.kill(signal);
    const [code] = (await exited) as [number | null];
    return code;
  }
}
