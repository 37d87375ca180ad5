import type { EventQuery, Statement } from "./ast.ts";

/** The event queries of a statement: the query itself, or each sequence/sample term, then `until`. */
export function eventQueriesOf(statement: Statement): EventQuery[] {
  const query = statement.query;
  if (query.kind === "EventQuery") return [query];
  const terms = query.terms.map((t) => t.query);
  if (query.kind === "SequenceQuery" && query.until) terms.push(query.until.query);
  return terms;
}
