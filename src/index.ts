/** eqlite's public library API. */
export type * from "./eql/ast.ts";
export {
  compileEventQuery,
  type PreparedQuery,
  prepareQuery,
  type QueryOptions,
} from "./eql/compile-query.ts";
export type { EventPredicate } from "./eql/compiler.ts";
export { SpillBudget, type SpillCodec, SpillError, type SpillStats } from "./eql/correlate/spill.ts";
export { EqlError, type EqlErrorKind, type Problem } from "./eql/error.ts";
export { type EsMapping, schemaFromMappings } from "./eql/mapping.ts";
export { MappingShapeError, mappingOfDocument } from "./eql/mapping-document.ts";
export { parse, parseExpression } from "./eql/parser.ts";
export { print } from "./eql/printer.ts";
export {
  createQueryStream,
  type QueryStream,
  type QueryStreamOptions,
  type QueryStreamStats,
  type StreamMatch,
  type StreamSpill,
} from "./eql/query-stream.ts";
export type { FieldInfo, Schema } from "./eql/schema.ts";
export {
  type EqlHit,
  type EqlIndex,
  type EqlMissingHit,
  type EqlSearchOptions,
  type EqlSearchRequest,
  type EqlSearchResponse,
  type EqlSequence,
  EVENT_POSITION,
  EVENT_TEXT,
  type EventWithPosition,
  type EventWithText,
  eqlSearch,
  type ShardFailure,
} from "./eql/search.ts";
export { makeSource, printCodeFrame, type Source } from "./eql/source.ts";
export type { EqlType, Scalar } from "./eql/types.ts";
export {
  buildRuleSet,
  type CompiledRuleQuery,
  type Diagnostic as RuleDiagnostic,
  type ExecutableRule,
  fieldCatalog,
  formatDiagnostic as formatRuleDiagnostic,
  type LoadedRule,
  type LoadOptions as RuleLoadOptions,
  type LoadResult as RuleLoadResult,
  type LoadSummary as RuleLoadSummary,
  loadRules,
  loadRulesAtStart,
  loadRuleText,
  type Rule,
  type RuleSet,
  summarize as summarizeRuleLoad,
} from "./rules/index.ts";
