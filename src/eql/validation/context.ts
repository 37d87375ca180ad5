import type { Expression, Field, FunctionCall, Loc } from "../ast.ts";
import { type Problem, problemAt } from "../error.ts";
import { lookupFunction } from "../functions.ts";
import type { FieldInfo, Schema } from "../schema.ts";
import { quote, type Source } from "../source.ts";
import type { EqlType } from "../types.ts";

export interface AnalysisOptions {
  /** field types; without one every field is typed per value and unknown fields are null */
  schema?: Schema;
  eventCategoryField: string;
  timestampField: string;
}

/** What the checks share: the query, the schema, every expression's type, and the problems found. */
export interface ValidationContext {
  source: Source;
  options: AnalysisOptions;
  typeOf(e: Expression): EqlType;
  fieldInfo(f: Field): FieldInfo | undefined;
  /** `?field` that the schema does not know: a null constant */
  isAbsentOptional: (f: Field) => boolean;
  text(loc: Loc): string;
  report(loc: Loc, message: string): void;
  problems: Problem[];
}

export function createContext(source: Source, options: AnalysisOptions): ValidationContext {
  const types = new Map<Expression, EqlType>();
  const problems: Problem[] = [];
  const fieldInfo = (f: Field): FieldInfo | undefined => options.schema?.field(f.name);

  const typeOf = (e: Expression): EqlType => {
    let t = types.get(e);
    if (t === undefined) {
      t = inferType(e, typeOf, fieldInfo, options);
      types.set(e, t);
    }
    return t;
  };

  return {
    source,
    options,
    typeOf,
    fieldInfo,
    isAbsentOptional: (f) => f.optional && options.schema !== undefined && !fieldInfo(f),
    text: (loc) => quote(source, loc.start, loc.end),
    report: (loc, message) => problems.push(problemAt(source, loc.start, loc.end, message)),
    problems,
  };
}

function inferType(
  e: Expression,
  typeOf: (e: Expression) => EqlType,
  fieldInfo: (f: Field) => FieldInfo | undefined,
  options: AnalysisOptions,
): EqlType {
  switch (e.kind) {
    case "Literal":
      return e.type;
    case "Field": {
      if (!options.schema) return e.name === options.timestampField ? "date" : "unknown";
      const info = fieldInfo(e);
      if (info) return info.type === "text" && info.keywordSubfield ? "keyword" : info.type;
      return e.optional ? "null" : "unknown";
    }
    case "FunctionCall": {
      const fn = lookupFunction(e.name);
      return fn ? fn.returnType(e.args.map(typeOf)) : "unknown";
    }
    case "Negate":
      return typeOf(e.operand);
    case "Arithmetic": {
      const a = typeOf(e.left);
      const b = typeOf(e.right);
      if (a === "unknown" || b === "unknown" || a === "null" || b === "null") return "unknown";
      if (a === "double" || a === "float" || b === "double" || b === "float") return "double";
      return a === "long" || b === "long" ? "long" : "integer";
    }
    default:
      return "boolean";
  }
}

export const ORDINALS = [
  "first",
  "second",
  "third",
  "fourth",
  "fifth",
  "sixth",
  "seventh",
  "eighth",
  "ninth",
  "tenth",
];

export function ordinal(i: number): string {
  return ORDINALS[i] ?? `${i + 1}th`;
}

/** "2nd", "3rd", "11th": the form Elasticsearch uses for `in` list elements. */
export function shortOrdinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${["th", "st", "nd", "rd"][n % 10] ?? "th"}`;
}

export const isFunctionCall = (e: Expression, name: string): e is FunctionCall =>
  e.kind === "FunctionCall" && e.name.toLowerCase() === name.toLowerCase();
