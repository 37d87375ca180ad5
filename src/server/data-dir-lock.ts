import { join } from "node:path";
import Database from "better-sqlite3";
import { ServeError } from "./service.ts";

/**
 * One process per data directory. Two `serve` processes on the same directory each repair
 * and append to the write-ahead log from the size they last saw, writing over each other's
 * acknowledged records, and each delivers the other's alerts to the webhooks again.
 *
 * The lock is an exclusive SQLite lock on `DIR/eqlite.lock`, held until `release` or the
 * process's end: SQLite's locks are the operating system's (fcntl), which the kernel drops
 * when the process dies, also by `kill -9`, so a crash never leaves a stale lock behind and
 * a restarted container whose new process has the old one's pid is not refused.
 */
export interface DataDirLock {
  readonly path: string;
  release(): void;
}

export const LOCK_FILE = "eqlite.lock";

export function lockDataDir(dataDir: string): DataDirLock {
  const path = join(dataDir, LOCK_FILE);
  let db: Database.Database;
  try {
    db = new Database(path, { timeout: 0 });
  } catch (error) {
    throw new ServeError(`cannot lock the data directory: ${path}: ${(error as Error).message}`);
  }
  try {
    db.pragma("journal_mode = MEMORY");
    // in exclusive locking mode, the lock a write transaction takes is kept after it ends
    db.pragma("locking_mode = EXCLUSIVE");
    db.exec("BEGIN EXCLUSIVE; COMMIT");
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === "SQLITE_BUSY")
      throw new ServeError(
        `another eqlite process is using the data directory ${dataDir} (${path} is locked): ` +
          "two would write over each other's write-ahead log; stop the other one or use another --data-dir",
      );
    throw new ServeError(`cannot lock the data directory: ${path}: ${(error as Error).message}`);
  }
  return { path, release: () => db.close() };
}
