import type { FieldInfo, Schema } from "./schema.ts";
import type { EqlType } from "./types.ts";

/**
 * An Elasticsearch index mapping, as `GET <index>/_mapping` returns it (with or
 * without the `mappings` wrapper).
 */
export type EsMapping = {
  properties?: Record<string, unknown>;
  runtime?: Record<string, unknown>;
  dynamic?: unknown;
  mappings?: EsMapping;
};

export interface SchemaOptions {
  /** events whose fields are mapped the way Elasticsearch maps fields it has not seen before */
  dynamicFrom?: Iterable<Record<string, unknown>>;
}

/** How an object treats fields that are not in its mapping (ES `dynamic`). */
type DynamicMode = "true" | "false" | "strict" | "runtime";

/** What one mapping walk produces before aliases are resolved. */
interface Collected {
  fields: Map<string, FieldInfo>;
  /** alias name → target path, resolved once every concrete field is known */
  aliases: Map<string, string>;
  /** object paths with their own `dynamic` setting ("" = the root) */
  dynamic: Map<string, DynamicMode>;
}

const STRING_TYPES = ["keyword", "constant_keyword", "wildcard"];

/** ES mapping type → EQL type; types absent here cannot be queried. */
export const TYPE_MAP: Readonly<Record<string, EqlType>> = {
  keyword: "keyword",
  constant_keyword: "keyword",
  wildcard: "keyword",
  text: "text",
  match_only_text: "text",
  byte: "integer",
  short: "integer",
  integer: "integer",
  token_count: "integer",
  long: "long",
  unsigned_long: "long",
  half_float: "float",
  float: "float",
  scaled_float: "float",
  double: "double",
  boolean: "boolean",
  date: "date",
  date_nanos: "date_nanos",
  ip: "ip",
  version: "version",
};

/** Strips the `{ mappings: … }` wrapper that `GET <index>/_mapping` and index templates use. */
export function unwrapMapping(mapping: EsMapping): EsMapping {
  return isRecord(mapping.mappings) ? unwrapMapping(mapping.mappings) : mapping;
}

/**
 * Parses a mapping in the conformance suite's `.mapping` file format: `#` lines
 * are comments and `[runtime_random_keyword_type]` stands for a keyword type
 * (Elasticsearch's test loader picks keyword or wildcard at random; both behave
 * the same for EQL, so keyword is used).
 */
export function parseMappingFile(text: string): EsMapping {
  const json = text
    .split(/\r?\n/)
    .filter((line) => !line.trimStart().startsWith("#"))
    .join("\n")
    .replaceAll("[runtime_random_keyword_type]", "keyword");
  const parsed: unknown = JSON.parse(json);
  if (!isRecord(parsed)) throw new Error("a mapping file must hold a JSON object");
  return unwrapMapping(parsed as EsMapping);
}

/**
 * The schema of one or more indices: mapped fields first (the first index that
 * defines a name wins, as a multi-index search can only use one type per name),
 * then the fields Elasticsearch would have mapped dynamically from the events.
 */
export function schemaFromMappings(mappings: EsMapping[], options: SchemaOptions = {}): Schema {
  const merged: Collected = { fields: new Map(), aliases: new Map(), dynamic: new Map() };
  for (const mapping of mappings) mergeFirstWins(merged, collectMapping(unwrapMapping(mapping)));
  merged.dynamic.set("", rootDynamicMode(mappings.map(unwrapMapping)));
  if (options.dynamicFrom) {
    for (const event of options.dynamicFrom) mapDynamically(merged, event);
  }
  const fields = resolveAliases(merged);
  return makeSchema(fields);
}

function makeSchema(fields: ReadonlyMap<string, FieldInfo>): Schema {
  const names = [...fields.values()]
    .filter((f) => isQueryable(f))
    .map((f) => f.name)
    .sort();
  return {
    field: (name) => fields.get(name),
    fieldNames: () => names,
  };
}

const isQueryable = (f: FieldInfo): boolean =>
  f.unsupported === undefined && f.type !== "object" && f.type !== "nested";

// ---------------------------------------------------------------------------
// explicit mappings

function collectMapping(mapping: EsMapping): Collected {
  const out: Collected = { fields: new Map(), aliases: new Map(), dynamic: new Map() };
  if (isRecord(mapping.properties)) collectProperties(out, mapping.properties, "", undefined);
  // Runtime fields shadow indexed fields of the same name within one index.
  if (isRecord(mapping.runtime)) collectRuntime(out, mapping.runtime);
  return out;
}

