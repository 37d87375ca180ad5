import type { EventQuery, Field, Statement } from "../eql/ast.ts";
import { walk } from "../eql/validation/validate.ts";

export { eventQueriesOf } from "../eql/event-queries.ts";

/** Every field a query reads, in the order written: conditions, join keys, `until`. */
export function queryFields(statement: Statement): Field[] {
  const fields: Field[] = [];
  const query = statement.query;
  const collect = (q: EventQuery) =>
    walk(q.condition, (e) => {
      if (e.kind === "Field") fields.push(e);
    });
  if (query.kind === "EventQuery") {
    collect(query);
    return fields;
  }
  fields.push(...query.joinKeys);
  const terms = [...query.terms, ...(query.kind === "SequenceQuery" && query.until ? [query.until] : [])];
  for (const term of terms) {
    collect(term.query);
    fields.push(...term.joinKeys);
  }
  return fields.sort((a, b) => a.loc.start - b.loc.start);
}
