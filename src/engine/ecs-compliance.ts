import ipaddr from "ipaddr.js";
import { parseTimestamp } from "../eql/timestamp.ts";
import { ecsFields } from "../rules/field-catalog.ts";
import { isPlainObject, type JsonObject, setOwn } from "./json-tree.ts";

/**
 * What of a source document an alert can keep. The alerts index maps the ECS fields, so a
 * source value ECS types otherwise (`"process": "bash"`, `"process.pid": "n/a"`, an object
 * under the keyword `host.name`) would make Elasticsearch refuse the whole alert. Kibana
 * removes such fields from the alert before writing it, and so does eqlite, judging as Kibana
 * does: any value where ECS has no field; an object where ECS has an object, a scalar where
 * it has a scalar; numbers (or numeric strings) for numeric fields; an address or CIDR block
 * for `ip`; a number or an ISO-8601 date for dates; `true`, `false` or `""` for booleans.
 * Each element of an array is judged alone, and an array or object left empty goes too.
 * Matching and the alert's reason and overrides still see the event whole.
 */

/** Types whose value is an object; a geo_point may also be a string or an array. */
const OBJECT_TYPES: ReadonlySet<string> = new Set(["object", "flattened", "geo_point", "nested"]);
const LONG_TYPES: ReadonlySet<string> = new Set(["long", "integer", "short", "byte", "unsigned_long"]);
const NUMBER_TYPES: ReadonlySet<string> = new Set(["float", "double", "half_float", "scaled_float"]);

interface EcsShape {
  /** the type of every ECS field but multi-fields, which are no place in a document */
  leaves: Map<string, string>;
  /** every path that holds ECS fields below it (`process`, `process.parent`) */
  parents: Set<string>;
}

let shape: EcsShape | undefined;
function ecsShape(): EcsShape {
  if (shape) return shape;
  const types = new Map(ecsFields());
  const leaves = new Map<string, string>();
  const parents = new Set<string>();
  for (const [name, type] of types) {
    const dot = name.lastIndexOf(".");
    const parentType = dot < 0 ? undefined : types.get(name.slice(0, dot));
    if (parentType !== undefined && !OBJECT_TYPES.has(parentType)) continue;
    leaves.set(name, type);
    for (let i = name.indexOf("."); i >= 0; i = name.indexOf(".", i + 1)) parents.add(name.slice(0, i));
  }
  shape = { leaves, parents };
  return shape;
}

const isKnown = (path: string): boolean => ecsShape().leaves.has(path) || ecsShape().parents.has(path);

function holdsObjects(path: string): boolean {
  const type = ecsShape().leaves.get(path);
  return ecsShape().parents.has(path) || (type !== undefined && OBJECT_TYPES.has(type));
}

const isNumeric = (value: unknown): boolean =>
  typeof value === "number" || (typeof value === "string" && !Number.isNaN(Number(value)));

function isIp(value: unknown): boolean {
  if (typeof value !== "string") return false;
  if (ipaddr.isValid(value)) return true;
  try {
    ipaddr.parseCIDR(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * ISO-8601 as `strict_date_optional_time` reads it: the date may stop after its year or month,
 * the time after its `T`, hour or minute; a fraction may follow a dot or a comma.
 */
const OPTIONAL_TIME =
  /^\d{4}(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01])(?:T(?:([01]\d|2[0-3])(?::[0-5]\d(?::[0-5]\d(?:[.,]\d{1,9})?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?)?$/;

/**
 * A date as the ECS mapping's `strict_date_optional_time||epoch_millis` reads it: a number, or an
 * ISO-8601 date, which may stop at any of its parts (`2026-03`, `2026-03-02T`, `2026-03-02T10`),
 * or what else the event reader takes as a timestamp.
 */
function isDate(value: unknown): boolean {
  if (isNumeric(value)) return true;
  if (typeof value !== "string") return false;
  return OPTIONAL_TIME.test(value) || parseTimestamp(value) !== null;
}

function fitsType(type: string, value: unknown): boolean {
  if (LONG_TYPES.has(type)) return !(typeof value === "string" && value.includes(" ")) && isNumeric(value);
  if (NUMBER_TYPES.has(type)) return isNumeric(value);
  switch (type) {
    case "ip":
      return isIp(value);
    case "date":
    case "date_nanos":
      return isDate(value);
    case "boolean":
      return value === true || value === false || value === "true" || value === "false" || value === "";
    default:
      return true;
  }
}

/** Whether ECS can hold `value` at `path` (one element at a time for arrays). */
export function fitsEcs(path: string, value: unknown): boolean {
  // Below a scalar ECS field there is no room for anything (`host.name.first`).
  for (let i = path.indexOf("."); i >= 0; i = path.indexOf(".", i + 1)) {
    const parent = path.slice(0, i);
    if (isKnown(parent) && !holdsObjects(parent)) return false;
  }
  const type = ecsShape().leaves.get(path);
  if (type === "nested") return Array.isArray(value) ? value.every(isPlainObject) : isPlainObject(value);
  if (!isKnown(path) || type === "geo_point") return true;
  if (type !== undefined && !fitsType(type, value)) return false;
  return holdsObjects(path) === isPlainObject(value);
}

/**
 * Removes, in place, every field of `doc` that ECS cannot hold, dotted or nested alike, and
 * returns the paths removed (a path once per value removed).
 */
export function dropNonEcsFields(doc: JsonObject, path = "", removed: string[] = []): string[] {
  for (const key of Object.keys(doc)) {
    const value = doc[key];
    const fieldPath = path === "" ? key : `${path}.${key}`;
    if (Array.isArray(value)) {
      const kept = keptElements(value, fieldPath, removed);
      if (kept.length > 0) setOwn(doc, key, kept);
      else delete doc[key];
    } else if (!fitsEcs(fieldPath, value)) {
      delete doc[key];
      removed.push(fieldPath);
    } else if (isPlainObject(value)) {
      dropNonEcsFields(value, fieldPath, removed);
      if (Object.keys(value).length === 0) delete doc[key];
    }
  }
  return removed;
}

function keptElements(values: unknown[], path: string, removed: string[]): unknown[] {
  return values
    .map((value) => (Array.isArray(value) ? keptElements(value, path, removed) : value))
    .filter((value) => {
      if (Array.isArray(value)) return value.length > 0;
      if (!fitsEcs(path, value)) {
        removed.push(path);
        return false;
      }
      if (!isPlainObject(value)) return true;
      dropNonEcsFields(value, path, removed);
      return Object.keys(value).length > 0;
    });
}