function collectProperties(
  out: Collected,
  properties: Record<string, unknown>,
  prefix: string,
  nestedAncestor: string | undefined,
): void {
  for (const [key, raw] of Object.entries(properties)) {
    if (!isRecord(raw)) continue;
    collectField(out, prefix + key, raw, nestedAncestor);
  }
}

function collectField(
  out: Collected,
  name: string,
  def: Record<string, unknown>,
  nestedAncestor: string | undefined,
): void {
  // Without a type, a definition is an object (with or without properties).
  const esType = typeof def.type === "string" ? def.type : "object";
  const dynamic = dynamicModeOf(def.enabled === false ? false : def.dynamic);
  if (dynamic) out.dynamic.set(name, dynamic);

  if (esType === "alias") {
    if (nestedAncestor !== undefined)
      out.fields.set(name, underNested(name, "alias", "unknown", nestedAncestor));
    else if (typeof def.path === "string") out.aliases.set(name, def.path);
    else out.fields.set(name, unsupportedType(name, "alias"));
    return;
  }
  if (esType === "object" || esType === "nested") {
    out.fields.set(name, objectField(name, esType, nestedAncestor));
    const innerNested = nestedAncestor ?? (esType === "nested" ? name : undefined);
    if (isRecord(def.properties)) collectProperties(out, def.properties, `${name}.`, innerNested);
    return;
  }

  out.fields.set(name, leafField(name, esType, def, nestedAncestor));
  if (isRecord(def.fields)) collectMultiFields(out, name, def.fields, nestedAncestor);
}

function objectField(
  name: string,
  esType: "object" | "nested",
  nestedAncestor: string | undefined,
): FieldInfo {
  const info: FieldInfo = { name, type: esType, sourcePath: name };
  if (nestedAncestor !== undefined) info.unsupported = underNestedMessage(name, esType, nestedAncestor);
  else if (esType === "nested") {
    info.unsupported = `Cannot use field [${name}] type [nested] due to nested fields not being supported yet`;
  }
  return info;
}

function leafField(
  name: string,
  esType: string,
  def: Record<string, unknown>,
  nestedAncestor: string | undefined,
): FieldInfo {
  const type = TYPE_MAP[esType];
  if (type === undefined) return unsupportedType(name, esType);
  if (nestedAncestor !== undefined) return underNested(name, esType, type, nestedAncestor);
  const info: FieldInfo = { name, type, sourcePath: name };
  if (esType === "float") info.float32 = true;
  if (type === "date") info.millis = true;
  if (def.null_value !== undefined) info.nullValue = def.null_value;
  if ((type === "date" || type === "date_nanos") && typeof def.format === "string") info.format = def.format;
  if (type === "text") {
    const sub = exactSubfield(def.fields);
    if (sub !== undefined) info.keywordSubfield = `${name}.${sub}`;
    else info.unsupported = noExactMatchMessage(name);
  }
  return info;
}

/** Multi-fields index the parent's value again, so they read from the parent's place in the event. */
function collectMultiFields(
  out: Collected,
  parent: string,
  fields: Record<string, unknown>,
  nestedAncestor: string | undefined,
): void {
  for (const [sub, raw] of Object.entries(fields)) {
    if (!isRecord(raw) || typeof raw.type !== "string") continue;
    const info = leafField(`${parent}.${sub}`, raw.type, raw, nestedAncestor);
    info.sourcePath = parent;
    out.fields.set(info.name, info);
  }
}

/** The first keyword-family sub-field of a text field: what EQL compares exactly. */
function exactSubfield(fields: unknown): string | undefined {
  if (!isRecord(fields)) return undefined;
  for (const [sub, raw] of Object.entries(fields)) {
    if (isRecord(raw) && typeof raw.type === "string" && STRING_TYPES.includes(raw.type)) return sub;
  }
  return undefined;
}

function collectRuntime(out: Collected, runtime: Record<string, unknown>): void {
  for (const [name, raw] of Object.entries(runtime)) {
    if (!isRecord(raw) || typeof raw.type !== "string") continue;
    if (raw.type === "composite" && isRecord(raw.fields)) {
      // A composite runtime field emits several sub-fields; only those are queryable.
      for (const [sub, subDef] of Object.entries(raw.fields)) {
        if (isRecord(subDef) && typeof subDef.type === "string") {
          out.fields.set(`${name}.${sub}`, leafField(`${name}.${sub}`, subDef.type, subDef, undefined));
        }
      }
      continue;
    }
    out.fields.set(name, leafField(name, raw.type, raw, undefined));
  }
}

