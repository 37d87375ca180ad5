import type { Severity } from "../diagnostic.ts";
import type { RuleMetadata } from "../metadata-model.ts";
import type { DocumentPath } from "../position-map.ts";
import type { Rule } from "../rule-model.ts";

/** Paths that start with this point into `[metadata]` rather than into the rule. */
export const METADATA = "[metadata]";

/** What a rule check sees, and how it reports: at a path of the API-shaped rule. */
export interface RuleCheckContext {
  rule: Rule;
  metadata?: RuleMetadata;
  /** the keys as written, before defaults: a check can tell "absent" from "default" */
  raw: Readonly<Record<string, unknown>>;
  rawMetadata?: Readonly<Record<string, unknown>>;
  report(path: DocumentPath, severity: Severity, code: string, message: string): void;
}

export type RuleCheck = (ctx: RuleCheckContext) => void;
