import type { Problem } from "../eql/error.ts";
import type { Source } from "../eql/source.ts";
import type { CompiledRuleQuery } from "./compile-rule.ts";
import type { Position } from "./diagnostic.ts";
import type { RuleMetadata, RuleTransform } from "./metadata-model.ts";
import type { DocumentPath } from "./position-map.ts";
import type { Rule } from "./rule-model.ts";

export type RuleFormat = "toml" | "ndjson" | "json";

/** Where a rule was read from: the file, and the line its document starts on. */
export interface RuleOrigin {
  file: string;
  format: RuleFormat;
  line: number;
  column: number;
}

/** A rule that loaded: the API-shaped rule with Kibana's defaults, and what came with it. */
export interface LoadedRule {
  rule: Rule;
  /** `[metadata]` of a detection-rules file */
  metadata?: RuleMetadata;
  /** `[transform]` of a detection-rules file */
  transform?: RuleTransform;
  origin: RuleOrigin;
  /** the integrations whose fields the query may use (`[metadata].integration`, `related_integrations`) */
  integrations: string[];
  /** an `eql` rule's query, compiled; absent for other types and for queries with errors */
  query?: CompiledRuleQuery;
}

/** A rule document that did not load; counted so `validate` can say how many rules it saw. */
export interface RejectedRule {
  origin: RuleOrigin;
  type?: string;
  rule_id?: string;
  name?: string;
}

/**
 * Maps paths of the API-shaped rule back into the file, while it is being loaded. Kept out of
 * `LoadedRule` so loaded rules do not hold their file's text.
 */
export interface RuleLocator {
  at(path: DocumentPath): Position;
  /** the query as an EQL source that knows where it sits in the file */
  querySource(query: string): QueryLocation | undefined;
}

export interface QueryLocation {
  source: Source;
  /** where a problem of the query is in the file */
  positionOf(problem: Problem): Position;
}