function mergeFirstWins(into: Collected, from: Collected): void {
  for (const [name, info] of from.fields) {
    if (!into.fields.has(name) && !into.aliases.has(name)) into.fields.set(name, info);
  }
  for (const [name, path] of from.aliases) {
    if (!into.fields.has(name) && !into.aliases.has(name)) into.aliases.set(name, path);
  }
  for (const [path, mode] of from.dynamic) if (!into.dynamic.has(path)) into.dynamic.set(path, mode);
}

/** An alias reads its target: same type and value, its own name. */
function resolveAliases(collected: Collected): Map<string, FieldInfo> {
  const fields = new Map(collected.fields);
  for (const [name, path] of collected.aliases) {
    const target = collected.fields.get(path);
    if (!target || target.type === "object" || target.type === "nested") {
      // Elasticsearch refuses such an alias when the mapping is created; here it just cannot be queried.
      fields.set(name, unsupportedType(name, "alias"));
      continue;
    }
    fields.set(name, aliasOf(name, path, target));
  }
  return fields;
}

function aliasOf(name: string, path: string, target: FieldInfo): FieldInfo {
  const info: FieldInfo = { ...target, name, sourcePath: target.sourcePath };
  if (target.unsupported === undefined) return info;
  // The problem is reported under the name the query used.
  info.unsupported =
    target.type === "text" && target.keywordSubfield === undefined
      ? noExactMatchMessage(name)
      : target.unsupported.replaceAll(`[${path}]`, `[${name}]`);
  return info;
}

// ---------------------------------------------------------------------------
// unsupported fields, worded as Elasticsearch words them

const unsupportedType = (name: string, esType: string): FieldInfo => ({
  name,
  type: "unknown",
  sourcePath: name,
  unsupported: `Cannot use field [${name}] with unsupported type [${esType}]`,
});

const underNested = (name: string, esType: string, type: EqlType, nestedAncestor: string): FieldInfo => ({
  name,
  type,
  sourcePath: name,
  unsupported: underNestedMessage(name, esType, nestedAncestor),
});

const underNestedMessage = (name: string, type: string, nestedAncestor: string): string =>
  `Cannot use field [${name}] type [${type}] with unsupported nested type in hierarchy (field [${nestedAncestor}])`;

/** Elasticsearch names only the last path segment here. */
const noExactMatchMessage = (name: string): string =>
  `No keyword/multi-field defined exact matches for [${name.slice(name.lastIndexOf(".") + 1)}]; define one or use MATCH/QUERY instead`;

// ---------------------------------------------------------------------------
// dynamic mapping: fields found in documents but not in any mapping

function dynamicModeOf(value: unknown): DynamicMode | undefined {
  if (value === undefined || value === null) return undefined;
  const s = String(value);
  return s === "true" || s === "false" || s === "strict" || s === "runtime" ? s : undefined;
}

/**
 * With several indices the dynamic setting is only honoured when they agree;
 * otherwise at least one index would have mapped the field.
 */
function rootDynamicMode(mappings: EsMapping[]): DynamicMode {
  const modes = mappings.map((m) => dynamicModeOf(m.dynamic) ?? "true");
  return modes.length > 0 && modes.every((m) => m === modes[0]) ? modes[0] : "true";
}

/** The `dynamic` setting in force at a path: the nearest object that sets one. */
function effectiveDynamic(collected: Collected, parentPath: string): DynamicMode {
  for (let p = parentPath; p !== ""; p = p.includes(".") ? p.slice(0, p.lastIndexOf(".")) : "") {
    const mode = collected.dynamic.get(p);
    if (mode) return mode;
  }
  return collected.dynamic.get("") ?? "true";
}

function mapDynamically(collected: Collected, event: Record<string, unknown>): void {
  walkObject(collected, event, "");
}

function walkObject(collected: Collected, obj: Record<string, unknown>, prefix: string): void {
  for (const [key, value] of Object.entries(obj)) {
    // A dotted key is the same field as the nested objects it spells out.
    const segments = key.split(".");
    let path = prefix;
    let blocked = false;
    for (const segment of segments.slice(0, -1)) {
      path = path ? `${path}.${segment}` : segment;
      if (!ensureObject(collected, path)) {
        blocked = true;
        break;
      }
    }
    if (blocked) continue;
    const last = segments[segments.length - 1];
    walkValue(collected, value, path ? `${path}.${last}` : last);
  }
}

