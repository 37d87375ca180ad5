import { METADATA, type RuleCheckContext } from "./checks/context.ts";
import { RULE_CHECKS } from "./checks/index.ts";
import type { Diagnostic, Severity } from "./diagnostic.ts";
import type { LoadedRule, RejectedRule, RuleLocator, RuleOrigin } from "./loaded-rule.ts";
import { metadataSchema, type RuleMetadata, type RuleTransform, transformSchema } from "./metadata-model.ts";
import type { DocumentPath } from "./position-map.ts";
import { commonRuleSchema, type Rule, ruleSchema } from "./rule-model.ts";
import { describeIssues } from "./schema-issues.ts";
import { notePlaceholders, renderNoteWhenRead, strayPlaceholders } from "./transform-note.ts";

/** One rule as a loader found it, before any checking: plain data plus where it came from. */
export interface RuleDocument {
  /** the rule in the Kibana API shape (a TOML loader flattens `new_terms` first) */
  rule: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  transform?: Record<string, unknown>;
  origin: RuleOrigin;
  locator: RuleLocator;
}

export type DocumentOutcome =
  | { loaded: LoadedRule; rejected?: undefined }
  | { loaded?: undefined; rejected: RejectedRule };

/**
 * Checks a rule document against the model and the rule checks. Problems become
 * diagnostics at the place they are written; a rule whose shape is wrong is rejected
 * (and counted), one with only check findings loads.
 */
export function acceptRuleDocument(doc: RuleDocument, diagnostics: Diagnostic[]): DocumentOutcome {
  const ruleId = typeof doc.rule.rule_id === "string" ? doc.rule.rule_id : undefined;
  const report = (path: DocumentPath, severity: Severity, code: string, message: string) => {
    const { line, column } = doc.locator.at(path);
    diagnostics.push({ file: doc.origin.file, line, column, severity, code, message, rule_id: ruleId });
  };

  let metadata: RuleMetadata | undefined;
  let metadataOk = true;
  if (doc.metadata) {
    const parsed = metadataSchema.safeParse(doc.metadata);
    if (parsed.success) metadata = parsed.data;
    else {
      metadataOk = false;
      for (const issue of describeIssues(parsed.error.issues, doc.metadata)) {
        report([METADATA, ...issue.path], "error", "schema", `metadata.${issue.message}`);
      }
    }
  }

  let transform: RuleTransform | undefined;
  if (doc.transform) {
    const parsed = transformSchema.safeParse(doc.transform);
    if (parsed.success) transform = parsed.data;
    else {
      for (const issue of describeIssues(parsed.error.issues, doc.transform)) {
        report(["[transform]", ...issue.path], "error", "schema", `transform.${issue.message}`);
      }
    }
  }

  const parsed = ruleSchema.safeParse(doc.rule);
  if (!parsed.success) {
    let issues = parsed.error.issues;
    // a wrong `type` hides every other problem; check the fields all types share as well
    if (issues.length === 1 && issues[0].code === "invalid_union" && issues[0].path[0] === "type") {
      issues = [...issues, ...(commonRuleSchema.safeParse(doc.rule).error?.issues ?? [])];
    }
    for (const issue of describeIssues(issues, doc.rule))
      report(issue.path, "error", "schema", issue.message);
    return { rejected: rejectedRule(doc) };
  }
  if (!metadataOk || (doc.transform && !transform)) return { rejected: rejectedRule(doc) };

  const rule = parsed.data;
  if (doc.origin.format === "toml") renderNote(rule, transform, report);
  const ctx: RuleCheckContext = { rule, metadata, raw: doc.rule, rawMetadata: doc.metadata, report };
  for (const check of RULE_CHECKS) check(ctx);

  return {
    loaded: {
      rule,
      metadata,
      transform,
      origin: doc.origin,
      integrations: integrationsOf(rule.related_integrations, metadata),
    },
  };
}

type Report = (path: DocumentPath, severity: Severity, code: string, message: string) => void;

/**
 * A detection-rules file's note as Kibana's prebuilt rule has it: `[transform]`'s plugins in
 * place of their placeholders. Packaging leaves a placeholder with no entry as written, and
 * detection-rules' test of its rules fails on a note whose placeholders and entries do not
 * pair up; here each one left over is a warning, and the rule loads. An exported rule's note
 * is already rendered.
 */
function renderNote(rule: Rule, transform: RuleTransform | undefined, report: Report): void {
  if (!transform) {
    for (const placeholder of strayPlaceholders(rule.note ?? "")) {
      report(
        ["note"],
        "warning",
        "transform",
        `note: ${placeholder} names a [transform] entry, but the rule has no [transform]; it is left as written`,
      );
    }
    return;
  }
  const { unmatched, unused } = notePlaceholders(rule.note ?? "", transform);
  renderNoteWhenRead(rule, transform);
  for (const placeholder of unmatched) {
    report(
      ["note"],
      "warning",
      "transform",
      `note: ${placeholder} names no entry of [transform]; it is left as written`,
    );
  }
  for (const { plugin, index } of unused) {
    report(
      ["[transform]", plugin, index],
      "warning",
      "transform",
      `[[transform.${plugin}]] entry ${index} is not in the note ($${plugin}_${index} is not there)`,
    );
  }
}

function rejectedRule(doc: RuleDocument): RejectedRule {
  const text = (v: unknown) => (typeof v === "string" ? v : undefined);
  return {
    origin: doc.origin,
    type: text(doc.rule.type),
    rule_id: text(doc.rule.rule_id),
    name: text(doc.rule.name),
  };
}

/** Packages named by the rule: their fields join ECS when the query's fields are checked. */
function integrationsOf(
  related: ReadonlyArray<{ package: string }>,
  metadata: RuleMetadata | undefined,
): string[] {
  const named = metadata?.integration;
  const fromMetadata = named === undefined ? [] : Array.isArray(named) ? named : [named];
  return [...new Set([...fromMetadata, ...related.map((r) => r.package)])];
}
