import { type Dirent, readdirSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * The files under a directory, recursively and in name order (so runs and reports come out the
 * same every time), hidden directories and node_modules left out. Symbolic links are followed,
 * each directory walked once however many links lead to it, so a link to a parent cannot make
 * the walk endless; a link that leads nowhere is given as a file, for its reader to report. A
 * directory that cannot be read (no permission, a path too long) is passed to `unreadable` and the
 * walk goes on; without it, the error is thrown.
 */
export function filesUnder(
  dir: string,
  unreadable: (dir: string, error: NodeJS.ErrnoException) => void = (_, error) => {
    throw error;
  },
): string[] {
  const files: string[] = [];
  walk(dir, files, new Set(), unreadable);
  return files;
}

function walk(
  dir: string,
  files: string[],
  walked: Set<string>,
  unreadable: (dir: string, error: NodeJS.ErrnoException) => void,
): void {
  let entries: Dirent[];
  try {
    const real = realpathSync(dir);
    if (walked.has(real)) return;
    walked.add(real);
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    unreadable(dir, error as NodeJS.ErrnoException);
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (!(entry.isSymbolicLink() ? leadsToDirectory(path) : entry.isDirectory())) files.push(path);
    else if (!entry.name.startsWith(".") && entry.name !== "node_modules")
      walk(path, files, walked, unreadable);
  }
}

/** A link that leads nowhere, or round in a circle (ELOOP), is no directory. */
function leadsToDirectory(link: string): boolean {
  try {
    return statSync(link).isDirectory();
  } catch {
    return false;
  }
}