function walkValue(collected: Collected, value: unknown, path: string): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    for (const element of value) walkValue(collected, element, path);
    return;
  }
  if (isRecord(value)) {
    if (ensureObject(collected, path)) walkObject(collected, value, path);
    return;
  }
  if (collected.fields.has(path) || collected.aliases.has(path)) return;
  const parent = path.includes(".") ? path.slice(0, path.lastIndexOf(".")) : "";
  const nested = nestedAncestorOf(collected, path);
  if (nested !== undefined) {
    const info = inferDynamic(path, value, "true");
    if (info) collected.fields.set(path, underNested(path, info.type, info.type, nested));
    return;
  }
  const mode = effectiveDynamic(collected, parent);
  if (mode === "false" || mode === "strict") return;
  const info = inferDynamic(path, value, mode);
  if (!info) return;
  collected.fields.set(path, info);
  if (info.keywordSubfield) {
    collected.fields.set(info.keywordSubfield, {
      name: info.keywordSubfield,
      type: "keyword",
      sourcePath: path,
    });
  }
}

/**
 * Makes sure `path` can hold sub-fields; false when it is already a leaf field
 * (Elasticsearch would reject such a document) or must not grow new fields.
 */
function ensureObject(collected: Collected, path: string): boolean {
  const existing = collected.fields.get(path);
  if (existing) return existing.type === "object" || existing.type === "nested";
  if (collected.aliases.has(path)) return false;
  const parent = path.includes(".") ? path.slice(0, path.lastIndexOf(".")) : "";
  const mode = effectiveDynamic(collected, parent);
  if (mode === "false" || mode === "strict") return false;
  const nested = nestedAncestorOf(collected, path);
  collected.fields.set(path, objectField(path, "object", nested));
  return true;
}

function nestedAncestorOf(collected: Collected, path: string): string | undefined {
  const segments = path.split(".");
  for (let i = 1; i < segments.length; i++) {
    const ancestor = segments.slice(0, i).join(".");
    if (collected.fields.get(ancestor)?.type === "nested") return ancestor;
  }
  return undefined;
}

/** The field Elasticsearch creates for the first non-null value it sees at a new path. */
function inferDynamic(path: string, value: unknown, mode: DynamicMode): FieldInfo | undefined {
  const field = (type: EqlType): FieldInfo => ({ name: path, type, sourcePath: path });
  switch (typeof value) {
    case "boolean":
      return field("boolean");
    case "number":
      // Runtime fields only come as long and double.
      if (Number.isInteger(value)) return field("long");
      return mode === "runtime" ? field("double") : { ...field("float"), float32: true };
    case "bigint":
      return field("long");
    case "string": {
      const format = detectDateFormat(value);
      if (format !== undefined) return { ...field("date"), format, millis: true };
      if (mode === "runtime") return field("keyword");
      return { ...field("text"), keywordSubfield: `${path}.keyword` };
    }
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------
// date detection with Elasticsearch's default dynamic_date_formats

/** `strict_date_optional_time`: a 4-digit year, then optionally month, day, time, fraction, zone. */
const ISO_DATE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?$/;
/** `yyyy/MM/dd HH:mm:ss Z||yyyy/MM/dd Z`; the zone is optional in practice (`2015/09/02` is detected). */
const SLASH_DATE = /^(\d{4})\/(\d{2})\/(\d{2})(?: (\d{2}):(\d{2}):(\d{2}))?(?: ?(?:Z|[+-]\d{2}:?\d{2}))?$/;

export const DYNAMIC_DATE_FORMATS = [
  "strict_date_optional_time",
  "yyyy/MM/dd HH:mm:ss Z||yyyy/MM/dd Z",
] as const;

/** The dynamic date format a string matches, if Elasticsearch's date detection would map it as a date. */
export function detectDateFormat(s: string): string | undefined {
  const iso = ISO_DATE.exec(s);
  if (iso && validParts(iso)) return DYNAMIC_DATE_FORMATS[0];
  const slash = SLASH_DATE.exec(s);
  if (slash && validParts(slash)) return DYNAMIC_DATE_FORMATS[1];
  return undefined;
}

function validParts(m: RegExpExecArray): boolean {
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) =>
    m[i] === undefined ? undefined : Number(m[i]),
  );
  if (month !== undefined && (month < 1 || month > 12)) return false;
  if (day !== undefined && (day < 1 || day > daysInMonth(year!, month!))) return false;
  if (hour !== undefined && hour > 23) return false;
  if (minute !== undefined && minute > 59) return false;
  return second === undefined || second <= 59;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
