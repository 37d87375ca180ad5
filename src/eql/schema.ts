import type { EqlType } from "./types.ts";

/**
 * What the engine knows about one field name, from an Elasticsearch mapping or from
 * the data itself. Without a schema every field is "unknown" and typed per value.
 */
export interface FieldInfo {
  /** the name as written in a query (a mapping alias keeps its own name here) */
  name: string;
  type: EqlType;
  /** where the value lives in the event: an alias points at its target; a keyword sub-field at its parent */
  sourcePath: string;
  /** the mapping's `null_value`: what an explicit JSON null is indexed as */
  nullValue?: unknown;
  /** the mapping's date `format` (e.g. `dd-MM-yyyy||epoch_millis`) */
  format?: string;
  /**
   * a `float` field (mapped so, or dynamically from a JSON fraction): Elasticsearch keeps its
   * values as 32-bit floats, and a script reads them widened to double (0.1 as 0.10000000149011612)
   */
  float32?: true;
  /**
   * a `date` field (mapped so, or dynamically from a date string): Elasticsearch keeps its
   * instants in milliseconds, the finer digits dropped; only `date_nanos` keeps nanoseconds
   */
  millis?: true;
  /** a `text` field's exact sub-field, which EQL uses transparently */
  keywordSubfield?: string;
  /** why a field cannot be queried (nested, geo_point, text without keyword, ...), as ES words it */
  unsupported?: string;
}

export interface Schema {
  /** the field, resolved through aliases; undefined if the schema does not know it */
  field(name: string): FieldInfo | undefined;
  /** every queryable field name, for "did you mean" suggestions */
  fieldNames(): readonly string[];
}
