import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { emptyExceptions, mergeExceptions } from "../exceptions/loaded.ts";
import { compileRule } from "./compile-rule.ts";
import type { Diagnostic } from "./diagnostic.ts";
import type { LoadOptions, LoadResult } from "./load-rules.ts";
import type { LoadedRule, RejectedRule, RuleLocator } from "./loaded-rule.ts";
import { type ExportSummary, type JsonLoad, loadJsonRules, loadKibanaExport } from "./ndjson-loader.ts";
import type { CachedDocument, CachedFile } from "./rule-cache.ts";
import type { DocumentOutcome, RuleDocument } from "./rule-document.ts";
import type { EqlRule } from "./rule-model.ts";
import { checkDuplicateRuleIds, checkExceptionReferences } from "./rule-references.ts";
import { restoredQuery, savedQuery } from "./saved-query.ts";
import { checkThreatNames } from "./threat-catalog.ts";
import { loadTomlRule } from "./toml-loader.ts";

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
export const isToml = (file: string) => loaderFor(file) === loadTomlRule;

/** The BOM editors on Windows write is not part of the text. */
const withoutBom = (text: string) => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

/**
 * Checks one rule document (rule-document.ts). Passed in: loading only cached rules does not
 * load the rule schemas.
 */
export type AcceptDocument = (doc: RuleDocument, diagnostics: Diagnostic[]) => DocumentOutcome;

/**
 * Gathers what loading files gives: their rules, rejected rules, exceptions and diagnostics,
 * and, when done, the checks across files.
 */
export class LoadBuilder {
  readonly diagnostics: Diagnostic[] = [];
  private readonly rules: Array<{ loaded: LoadedRule; locator: RuleLocator }> = [];
  private readonly rejected: RejectedRule[] = [];
  private readonly exceptions = emptyExceptions();
  private readonly summaries: ExportSummary[] = [];

  constructor(private readonly options: LoadOptions) {}

  /** Loads a file's text; returns what the rule cache keeps of it, unless loading failed. */
  addFile(text: string, file: string, accept: AcceptDocument): CachedFile | undefined {
    const from = this.diagnostics.length;
    try {
      const documents = this.addText(withoutBom(text), file, accept);
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

  private addText(text: string, file: string, accept: AcceptDocument): CachedDocument[] {
    const load = loaderFor(file)(text, file);
    this.diagnostics.push(...load.diagnostics);
    if (load.exceptions) mergeExceptions(this.exceptions, load.exceptions);
    if (load.summary) this.summaries.push(load.summary);
    return load.documents.map((doc) => this.addDocument(doc, accept));
  }

  private addDocument(doc: RuleDocument, accept: AcceptDocument): CachedDocument {
    const outcome = accept(doc, this.diagnostics);
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
