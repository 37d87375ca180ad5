import type { Field, Statement } from "../eql/ast.ts";
import { isFunctionCall } from "../eql/validation/context.ts";
import { walk } from "../eql/validation/validate.ts";
import type { FieldCatalog } from "./field-catalog.ts";
import { eventQueriesOf } from "./query-fields.ts";

/**
 * `cidrMatch` on a field the catalog types as a string. Elasticsearch accepts it (the
 * address is read from the string), so it is no error; but ECS keeps addresses in `ip`
 * fields, and a keyword is usually the wrong field (a name, a hostname). Non-string
 * types are refused by the EQL checks themselves.
 */
export function cidrMatchOnStrings(
  statement: Statement,
  catalog: FieldCatalog,
): Array<{ field: Field; type: string }> {
  const found: Array<{ field: Field; type: string }> = [];
  for (const query of eventQueriesOf(statement)) {
    walk(query.condition, (e) => {
      if (!isFunctionCall(e, "cidrMatch")) return;
      const subject = e.args[0];
      if (subject?.kind !== "Field") return;
      const type = catalog.esType(subject.name);
      if (type !== undefined && catalog.field(subject.name).type === "keyword")
        found.push({ field: subject, type });
    });
  }
  return found;
}
