import { type FSWatcher, statSync, watch } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { linkedDirectoriesUnder } from "../io/files-under.ts";

export interface RulesWatcher {
  close(): void;
}

/**
 * Calls `onChange` once the rule files have stopped changing for `debounceMs`: an
 * editor's save, a `git pull`, a `cp -r` of a whole pack each give one reload, not
 * dozens. Directories are watched recursively; a file is watched through its
 * directory (editors replace files by renaming, which ends a watch on the file
 * itself). A path that cannot be watched is reported and left to SIGHUP.
 *
 * Loading follows symbolic links, and a recursive watch does not (it sees a linked
 * directory's own entries, not what is below them), so each directory reached through a
 * link is watched as well, and the links are looked for again after every change.
 */
export function watchRules(
  paths: readonly string[],
  debounceMs: number,
  onChange: () => void,
  onError: (path: string, error: Error) => void,
): RulesWatcher {
  const watchers: FSWatcher[] = [];
  const linkWatchers = new Map<string, FSWatcher>();
  const directories: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const changed = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (closed) return;
      followLinks();
      onChange();
    }, debounceMs);
    timer.unref();
  };
  const watchPath = (path: string, target: string, recursive: boolean, name?: string) => {
    try {
      const watcher = watch(target, { recursive, persistent: false }, (_event, file) => {
        if (name === undefined || file === null || file === name) changed();
      });
      watcher.on("error", (error) => onError(path, error));
      return watcher;
    } catch (error) {
      onError(path, error as Error);
      return undefined;
    }
  };
  const followLinks = () => {
    const linked = new Set(directories.flatMap(linkedDirectoriesUnder));
    for (const [real, watcher] of linkWatchers) {
      if (linked.has(real)) continue;
      watcher.close();
      linkWatchers.delete(real);
    }
    for (const real of linked) {
      if (linkWatchers.has(real)) continue;
      const watcher = watchPath(real, real, true);
      if (watcher) linkWatchers.set(real, watcher);
    }
  };
  for (const path of paths) {
    const full = resolve(path);
    let isDir: boolean;
    try {
      isDir = statSync(full).isDirectory();
    } catch (error) {
      onError(path, error as Error);
      continue;
    }
    if (isDir) directories.push(full);
    const watcher = isDir
      ? watchPath(path, full, true)
      : watchPath(path, dirname(full), false, basename(full));
    if (watcher) watchers.push(watcher);
  }
  followLinks();
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
      for (const w of linkWatchers.values()) w.close();
    },
  };
}
