import { statSync } from "node:fs";
import { basename } from "node:path";
import { filesUnder } from "./files-under.ts";

/** A named input that cannot be read as events, said before any is read. */
export class InputPathError extends Error {
  override name = "InputPathError";
}

/** What a directory's walk reads: JSON events, compressed or not (the content decides how). */
const EVENT_FILE = /\.(ndjson|jsonl|json)(\.(gz|zst))?$/i;

/**
 * The event files the inputs name: a directory stands for the event files under it (see
 * filesUnder) — a collected triage bundle, a day of shipped logs —; `-` (stdin) and files stand
 * for themselves, whatever their names. A directory without event files is an error rather than
 * an empty scan that would report nothing found.
 */
export function eventFilesOf(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    if (path === "-" || !statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
      files.push(path);
      continue;
    }
    const unreadable = (dir: string, error: NodeJS.ErrnoException) => {
      throw new InputPathError(`cannot read the directory ${dir}: ${error.message}`);
    };
    // a named pipe would hold the scan until something writes to it
    const special = (file: string, kind: string) => {
      if (EVENT_FILE.test(basename(file)))
        throw new InputPathError(
          `${file} is ${kind}, not a file: name it to read it, or move it out of ${path}`,
        );
    };
    const found = filesUnder(path, unreadable, special).filter((file) => EVENT_FILE.test(basename(file)));
    if (found.length === 0)
      throw new InputPathError(
        `${path} holds no event files (.ndjson, .jsonl or .json, optionally .gz or .zst)`,
      );
    files.push(...found);
  }
  return files;
}
