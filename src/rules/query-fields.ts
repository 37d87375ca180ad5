import type { EventQuery, Field, Statement } from "../eql/ast.ts";
import { walk } from "../eql/validation/validate.ts";

/** The event queries of a statement: the query itself, or each sequence/sample term, then `until`. */
export function eventQueriesOf(statement: Statement): EventQuery[] {
  const query = statement.query;
  if (query.kind === "EventQuery") return [query];
  const terms = query.terms.map((t) => t.query);
  if (query.kind === "SequenceQuery" && query.until) terms.push(query.until.query);
  return terms;
}

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
