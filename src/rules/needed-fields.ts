import type { Field, Loc, SequenceTerm, Statement } from "../eql/ast.ts";
import { queryFields } from "./query-fields.ts";
import type { ExecutableRule } from "./rule-set.ts";

/**
 * What events must carry for a rule to be able to match: the question behind "why does
 * this rule never fire on our data?" — usually a field the data does not have (another
 * integration's name for it, a pipeline that drops it), or a category it never sends.
 */
export interface RuleNeeds {
  /** distinct field names: the query's in the order written, then those its settings add */
  fields: string[];
  /** the category field and the categories the query's terms name (`process where` → "process") */
  categories: { field: string; values: string[] };
}

/**
 * A field is needed when the query reads it anywhere without `?` — under `not` as well,
 * to keep one simple rule, although `not x == 1` holds on an event without `x`. Join keys
 * are read; so are a term's category field and, for sequences, the timestamp that orders
 * them (an event without one cannot take part). A term that must not happen (`![...]`) or
 * that ends a sequence (`until`) is not needed: the sequence completes without it, so the
 * fields only such terms read are left out. `timestamp_override` is needed only when the
 * rule disables the fallback to `@timestamp`: Kibana never searches events without it.
 */
export function ruleNeeds(rule: ExecutableRule): RuleNeeds {
  const { query } = rule;
  const statement = query.statement;
  const optionalTerms = termsNotNeeded(statement);
  const inOptionalTerm = (f: Field) => optionalTerms.some((t) => within(f.loc, t.loc));
  const fields = queryFields(statement)
    .filter((f) => !f.optional && !inOptionalTerm(f))
    .map((f) => f.name);

  const values = [
    ...new Set(neededTerms(statement).flatMap((q) => (q.category === null ? [] : [q.category]))),
  ];
  if (values.length) fields.push(query.eventCategoryField);
  if (query.shape === "sequence") fields.push(query.timestampField);
  const { timestamp_override, timestamp_override_fallback_disabled } = rule.rule;
  if (timestamp_override !== undefined && timestamp_override_fallback_disabled === true)
    fields.push(timestamp_override);

  return { fields: [...new Set(fields)], categories: { field: query.eventCategoryField, values } };
}

/** The event queries an event must match for the rule to match: all but `until` and `![...]`. */
function neededTerms(statement: Statement) {
  const query = statement.query;
  if (query.kind === "EventQuery") return [query];
  return query.terms.filter((t) => !t.missing).map((t) => t.query);
}

function termsNotNeeded(statement: Statement): SequenceTerm[] {
  const query = statement.query;
  if (query.kind === "EventQuery") return [];
  const terms = query.terms.filter((t) => t.missing);
  if (query.kind === "SequenceQuery" && query.until) terms.push(query.until);
  return terms;
}

const within = (inner: Loc, outer: Loc): boolean => inner.start >= outer.start && inner.end <= outer.end;
