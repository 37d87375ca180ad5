import type { Statement } from "./ast.ts";
import { type EventPredicate, QueryCompiler } from "./compiler.ts";
import { parse } from "./parser.ts";
import type { Schema } from "./schema.ts";
import { makeSource, type Source } from "./source.ts";
import type { ValidationContext } from "./validation/context.ts";
import { validate } from "./validation/validate.ts";

export interface QueryOptions {
  /** field types, e.g. from an Elasticsearch mapping; without one, fields are typed per value */
  schema?: Schema;
  eventCategoryField?: string;
  timestampField?: string;
}

export interface PreparedQuery {
  source: Source;
  statement: Statement;
  context: ValidationContext;
  /** a compiler bound to one index's fields (or to the query's schema) */
  compiler(indexSchema?: Schema, failingFields?: ReadonlySet<string>): QueryCompiler;
}

/** Parses and checks a query; throws EqlError with positions for syntax and semantic problems. */
export function prepareQuery(text: string | Source, options: QueryOptions = {}): PreparedQuery {
  const source = typeof text === "string" ? makeSource(text) : text;
  return prepareStatement(parse(source), source, options);
}

/**
 * Checks a statement already parsed from `source` under other options (a rule's query is
 * checked against its catalog, then run without one): the AST is read, never changed.
 */
export function prepareStatement(
  statement: Statement,
  source: Source,
  options: QueryOptions = {},
): PreparedQuery {
  const context = validate(statement, source, {
    schema: options.schema,
    eventCategoryField: options.eventCategoryField ?? "event.category",
    timestampField: options.timestampField ?? "@timestamp",
  });
  return {
    source,
    statement,
    context,
    compiler: (indexSchema = options.schema, failingFields) =>
      new QueryCompiler(context, source, indexSchema, failingFields),
  };
}

/** An event query as a predicate over JSON events (sequences and samples have one per term). */
export function compileEventQuery(text: string | Source, options: QueryOptions = {}): EventPredicate {
  const prepared = prepareQuery(text, options);
  const query = prepared.statement.query;
  if (query.kind !== "EventQuery") {
    throw new TypeError("compileEventQuery takes an event query; use eqlSearch for sequences and samples");
  }
  return prepared.compiler().compileEventQuery(query);
}
