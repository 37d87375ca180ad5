import type { Source } from "../eql/source.ts";
import type { CompiledRuleQuery } from "./compile-rule.ts";

/**
 * A rule's compiled query as plain data, for the rule cache: what it was compiled from and
 * what running it needs to know up front. Everything else is compiled again from it, when
 * first asked.
 */
export interface SavedQuery {
  /** the query, placed in its rule file */
  source: Source;
  shape: CompiledRuleQuery["shape"];
  eventCategoryField: string;
  timestampField: string;
  tiebreakerField?: string;
  fields: string[];
  categories: Array<string | null>;
}

export function savedQuery(query: CompiledRuleQuery): SavedQuery {
  return {
    source: query.source,
    shape: query.shape,
    eventCategoryField: query.eventCategoryField,
    timestampField: query.timestampField,
    ...(query.tiebreakerField !== undefined && { tiebreakerField: query.tiebreakerField }),
    fields: [...query.fields],
    categories: [...query.categories],
  };
}
