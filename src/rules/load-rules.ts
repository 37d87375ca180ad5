import { readFileSync, statSync } from "node:fs";
import { extname } from "node:path";
import { emptyExceptions, type LoadedExceptions, mergeExceptions } from "../exceptions/loaded.ts";
import { type CompileOptions, compileRule } from "./compile-rule.ts";
import type { Diagnostic } from "./diagnostic.ts";
import type { LoadedRule, RejectedRule, RuleLocator } from "./loaded-rule.ts";
import { type ExportSummary, type JsonLoad, loadJsonRules, loadKibanaExport } from "./ndjson-loader.ts";
import { acceptRuleDocument, type RuleDocument } from "./rule-document.ts";
import type { EqlRule } from "./rule-model.ts";
import { checkDuplicateRuleIds, checkExceptionReferences } from "./rule-references.ts";
import { checkThreatNames } from "./threat-catalog.ts";
import { loadTomlRule } from "./toml-loader.ts";
import { findRuleFiles } from "./walk-paths.ts";

export interface LoadOptions extends CompileOptions {
  /** largest rule file read; default 64 MiB (a rule is a few kilobytes, an export a few megabytes) */
  maxFileBytes?: number;
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
  for (const file of found.files) {
    let text: string;
    try {
      const limit = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
      const size = statSync(file).size;
      if (size > limit) {
        const message = `the file is ${size} bytes, more than the ${limit} bytes a rule file may have; skipped`;
        builder.diagnostics.push({ file, line: 1, column: 1, severity: "error", code: "io", message });
        continue;
      }
      // rule files are small and many: a synchronous read is ten times faster than fs/promises here
      text = readFileSync(file, "utf8");
    } catch (error) {
      builder.diagnostics.push({
        file,
        line: 1,
        column: 1,
        severity: "error",
        code: "io",
        message: (error as Error).message,
      });
      continue;
    }
    builder.addFile(text, file);
  }
  return builder.finish(found.files, found.skipped);
}

/** Loads rules from text already in memory (an upload, a test), as if read from `file`. */
export function loadRuleText(text: string, file: string, options: LoadOptions = {}): LoadResult {
  const builder = new LoadBuilder(options);
  builder.addFile(text, file);
  return builder.finish([file], []);
}

/** The format a file is read as, from its extension; TOML unless it says JSON. */
function loaderFor(
  file: string,
): (text: string, file: string) => Pick<JsonLoad, "documents" | "diagnostics" | "exceptions" | "summary"> {
  const ext = extname(file).toLowerCase();
  if (ext === ".ndjson" || ext === ".jsonl") return loadKibanaExport;
  if (ext === ".json") return loadJsonRules;
  return loadTomlRule;
}

class LoadBuilder {
  readonly diagnostics: Diagnostic[] = [];
  private readonly rules: Array<{ loaded: LoadedRule; locator: RuleLocator }> = [];
  private readonly rejected: RejectedRule[] = [];
  private readonly exceptions = emptyExceptions();
  private readonly summaries: ExportSummary[] = [];

  constructor(private readonly options: LoadOptions) {}

  addFile(text: string, file: string): void {
    try {
      this.addText(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, file);
    } catch (error) {
      // a bug met on one file must not take the other files (or a running service) down with it
      const message = `internal error while loading this file: ${(error as Error).stack ?? error}`;
      this.diagnostics.push({ file, line: 1, column: 1, severity: "error", code: "internal", message });
    }
  }

  /** `text` without its byte-order mark (editors on Windows write one). */
  private addText(text: string, file: string): void {
    const load = loaderFor(file)(text, file);
    this.diagnostics.push(...load.diagnostics);
    if (load.exceptions) mergeExceptions(this.exceptions, load.exceptions);
    if (load.summary) this.summaries.push(load.summary);
    for (const doc of load.documents) this.addDocument(doc);
  }

  private addDocument(doc: RuleDocument): void {
    const outcome = acceptRuleDocument(doc, this.diagnostics);
    if (outcome.rejected) {
      this.rejected.push(outcome.rejected);
      return;
    }
    const loaded = outcome.loaded;
    if (loaded.rule.type === "eql") {
      loaded.query = compileRule(
        loaded as LoadedRule & { rule: EqlRule },
        doc.locator,
        this.diagnostics,
        this.options,
      );
    }
    this.rules.push({ loaded, locator: doc.locator });
  }

  finish(files: string[], skipped: string[]): LoadResult {
    checkDuplicateRuleIds(this.rules, this.diagnostics);
    checkThreatNames(this.rules, this.diagnostics);
    checkExceptionReferences(this.rules, this.exceptions, this.diagnostics);
    return {
      rules: this.rules.map((r) => r.loaded),
      rejected: this.rejected,
      exceptions: this.exceptions,
      exportSummaries: this.summaries,
      diagnostics: this.diagnostics,
      files,
      skipped,
    };
  }
}
