import { existsSync } from "node:fs";
import type { Event } from "../eql/field-access.ts";
import { attachExceptions } from "../exceptions/attach.ts";
import { exceptionFiltersByRule } from "../exceptions/compile.ts";
import { loadExceptionFiles, mergeExceptions } from "../exceptions/load.ts";
import { formatDiagnostic as formatExceptionDiagnostic } from "../exceptions/model.ts";
import { formatDiagnostic, STREAM_WARNINGS } from "../rules/diagnostic.ts";
import { loadRules } from "../rules/load-rules.ts";
import { buildRuleSet, type ExecutableRule, type RuleSet } from "../rules/rule-set.ts";

/**
 * A rule set ready to swap into the engine: loaded, compiled, with every rule's
 * exception filter compiled too. Serving is stricter than `scan`: a set with any error
 * — a rule that does not load or compile, an exception that does not compile, a path
 * that is gone — is refused whole, so a typo in one file during a hot reload leaves
 * the running rules in place instead of silently dropping a rule.
 */
export interface RuleBundle {
  ruleSet: RuleSet;
  exceptionsFor: (rule: ExecutableRule) => ((event: Event) => boolean) | undefined;
  /** rule files read */
  files: number;
  /** warnings (unknown fields and the like): reported, not fatal */
  warnings: string[];
  /** those of the warnings that say a stream finds less than the rule reads (STREAM_WARNINGS), to log louder */
  streamWarnings: string[];
}

export class RuleBundleError extends Error {
  constructor(
    message: string,
    /** one line per problem, `file:line:column: error: message` */
    readonly problems: string[],
  ) {
    super(problems.length ? `${message}:\n${problems.map((p) => `  ${p}`).join("\n")}` : message);
    this.name = "RuleBundleError";
  }
}

export async function loadRuleBundle(rulePaths: readonly string[], exceptionFiles: readonly string[]) {
  const missing = [...rulePaths, ...exceptionFiles].filter((p) => !existsSync(p));
  if (missing.length)
    throw new RuleBundleError(
      "rules not found",
      missing.map((p) => `${p}: no such file or directory`),
    );
  const loaded = await loadRules(rulePaths);
  const problems = loaded.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic);
  const warnings = loaded.diagnostics.filter((d) => d.severity !== "error").map(formatDiagnostic);
  const streamWarnings = loaded.diagnostics
    .filter((d) => d.severity === "warning" && STREAM_WARNINGS.has(d.code))
    .map(formatDiagnostic);
  const exceptions = loaded.exceptions;
  if (exceptionFiles.length)
    mergeExceptions(exceptions, await loadExceptionFiles([...exceptionFiles], { allRules: true }));
  const attached = attachExceptions(
    loaded.rules.map((r) => r.rule),
    exceptions,
  );
  for (const d of [...exceptions.diagnostics, ...attached.diagnostics]) {
    (d.severity === "error" ? problems : warnings).push(formatExceptionDiagnostic(d));
  }
  const ruleSet = buildRuleSet(loaded.rules);
  const keepFor = exceptionFiltersByRule(attached.byRule, {
    valueLists: exceptions.valueLists,
    now: new Date(),
    cache: new Map(),
  });
  const filters = new Map<string, (event: Event) => boolean>();
  for (const rule of ruleSet.rules) {
    try {
      const keep = keepFor(rule.rule.rule_id);
      if (keep) filters.set(rule.rule.rule_id, keep);
    } catch (error) {
      problems.push(
        `${rule.origin.file}: the exceptions of rule "${rule.rule.name}" do not compile: ${(error as Error).message}`,
      );
    }
  }
  if (problems.length) throw new RuleBundleError(`the rule set has ${problems.length} error(s)`, problems);
  if (ruleSet.rules.length === 0)
    throw new RuleBundleError(
      `no rule can run (${loaded.rules.length} loaded, ${ruleSet.disabled} of them disabled by enabled = false; only eql rules run)`,
      [],
    );
  const bundle: RuleBundle = {
    ruleSet,
    exceptionsFor: (rule) => filters.get(rule.rule.rule_id),
    files: loaded.files.length,
    warnings,
    streamWarnings,
  };
  return bundle;
}
