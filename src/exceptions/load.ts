/**
 * Reading exception files, whatever their format: Kibana NDJSON exports
 * (`kibana-export.ts`) and eqlite's plain TOML format (`plain-format.ts`). A
 * file that cannot be read is reported and the other files still load.
 */
import { extname } from "node:path";
import { loadKibanaExport } from "./kibana-export.ts";
import { emptyExceptions, type LoadedExceptions, type LoadOptions, mergeExceptions } from "./loaded.ts";
import { loadPlainExceptions } from "./plain-format.ts";
import { readTextFile } from "./value-lists.ts";

export { loadKibanaExport } from "./kibana-export.ts";
export {
  emptyExceptions,
  type LoadedExceptions,
  type LoadOptions,
  mergeExceptions,
} from "./loaded.ts";
export { loadPlainExceptions } from "./plain-format.ts";

const MiB = 1024 * 1024;
export const DEFAULT_MAX_EXCEPTION_FILE_BYTES = 64 * MiB;

/** Several files, in order, into one set. */
export async function loadExceptionFiles(
  paths: readonly string[],
  options: LoadOptions = {},
): Promise<LoadedExceptions> {
  const all = emptyExceptions();
  for (const path of paths) mergeExceptions(all, await loadExceptionFile(path, options));
  return all;
}

/**
 * One file: `.toml` is the plain format, `.ndjson`/`.jsonl`/`.json` a Kibana
 * export (optionally `.gz`/`.zst`); otherwise the content decides (an export
 * starts with `{`).
 */
export async function loadExceptionFile(path: string, options: LoadOptions = {}): Promise<LoadedExceptions> {
  const read = await readTextFile(
    path,
    options.maxBytes ?? DEFAULT_MAX_EXCEPTION_FILE_BYTES,
    "exception file",
  );
  if ("error" in read) {
    const loaded = emptyExceptions();
    loaded.diagnostics.push({ severity: "error", file: path, message: read.error });
    return loaded;
  }
  const ext = extname(path.replace(/\.(gz|zst)$/i, "")).toLowerCase();
  const isToml =
    ext === ".toml" || (![".ndjson", ".jsonl", ".json"].includes(ext) && !/^\s*\{/.test(read.text));
  return isToml ? loadPlainExceptions(read.text, path, options) : loadKibanaExport(read.text, path, options);
}
