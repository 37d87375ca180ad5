import { mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

/**
 * `mkdir -p`. Node's own `mkdirSync(path, { recursive: true })` loops forever where the parent
 * exists but refuses to hold a directory (under /proc, mkdir answers ENOENT, which Node takes as
 * a missing parent, again and again); a data directory set there by mistake hung `serve` at
 * start. Here each missing level is made once, and the first refusal is thrown.
 */
export function makeDirectory(path: string): void {
  const missing: string[] = [];
  for (let dir = resolve(path); ; ) {
    try {
      if (statSync(dir).isDirectory()) break;
      // a file in the way: mkdir says so (EEXIST on the path itself, ENOTDIR under it)
      missing.push(dir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    missing.push(dir);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (error) {
      // made meanwhile by another process: as good as made here
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || !statSync(dir).isDirectory()) throw error;
    }
  }
}
