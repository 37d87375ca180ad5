import type { Statement } from "../eql/ast.ts";
import { type PreparedQuery, prepareStatement } from "../eql/compile-query.ts";
import type { QueryCompiler } from "../eql/compiler.ts";
import { parse } from "../eql/parser.ts";
import type { CompiledRuleQuery, CompiledTerm } from "./compile-rule.ts";
import { fieldCatalog } from "./field-catalog.ts";
import { eventQueriesOf } from "./query-fields.ts";
import type { SavedQuery } from "./saved-query.ts";

/**
 * A rule's query as a loaded rule keeps it: its tree, its settings and what running it needs
 * to know up front. The rest is made from the tree when first read: the query as scan and serve
 * run it (`execution`), and the query checked against the catalog of the rule's integrations
 * (`prepared`, its `compiler`, the compiled `terms`), which loading built once to check the rule
 * and did not keep: a thousand rules' checkers are 5 MB that only `explain` and tests read.
 * Without `statement` (a rule from the rule cache) the query is parsed when first needed.
 */
export function ruleQuery(
  saved: SavedQuery,
  integrations: readonly string[],
  statement?: Statement,
): CompiledRuleQuery {
  const { source, eventCategoryField, timestampField } = saved;
  let tree = statement;
  const parsed = (): Statement => {
    tree ??= parse(source);
    return tree;
  };
  let checked: { prepared: PreparedQuery; compiler: QueryCompiler } | undefined;
  const check = () => {
    if (checked) return checked;
    const schema = fieldCatalog(integrations);
    const prepared = prepareStatement(parsed(), source, { schema, eventCategoryField, timestampField });
    checked = { prepared, compiler: prepared.compiler() };
    return checked;
  };
  let terms: CompiledTerm[] | undefined;
  let execution: PreparedQuery | undefined;
  return {
    source,
    get statement() {
      return parsed();
    },
    get prepared() {
      return check().prepared;
    },
    get compiler() {
      return check().compiler;
    },
    get terms() {
      if (terms) return terms;
      const { compiler } = check();
      terms = eventQueriesOf(parsed()).map((query) => ({
        query,
        category: query.category,
        predicate: compiler.compileEventQuery(query),
      }));
      return terms;
    },
    shape: saved.shape,
    eventCategoryField,
    timestampField,
    ...(saved.tiebreakerField !== undefined && { tiebreakerField: saved.tiebreakerField }),
    fields: saved.fields,
    categories: saved.categories,
    execution() {
      execution ??= prepareStatement(parsed(), source, { eventCategoryField, timestampField });
      return execution;
    },
  };
}
