import { readdir, rename, unlink } from "node:fs/promises";
import { basename, dirname } from "node:path";
import type { AlertDocument } from "../../engine/alert.ts";
import { makeDirectory } from "../make-directory.ts";
import { formatNdjson } from "./alert-formats.ts";
import type { AlertSink } from "./alert-sink.ts";
import { stillNamed } from "./file-identity.ts";
import { LineFile, type OpenFile } from "./line-file.ts";

export interface RotatingFileOptions {
  /** the file written to; rotated copies are `<path>.1` (the newest) … `<path>.<keep>` */
  path: string;
  /** start a new file before a write would take the current one past this size (default 100 MiB) */
  maxBytes?: number;
  /** start a new file once the current one is this old (default: never by age) */
  maxAgeMs?: number;
  /** rotated files kept besides the current one (default 5); older ones, and any numbered past it, are deleted */
  keep?: number;
  /** fdatasync after each write, so a written alert survives a power cut (default true) */
  sync?: boolean;
  name?: string;
  /** the clock, in milliseconds (tests set it) */
  now?: () => number;
  /** opens the file (tests give one that fails as a full disk does) */
  openFile?: OpenFile;
}

const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;
const DEFAULT_KEEP = 5;

/**
 * Alerts as NDJSON files rotated by size and age, logrotate-style: the current
 * file keeps its name, rotated ones are numbered from the newest. A write never
 * splits across files: a batch larger than `maxBytes` gets a file of its own.
 * Writes are applied one after another in the order they were made.
 */
export class RotatingFileSink implements AlertSink {
  readonly name: string;
  rotations = 0;
  private readonly path: string;
  private readonly maxBytes: number;
  private readonly maxAgeMs: number | undefined;
  private readonly keep: number;
  private readonly sync: boolean;
  private readonly now: () => number;
  private readonly openFile: OpenFile | undefined;
  private file: LineFile | null = null;
  private openedAt = 0;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(options: RotatingFileOptions) {
    this.path = options.path;
    this.name = options.name ?? `file:${options.path}`;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.maxAgeMs = options.maxAgeMs;
    this.keep = options.keep ?? DEFAULT_KEEP;
    this.sync = options.sync ?? true;
    this.now = options.now ?? Date.now;
    this.openFile = options.openFile;
    if (!(this.maxBytes > 0)) throw new RangeError(`maxBytes must be positive, not ${this.maxBytes}`);
    if (!Number.isSafeInteger(this.keep) || this.keep < 0)
      throw new RangeError(`keep must be a whole number of files, not ${this.keep}`);
  }

  write(alerts: readonly AlertDocument[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.name} is closed`));
    if (alerts.length === 0) return Promise.resolve();
    let text = "";
    for (const alert of alerts) text += formatNdjson(alert);
    const run = this.chain.then(() => this.append(Buffer.from(text, "utf8")));
    this.chain = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
    await this.file?.close();
    this.file = null;
  }

  private async append(bytes: Buffer): Promise<void> {
    if (this.file && !stillNamed(this.path, this.file.fd)) {
      // removed or moved away by hand: writing on would lose the alerts without an error
      await this.file.close();
      this.file = null;
    }
    if (!this.file) await this.openCurrent();
    const tooOld = this.maxAgeMs !== undefined && this.now() - this.openedAt >= this.maxAgeMs;
    const size = this.file!.bytes;
    if (size > 0 && (size + bytes.length > this.maxBytes || tooOld)) await this.rotate();
    try {
      await this.file!.append(bytes, this.sync);
    } catch (error) {
      throw new Error(`${this.name}: could not write ${bytes.length} bytes: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  private async openCurrent(): Promise<void> {
    makeDirectory(dirname(this.path));
    this.file = await LineFile.open(this.path, this.openFile);
    const stat = await this.file.handle.stat();
    // After a restart the file's age counts from its creation, or it would never be rotated by age.
    this.openedAt =
      stat.size > 0 && stat.birthtimeMs > 0 ? Math.min(stat.birthtimeMs, this.now()) : this.now();
  }

  private async rotate(): Promise<void> {
    await this.file!.close();
    this.file = null;
    // the copies there are, not every number up to keep: a keep of 100,000 is 100,000 renames
    // otherwise; and the copies past keep that a larger keep left, numbered on from it without
    // a gap (a hand-made `alerts.ndjson.20261130` beside them is not one of ours)
    const copies = new Set(await rotatedCopies(this.path));
    let past = Math.max(this.keep, 1);
    while (copies.has(past)) await removeIfPresent(`${this.path}.${past++}`);
    const kept = [...copies].filter((n) => n < this.keep).sort((a, b) => b - a);
    for (const n of kept) await renameIfPresent(`${this.path}.${n}`, `${this.path}.${n + 1}`);
    if (this.keep > 0) await rename(this.path, `${this.path}.1`);
    else await removeIfPresent(this.path);
    this.rotations++;
    await this.openCurrent();
    this.openedAt = this.now();
  }
}

/** The numbers of `path`'s rotated copies (`path.1`, `path.2`, …) in its directory. */
async function rotatedCopies(path: string): Promise<number[]> {
  const prefix = `${basename(path)}.`;
  const numbers: number[] = [];
  for (const name of await readdir(dirname(path))) {
    if (!name.startsWith(prefix)) continue;
    const suffix = name.slice(prefix.length);
    if (/^[1-9][0-9]{0,8}$/.test(suffix)) numbers.push(Number(suffix));
  }
  return numbers;
}

async function removeIfPresent(path: string): Promise<void> {
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
}

async function renameIfPresent(from: string, to: string): Promise<void> {
  await rename(from, to).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
}
