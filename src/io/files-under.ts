import { type Dirent, readdirSync, realpathSync, type Stats, statSync } from "node:fs";
import { join } from "node:path";

type Unreadable = (dir: string, error: NodeJS.ErrnoException) => void;

const rethrow: Unreadable = (_, error) => {
  throw error;
};

/**
 * Told of what a walk meets that is neither a file nor a directory (a named pipe, a socket, a
 * device), which it leaves out: opening a named pipe waits for a writer, so a reader would hang.
 * Named on the command line, such a path is read as the user asked (`<(zcat …)` is a pipe).
 */
type Special = (path: string, kind: string) => void;

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
  unreadable: Unreadable = rethrow,
  special: Special = () => {},
): string[] {
  const walk: Walk = { files: [], walked: new Set(), linked: [], unreadable, special };
  visit(dir, walk);
  return walk.files;
}

/**
 * The real paths of the directories that `filesUnder(dir)` enters through a symbolic link and that
 * lie outside `dir` itself: a watch on `dir` does not see into them (the rules watcher adds its own).
 * Unreadable directories are passed over.
 */
export function linkedDirectoriesUnder(dir: string): string[] {
  const walk: Walk = { files: [], walked: new Set(), linked: [], unreadable: () => {}, special: () => {} };
  visit(dir, walk);
  let root: string;
  try {
    root = realpathSync(dir);
  } catch {
    return [];
  }
  return walk.linked.filter((real) => !isInside(real, root));
}

interface Walk {
  files: string[];
  walked: Set<string>;
  /** real paths of the directories reached through a link */
  linked: string[];
  unreadable: Unreadable;
  special: Special;
}

function visit(dir: string, walk: Walk, throughLink = false): void {
  let entries: Dirent[];
  try {
    const real = realpathSync(dir);
    if (walk.walked.has(real)) return;
    walk.walked.add(real);
    if (throughLink) walk.linked.push(real);
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    walk.unreadable(dir, error as NodeJS.ErrnoException);
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const link = entry.isSymbolicLink();
    const kind = link ? specialKind(path) : specialKindOf(entry);
    if (kind !== undefined) walk.special(path, kind);
    else if (!(link ? leadsToDirectory(path) : entry.isDirectory())) walk.files.push(path);
    else if (!entry.name.startsWith(".") && entry.name !== "node_modules") visit(path, walk, link);
  }
}

function isInside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith("/") ? root : `${root}/`);
}

/** A link that leads nowhere, or round in a circle (ELOOP), is no directory. */
function leadsToDirectory(link: string): boolean {
  try {
    return statSync(link).isDirectory();
  } catch {
    return false;
  }
}

/** What a directory entry is when it is neither a file nor a directory (nor a link). */
function specialKindOf(entry: Dirent | Stats): string | undefined {
  if (entry.isFIFO()) return "a named pipe";
  if (entry.isSocket()) return "a socket";
  if (entry.isCharacterDevice() || entry.isBlockDevice()) return "a device";
  return undefined;
}

/** What a link leads to when that is neither a file nor a directory; a broken or circular link is left to its reader. */
function specialKind(link: string): string | undefined {
  try {
    return specialKindOf(statSync(link));
  } catch {
    return undefined;
  }
}
