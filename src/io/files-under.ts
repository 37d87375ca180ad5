import { readdirSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * The files under a directory, recursively and in name order (so runs and reports come out the
 * same every time), hidden directories and node_modules left out. Symbolic links are followed,
 * each directory walked once however many links lead to it, so a link to a parent cannot make
 * the walk endless; a link that leads nowhere is given as a file, for its reader to report.
 */
export function filesUnder(dir: string): string[] {
  const files: string[] = [];
  walk(dir, files, new Set([realpathSync(dir)]));
  return files;
}

function walk(dir: string, files: string[], walked: Set<string>): void {
  const entries = readdirSync(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const isDirectory = entry.isSymbolicLink()
      ? statSync(path, { throwIfNoEntry: false })?.isDirectory() === true
      : entry.isDirectory();
    if (!isDirectory) {
      files.push(path);
      continue;
    }
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const real = realpathSync(path);
    if (walked.has(real)) continue;
    walked.add(real);
    walk(path, files, walked);
  }
}
