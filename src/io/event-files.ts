import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** A named input that cannot be read as events, said before any is read. */
export class InputPathError extends Error {
  override name = "InputPathError";
}

/** What a directory's walk reads: JSON events, compressed or not (the content decides how). */
const EVENT_FILE = /\.(ndjson|jsonl|json)(\.(gz|zst))?$/i;

/**
 * The event files the inputs name: a directory stands for the event files under it — a collected
 * triage bundle, a day of shipped logs —, walked recursively in name order with hidden directories
 * left out; `-` (stdin) and files stand for themselves, whatever their names. A directory without
 * event files is an error rather than an empty scan that would report nothing found.
 */
export function eventFilesOf(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    if (path === "-" || !statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
      files.push(path);
      continue;
    }
    const before = files.length;
    walk(path, files);
    if (files.length === before)
      throw new InputPathError(
        `${path} holds no event files (.ndjson, .jsonl or .json, optionally .gz or .zst)`,
      );
  }
  return files;
}

function walk(dir: string, files: string[]): void {
  const entries = readdirSync(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    // symbolic links are not followed: a link to a parent would walk for ever
    if (entry.isDirectory()) {
      if (!entry.name.startsWith(".")) walk(path, files);
    } else if (entry.isFile() && EVENT_FILE.test(entry.name)) files.push(path);
  }
}
