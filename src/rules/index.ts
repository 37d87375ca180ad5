/** Detection rules: loading, checking, compiling and indexing (the `eqlite validate` layer). */
export {
  type CompiledRuleQuery,
  type CompiledTerm,
  type CompileOptions,
  compileRule,
} from "./compile-rule.ts";
export {
  type Diagnostic,
  formatDiagnostic,
  type Position,
  type Severity,
  sortDiagnostics,
} from "./diagnostic.ts";
export { ECS_VERSION, type FieldCatalog, fieldCatalog, knownIntegrations } from "./field-catalog.ts";
export { loadRulesAtStart } from "./load-at-start.ts";
export { loadRuleText } from "./load-rule-text.ts";
export { type LoadOptions, type LoadResult, loadRules } from "./load-rules.ts";
export { type LoadSummary, summarize } from "./load-summary.ts";
export type { LoadedRule, RejectedRule, RuleFormat, RuleOrigin } from "./loaded-rule.ts";
export type { RuleMetadata, RuleTransform } from "./metadata-model.ts";
export type { ExportSummary } from "./ndjson-loader.ts";
export { type EqlRule, RULE_TYPES, type Rule, type RuleType, ruleSchema, SEVERITIES } from "./rule-model.ts";
export { buildRuleSet, type ExecutableRule, type RuleSet } from "./rule-set.ts";
export type { Threat } from "./threat-model.ts";
