import { type BigIntStats, readFileSync, statSync } from "node:fs";
import type { LoadedExceptions } from "../exceptions/loaded.ts";
import { readFileAtMost } from "../io/read-file-at-most.ts";
import type { CompileOptions } from "./compile-rule.ts";
import type { Diagnostic } from "./diagnostic.ts";
import { isToml, LoadBuilder, type LoadingFile } from "./load-builder.ts";
import type { LoadedRule, RejectedRule } from "./loaded-rule.ts";
import type { ExportSummary } from "./ndjson-loader.ts";
import type { RuleCache } from "./rule-cache.ts";
import { findRuleFiles } from "./walk-paths.ts";

export interface LoadOptions extends CompileOptions {
  /** largest rule file read; default 64 MiB (a rule is a few kilobytes, an export a few megabytes) */
  maxFileBytes?: number;
  /**
   * What earlier runs got from the same TOML rule files (see rule-cache.ts): a file found
   * there is not read again. The caller saves it.
   */
  cache?: RuleCache;
}

const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;

export interface LoadResult {
  /** rules that loaded, in file order; `eql` ones carry their compiled `query` unless it has errors */
  rules: LoadedRule[];
  /** rule documents whose shape was wrong: diagnosed, counted, not loaded */
  rejected: RejectedRule[];
  /** exception lists and items exported with the rules, ready for `attachExceptions` */
  exceptions: LoadedExceptions;
  exportSummaries: ExportSummary[];
  diagnostics: Diagnostic[];
  /** the rule files read */
  files: string[];
  /** files met while walking directories that are not rule files */
  skipped: string[];
}

/**
 * Loads every rule under the given files and directories: TOML rules, Kibana NDJSON exports
 * (with their exception lists) and JSON rules. A problem in one file never stops the others:
 * it becomes a diagnostic, and `validate` decides what it means.
 */
export async function loadRules(paths: readonly string[], options: LoadOptions = {}): Promise<LoadResult> {
  const found = await findRuleFiles(paths);
  const builder = new LoadBuilder(options);
  builder.diagnostics.push(...found.diagnostics);
  const read: Array<{ file: string; stat: BigIntStats; load: LoadingFile }> = [];
  for (const file of found.files) {
    let bytes: Buffer;
    let stat: BigIntStats;
    try {
      const limit = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
      stat = found.named.get(file) ?? statSync(file, { bigint: true });
      const size = Number(stat.size);
      if (size > limit) {
        const message = `the file is ${size} bytes, more than the ${limit} bytes a rule file may have; skipped`;
        builder.addUnreadable(file, message);
        continue;
      }
      const cached = isToml(file) ? options.cache?.get(file, stat) : undefined;
      if (cached) {
        builder.addCached(cached, file);
        continue;
      }
      // rule files are small and many: a synchronous read is ten times faster than fs/promises here
      const whole = stat.isFile() ? readFileSync(file) : readFileAtMost(file, limit);
      if (whole === undefined) {
        builder.addUnreadable(
          file,
          `not a regular file, and more than the ${limit} bytes a rule file may have; skipped`,
        );
        continue;
      }
      bytes = whole;
    } catch (error) {
      builder.addUnreadable(file, (error as Error).message);
      continue;
    }
    read.push({ file, stat, load: builder.addFile(bytes.toString("utf8"), file, { onDisk: true, bytes }) });
  }
  if (read.length > 0) {
    // the rule schemas (zod and the checks: a sixth of a second to load) are loaded only when a
    // file is not in the rule cache
    builder.settle((await import("./rule-document.ts")).acceptRuleDocument);
  }
  for (const { file, stat, load } of read) {
    if (load.cached && isToml(file)) options.cache?.put(file, stat, load.cached);
  }
  return builder.finish(found.files, found.skipped);
}
