import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

/**
 * A batch's directory for its runs, named for the process that owns it: `eqlite-spill-` then
 * the host, the process id and mkdtemp's six random characters. A process killed outright
 * (SIGKILL, the out-of-memory killer, a crash) cannot remove its runs, so the next batch that
 * spills under the same parent removes those of processes of this host that are gone.
 */
export function makeSpillDirectory(parent: string): string {
  const dir = mkdtempSync(join(parent, `${PREFIX}${thisHost()}-${process.pid}-`));
  removeAbandoned(parent);
  return dir;
}

const PREFIX = "eqlite-spill-";
/** host (any characters, up to the last two dashes), process id, mkdtemp's suffix */
const OWNED = /^eqlite-spill-(.+)-(\d+)-[^-]{6}$/;

/** The host part of a name: what a file name may hold of it. */
const thisHost = (): string => hostname().replace(/[^A-Za-z0-9.]/g, "_");

/**
 * Removes the runs of processes of this host that no longer exist and that were this user's.
 * Another host's directories (a parent shared over the network) and a live process's are kept,
 * and so is anything that cannot be read or removed: cleaning up never fails a batch.
 */
export function removeAbandoned(parent: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return removed;
  }
  const host = thisHost();
  for (const name of names) {
    const owner = OWNED.exec(name);
    if (!owner || owner[1] !== host) continue;
    const pid = Number(owner[2]);
    if (pid === process.pid || isRunning(pid)) continue;
    const path = join(parent, name);
    try {
      if (statSync(path).uid !== process.getuid?.()) continue;
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // someone else's, or gone already
    }
  }
  return removed;
}

/** Whether a process with this id exists (signal 0 checks without sending anything). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, as another user's process
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
