import { type PreparedQuery, prepareQuery } from "../eql/compile-query.ts";
import type { QueryCompiler } from "../eql/compiler.ts";
import type { Source } from "../eql/source.ts";
import type { CompiledRuleQuery, CompiledTerm } from "./compile-rule.ts";
import { fieldCatalog } from "./field-catalog.ts";
import { eventQueriesOf } from "./query-fields.ts";

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

/**
 * The compiled query of a rule loaded from the cache. It compiled when it was saved: the
 * query checked against the catalog of the rule's integrations (`prepared`, `compiler`,
 * `terms`) is compiled again only when something reads it; a scan needs only `execution`.
 */
export function restoredQuery(saved: SavedQuery, integrations: readonly string[]): CompiledRuleQuery {
  const { source, eventCategoryField, timestampField } = saved;
  let checked: { prepared: PreparedQuery; compiler: QueryCompiler; terms: CompiledTerm[] } | undefined;
  const compileChecked = () => {
    if (checked) return checked;
    const prepared = prepareQuery(source, {
      schema: fieldCatalog([...integrations]),
      eventCategoryField,
      timestampField,
    });
    const compiler = prepared.compiler();
    const terms = eventQueriesOf(prepared.statement).map((query) => ({
      query,
      category: query.category,
      predicate: compiler.compileEventQuery(query),
    }));
    checked = { prepared, compiler, terms };
    return checked;
  };
  let execution: PreparedQuery | undefined;
  return {
    source,
    get prepared() {
      return compileChecked().prepared;
    },
    get compiler() {
      return compileChecked().compiler;
    },
    get terms() {
      return compileChecked().terms;
    },
    shape: saved.shape,
    eventCategoryField,
    timestampField,
    ...(saved.tiebreakerField !== undefined && { tiebreakerField: saved.tiebreakerField }),
    fields: saved.fields,
    categories: saved.categories,
    execution() {
      execution ??= prepareQuery(source, { eventCategoryField, timestampField });
      return execution;
    },
  };
}
