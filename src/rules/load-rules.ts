import { type BigIntStats, readFileSync, statSync } from "node:fs";
import { extname } from "node:path";
import { emptyExceptions, type LoadedExceptions, mergeExceptions } from "../exceptions/loaded.ts";
import { type CompileOptions, compileRule } from "./compile-rule.ts";
import type { Diagnostic } from "./diagnostic.ts";
import type { LoadedRule, RejectedRule, RuleLocator } from "./loaded-rule.ts";
import { type ExportSummary, type JsonLoad, loadJsonRules, loadKibanaExport } from "./ndjson-loader.ts";
import type { CachedDocument, CachedFile, RuleCache } from "./rule-cache.ts";
import { acceptRuleDocument, type RuleDocument } from "./rule-document.ts";
import type { EqlRule } from "./rule-model.ts";
import { checkDuplicateRuleIds, checkExceptionReferences } from "./rule-references.ts";
import { restoredQuery, savedQuery } from "./saved-query.ts";
import { checkThreatNames } from "./threat-catalog.ts";
import { loadTomlRule } from "./toml-loader.ts";
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
  for (const file of found.files) {
    let text: string;
    let stat: BigIntStats;
    try {
      const limit = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
      stat = statSync(file, { bigint: true });
      const size = Number(stat.size);
      if (size > limit) {
        const message = `the file is ${size} bytes, more than the ${limit} bytes a rule file may have; skipped`;
        builder.diagnostics.push({ file, line: 1, column: 1, severity: "error", code: "io", message });
        continue;
      }
      const cached = isToml(file) ? options.cache?.get(file, stat) : undefined;
      if (cached) {
        builder.addCached(cached, file);
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
    const entry = builder.addFile(text, file);
    if (entry && isToml(file)) options.cache?.put(file, stat, entry);
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

/** TOML rule files are cached: one rule each, nothing that other files depend on. */
const isToml = (file: string) => loaderFor(file) === loadTomlRule;

/** The BOM editors on Windows write is not part of the text. */
const withoutBom = (text: string) => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

class LoadBuilder {
  readonly diagnostics: Diagnostic[] = [];
  private readonly rules: Array<{ loaded: LoadedRule; locator: RuleLocator }> = [];
  private readonly rejected: RejectedRule[] = [];
  private readonly exceptions = emptyExceptions();
  private readonly summaries: ExportSummary[] = [];

  constructor(private readonly options: LoadOptions) {}

  /** Loads a file's text; returns what the rule cache keeps of it, unless loading failed. */
  addFile(text: string, file: string): CachedFile | undefined {
    const from = this.diagnostics.length;
    try {
      const documents = this.addText(withoutBom(text), file);
      return { diagnostics: this.diagnostics.slice(from), documents };
    } catch (error) {
      // a bug met on one file must not take the other files (or a running service) down with it
      const message = `internal error while loading this file: ${(error as Error).stack ?? error}`;
      this.diagnostics.push({ file, line: 1, column: 1, severity: "error", code: "internal", message });
      return undefined;
    }
  }

  /**
   * A TOML file as an earlier run loaded it. Its rules find their place in the file again,
   * for a diagnostic across files, by reading it again.
   */
  addCached(entry: CachedFile, file: string): void {
    this.diagnostics.push(...entry.diagnostics);
    entry.documents.forEach((doc, k) => {
      if ("rejected" in doc) {
        this.rejected.push(doc.rejected);
        return;
      }
      const loaded: LoadedRule = { ...doc.loaded };
      if (doc.query) loaded.query = restoredQuery(doc.query, loaded.integrations);
      this.rules.push({ loaded, locator: rereadLocator(file, k) });
    });
  }

  private addText(text: string, file: string): CachedDocument[] {
    const load = loaderFor(file)(text, file);
    this.diagnostics.push(...load.diagnostics);
    if (load.exceptions) mergeExceptions(this.exceptions, load.exceptions);
    if (load.summary) this.summaries.push(load.summary);
    return load.documents.map((doc) => this.addDocument(doc));
  }

  private addDocument(doc: RuleDocument): CachedDocument {
    const outcome = acceptRuleDocument(doc, this.diagnostics);
    if (outcome.rejected) {
      this.rejected.push(outcome.rejected);
      return { rejected: outcome.rejected };
    }
    const loaded = outcome.loaded;
    const saved: CachedDocument = { loaded: { ...loaded } };
    if (loaded.rule.type === "eql") {
      loaded.query = compileRule(
        loaded as LoadedRule & { rule: EqlRule },
        doc.locator,
        this.diagnostics,
        this.options,
      );
      if (loaded.query) saved.query = savedQuery(loaded.query);
    }
    this.rules.push({ loaded, locator: doc.locator });
    return saved;
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

/**
 * The locator of the `k`th rule of a cached TOML file: the file is read and parsed again the
 * first time a position is asked (a diagnostic across files, rarely).
 */
function rereadLocator(file: string, k: number): RuleLocator {
  let locator: RuleLocator | undefined;
  const real = (): RuleLocator | undefined => {
    if (locator) return locator;
    try {
      locator = loadTomlRule(withoutBom(readFileSync(file, "utf8")), file).documents[k]?.locator;
    } catch {
      locator = undefined;
    }
    return locator;
  };
  return {
    at: (path) => real()?.at(path) ?? { line: 1, column: 1 },
    querySource: (query) => real()?.querySource(query),
  };
}
