import { type EsMapping, unwrapMapping } from "./mapping.ts";

/** A JSON document that is not a mapping; the message names where in it, as a dotted path. */
export class MappingShapeError extends Error {
  override name = "MappingShapeError";
}

const MAPPING_KEYS = ["properties", "runtime", "mappings", "dynamic"];

/**
 * The mapping a JSON document holds: a mapping (`{ properties: … }`), one wrapped in `mappings`, or
 * what `GET <index>/_mapping` answers (`{ "<index>": { mappings: … } }`). An answer for several
 * indices is taken when their mappings are the same (the backing indices of one data stream); which
 * one to use is otherwise the user's choice, not ours. The lenient schema builder skips what it
 * does not understand, so a document of the wrong shape would silently type nothing: its shape is
 * checked here instead.
 */
export function mappingOfDocument(document: unknown): EsMapping {
  if (!isRecord(document))
    throw new MappingShapeError(`a mapping is a JSON object, found ${describe(document)}`);
  if (MAPPING_KEYS.some((key) => key in document)) return checkedMapping(document, "");
  const indices = Object.entries(document);
  if (indices.length === 0 || !indices.every(([, value]) => isRecord(value) && isRecord(value.mappings)))
    throw new MappingShapeError(
      "neither a mapping (`properties` or `mappings` at the top) nor an answer of `GET <index>/_mapping` (`mappings` under each index name)",
    );
  const [[firstName, first], ...others] = indices;
  const different = others.find(([, value]) => JSON.stringify(value) !== JSON.stringify(first));
  if (different)
    throw new MappingShapeError(
      `holds the mappings of ${indices.length} indices, and those of ${firstName} and ${different[0]} differ: keep one index's`,
    );
  return checkedMapping(first as Record<string, unknown>, `${firstName}.`);
}

function checkedMapping(mapping: Record<string, unknown>, path: string): EsMapping {
  if (isRecord(mapping.mappings)) return checkedMapping(mapping.mappings, `${path}mappings.`);
  if (mapping.mappings !== undefined) throw notAnObject(`${path}mappings`, mapping.mappings);
  checkFields(mapping.properties, `${path}properties`, checkFieldMapping);
  checkFields(mapping.runtime, `${path}runtime`, checkRuntimeField);
  return unwrapMapping(mapping as EsMapping);
}

function checkFields(
  fields: unknown,
  path: string,
  checkField: (field: Record<string, unknown>, path: string) => void,
): void {
  if (fields === undefined) return;
  if (!isRecord(fields)) throw notAnObject(path, fields);
  for (const [name, field] of Object.entries(fields)) {
    if (!isRecord(field))
      throw new MappingShapeError(
        `${path}.${name}: a field's mapping is an object, found ${describe(field)}`,
      );
    checkField(field, `${path}.${name}`);
  }
}

function checkFieldMapping(field: Record<string, unknown>, path: string): void {
  checkType(field, path);
  checkFields(field.properties, `${path}.properties`, checkFieldMapping);
  checkFields(field.fields, `${path}.fields`, checkFieldMapping);
}

function checkRuntimeField(field: Record<string, unknown>, path: string): void {
  if (field.type === undefined) throw new MappingShapeError(`${path}: a runtime field needs a type`);
  checkType(field, path);
  checkFields(field.fields, `${path}.fields`, checkRuntimeField);
}

function checkType(field: Record<string, unknown>, path: string): void {
  if (field.type !== undefined && typeof field.type !== "string")
    throw new MappingShapeError(`${path}.type: a type is a string, found ${describe(field.type)}`);
}

const notAnObject = (path: string, value: unknown) =>
  new MappingShapeError(`${path}: an object, found ${describe(value)}`);

function describe(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return typeof value === "object" ? "an object" : String(value);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
