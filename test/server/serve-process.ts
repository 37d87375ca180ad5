import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

const entry = fileURLToPath(new URL("../../src/cli/entry.ts", import.meta.url));

/** `eqlite serve` as a user runs it: a child process on a free port, logs collected. */
export class ServeProcess {
  stderr = "";
  stdout = "";
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
  ) {}

  /** Starts the CLI and resolves once it listens (replay, if any, is done by then). */
  static async start(args: string[], env: Record<string, string> = {}): Promise<ServeProcess> {
    const child = spawn(process.execPath, ["--import", "tsx", entry, "serve", "--port", "0", ...args], {
      env: { ...process.env, EQLITE_LOG_LEVEL: "info", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let stdout = "";
    child.stdout!.on("data", (d) => {
      stdout += d;
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not listen in time:\n${stderr}`)), 30_000);
      child.stderr!.on("data", (d) => {
        stderr += d;
        const m = /"url":"(http:\/\/[^"]+)","rules"/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`serve exited with ${code}:\n${stderr}`));
      });
    });
    const serve = new ServeProcess(child, url);
    serve.stderr = stderr;
    serve.stdout = stdout;
    child.stderr!.on("data", (d) => {
      serve.stderr += d;
    });
    child.stdout!.on("data", (d) => {
      serve.stdout += d;
    });
    return serve;
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
