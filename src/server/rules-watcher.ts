import { type FSWatcher, statSync, watch } from "node:fs";
import { basename, dirname, resolve } from "node:path";

export interface RulesWatcher {
  close(): void;
}

/**
 * Calls `onChange` once the rule files have stopped changing for `debounceMs`: an
 * editor's save, a `git pull`, a `cp -r` of a whole pack each give one reload, not
 * dozens. Directories are watched recursively; a file is watched through its
 * directory (editors replace files by renaming, which ends a watch on the file
 * itself). A path that cannot be watched is reported and left to SIGHUP.
 */
export function watchRules(
  paths: readonly string[],
  debounceMs: number,
  onChange: () => void,
  onError: (path: string, error: Error) => void,
): RulesWatcher {
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  const changed = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      onChange();
    }, debounceMs);
    timer.unref();
  };
  for (const path of paths) {
    const full = resolve(path);
    try {
      const isDir = statSync(full).isDirectory();
      const target = isDir ? full : dirname(full);
      const name = basename(full);
      const watcher = watch(target, { recursive: isDir, persistent: false }, (_event, file) => {
        if (isDir || file === null || file === name) changed();
      });
      watcher.on("error", (error) => onError(path, error));
      watchers.push(watcher);
    } catch (error) {
      onError(path, error as Error);
    }
  }
  return {
    close() {
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
