/**
 * The data types EQL distinguishes, named as Elasticsearch names them so that
 * error messages read the same ("found value [pid] type [long]").
 */
export type EqlType =
  | "keyword"
  | "text"
  | "integer"
  | "long"
  | "float"
  | "double"
  | "boolean"
  | "date"
  | "date_nanos"
  | "ip"
  | "version"
  | "object"
  | "nested"
  | "null"
  /** a field whose type is not known (schemaless JSON): decided per value at run time */
  | "unknown";

/** One value as functions and operators see it: fields are bound one value at a time. */
export type Scalar = string | number | boolean | null;

export const isNumericType = (t: EqlType): boolean =>
  t === "integer" || t === "long" || t === "float" || t === "double";

export const isIntegralType = (t: EqlType): boolean => t === "integer" || t === "long";

export const isStringType = (t: EqlType): boolean => t === "keyword" || t === "text";
