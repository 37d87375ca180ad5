import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Diagnostic } from "../../src/rules/diagnostic.ts";
import { loadRuleText } from "../../src/rules/load-rule-text.ts";
import type { LoadResult } from "../../src/rules/load-rules.ts";

/** `../shared` beside the project, when this checkout has it. */
export const SHARED = fileURLToPath(new URL("../../../shared", import.meta.url));
export const sharedPath = (...parts: string[]): string => join(SHARED, ...parts);
export const hasShared = (...parts: string[]): boolean => existsSync(sharedPath(...parts));
export const skipWithoutShared = (what: string, ...parts: string[]): string | false =>
  !hasShared(...parts) && `../shared not found: ${what} skipped`;

export interface RuleParts {
  metadata?: string;
  /** lines of `[rule]` replacing or adding to the defaults, e.g. `risk_score = 99` */
  rule?: Record<string, string | undefined>;
  query?: string;
  /** extra TOML after the rule (threat tables, `[transform]`) */
  tail?: string;
}

const DEFAULT_RULE: Record<string, string> = {
  author: '["eqlite tests"]',
  description: '"A shell started inside a container."',
  from: '"now-9m"',
  index: '["logs-cloud_defend*"]',
  language: '"eql"',
  license: '"Apache-2.0"',
  name: '"Shell In Container"',
  risk_score: "47",
  rule_id: '"5b0a3c36-2c1e-4f4e-9a55-0d6c1f7e2a10"',
  severity: '"medium"',
  type: '"eql"',
};

const DEFAULT_METADATA = `[metadata]
creation_date = "2024/01/10"
integration = ["cloud_defend"]
maturity = "production"
updated_date = "2024/02/01"
`;

export const DEFAULT_QUERY = 'process where event.type == "start" and process.name in ("sh", "bash")';

/**
 * A detection-rules TOML rule written for these tests: valid by default, with the parts a
 * test cares about replaced. `undefined` in `rule` removes a key.
 */
export function ruleToml(parts: RuleParts = {}): string {
  const fields = { ...DEFAULT_RULE, ...parts.rule };
  const lines = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} = ${v}`);
  const query = parts.query ?? DEFAULT_QUERY;
  return `${parts.metadata ?? DEFAULT_METADATA}
[rule]
${lines.join("\n")}
query = '''
${query}
'''
${parts.tail ?? ""}`;
}

/** Loads one TOML text as `rule.toml`. */
export const loadToml = (text: string, strict = false): LoadResult =>
  loadRuleText(text, "rule.toml", { strict });

export const errors = (r: { diagnostics: Diagnostic[] }): Diagnostic[] =>
  r.diagnostics.filter((d) => d.severity === "error");
export const warnings = (r: { diagnostics: Diagnostic[] }): Diagnostic[] =>
  r.diagnostics.filter((d) => d.severity === "warning");
export const messages = (ds: Diagnostic[]): string[] => ds.map((d) => d.message);

/** A temporary directory with these files (paths relative to it); removed by `cleanup`. */
export function tempTree(files: Record<string, string>): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-rules-"));
  for (const [path, text] of Object.entries(files)) {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The line (1-based) of the first line of `text` containing `needle`. */
export function lineOf(text: string, needle: string): number {
  const index = text.split("\n").findIndex((l) => l.includes(needle));
  if (index < 0) throw new Error(`${needle} not in text`);
  return index + 1;
}
