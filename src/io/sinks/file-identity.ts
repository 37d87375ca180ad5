import { fstatSync, statSync } from "node:fs";

/**
 * Whether `path` still names the file open as `fd`. A file removed by hand, or moved away
 * (logrotate without copytruncate, an operator's `mv`), takes writes without an error: they
 * go to a file nobody will read, and the sink must notice by looking, not by failing.
 */
export function stillNamed(path: string, fd: number): boolean {
  const named = statSync(path, { throwIfNoEntry: false });
  if (!named) return false;
  const open = fstatSync(fd);
  return named.ino === open.ino && named.dev === open.dev;
}
