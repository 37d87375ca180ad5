import { type BigIntStats, statSync } from "node:fs";
import { basename, extname } from "node:path";
import { filesUnder } from "../io/files-under.ts";
import type { Diagnostic } from "./diagnostic.ts";

/** Extensions read when walking a directory: rule files and Kibana exports. */
const WALKED = new Set([".toml", ".ndjson", ".jsonl"]);
/** A `.json` file is read when named: a rules repository holds many JSON files that are not rules. */
const NAMED = new Set([...WALKED, ".json"]);

const isRuleTestFile = (name: string) => name.toLowerCase().endsWith(".test.toml");

export interface RuleFiles {
  files: string[];
  /** what a file named among the paths was found to be: its reader need not ask again */
  named: Map<string, BigIntStats>;
  /** files seen while walking that are not rule files (READMEs, licences, ...) */
  skipped: string[];
  diagnostics: Diagnostic[];
}

/**
 * The rule files under each path, directories walked recursively in name order (so runs
 * and diagnostics are reproducible), hidden directories and node_modules left out.
 */
export async function findRuleFiles(paths: readonly string[]): Promise<RuleFiles> {
  const out: RuleFiles = { files: [], named: new Map(), skipped: [], diagnostics: [] };
  for (const path of paths) {
    let info: BigIntStats;
    try {
      // synchronous: a thousand small stats and directory reads are far faster so
      info = statSync(path, { bigint: true });
    } catch (error) {
      const reason =
        (error as NodeJS.ErrnoException).code === "ENOENT"
          ? "no such file or directory"
          : (error as Error).message;
      out.diagnostics.push(ioError(path, reason));
      continue;
    }
    if (info.isDirectory()) walk(path, out);
    else if (NAMED.has(extname(path).toLowerCase())) {
      out.files.push(path);
      out.named.set(path, info);
    } else {
      out.diagnostics.push(ioError(path, "not a rule file: expected .toml, .ndjson, .jsonl or .json"));
    }
  }
  return out;
}

function walk(dir: string, out: RuleFiles): void {
  const unreadable = (path: string, error: NodeJS.ErrnoException) =>
    out.diagnostics.push(ioError(path, `cannot read this directory: ${error.message}`));
  // said, and not among the skipped files, which `eqlite test` looks through for test files
  const special = (path: string, kind: string) => {
    out.diagnostics.push({
      ...ioError(path, `${kind}, not a file: skipped (name it on the command line to read it)`),
      severity: "warning",
    });
  };
  for (const path of filesUnder(dir, unreadable, special)) {
    const name = basename(path);
    // rule unit tests (`eqlite test`) sit beside their rules; they are not rules
    if (!isRuleTestFile(name) && WALKED.has(extname(name).toLowerCase())) out.files.push(path);
    else out.skipped.push(path);
  }
}

/** A path that cannot be read as rules: reported at its start. */
const ioError = (file: string, message: string): Diagnostic => ({
  file,
  line: 1,
  column: 1,
  severity: "error",
  code: "io",
  message,
});
