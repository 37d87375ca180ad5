/**
 * Plain JSON values as events carry them, handled without trusting their keys.
 *
 * Events and rules come from outside: a key named `__proto__` must become an own
 * property, never a prototype, and a hostile nesting depth must fail with a clear
 * error rather than a stack overflow deep inside an alert builder.
 */

export type JsonObject = Record<string, unknown>;

/** Deeper than any real event (Elasticsearch refuses objects nested more than 20 levels by default). */
export const MAX_JSON_DEPTH = 1000;

export class JsonDepthError extends RangeError {
  constructor() {
    super(`value nests deeper than ${MAX_JSON_DEPTH} levels`);
    this.name = "JsonDepthError";
  }
}

/**
 * Whether some value inside `value` sits more than MAX_JSON_DEPTH levels down (the value
 * itself at level 0), where the walkers here stop. Iterative: the value may be as deep as
 * JSON.parse goes. A service refuses such documents at the door, as Elasticsearch refuses
 * documents past its depth limit, rather than take events it could never alert on.
 */
export function nestsTooDeep(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  const containers: object[] = [value];
  const levels: number[] = [0];
  while (containers.length > 0) {
    const container = containers.pop() as Record<string, unknown>;
    const level = levels.pop()!;
    // a container at the limit holds values one level past it: too deep unless it is empty
    if (Array.isArray(container)) {
      if (container.length > 0 && level >= MAX_JSON_DEPTH) return true;
      for (let i = 0; i < container.length; i++) {
        const child = container[i];
        if (child !== null && typeof child === "object") {
          containers.push(child);
          levels.push(level + 1);
        }
      }
      continue;
    }
    for (const key in container) {
      if (level >= MAX_JSON_DEPTH) return true;
      const child = container[key];
      if (child !== null && typeof child === "object") {
        containers.push(child);
        levels.push(level + 1);
      }
    }
  }
  return false;
}

/**
 * `nestsTooDeep` for a value parsed from `text`: nesting that deep takes at least twice as
 * many characters, so a short document needs no walk (without its text, the value is walked).
 */
export const parsedNestsTooDeep = (text: string | undefined, value: unknown): boolean =>
  (text === undefined || text.length > 2 * MAX_JSON_DEPTH) && nestsTooDeep(value);

/** Why a document nesting past what an alert can hold is refused (a bulk item, an /ingest line) or not explained. */
export const tooDeepReason = (what: string): string =>
  `the ${what} nests deeper than ${MAX_JSON_DEPTH} levels, more than an alert can hold (Elasticsearch refuses documents past 20)`;

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Sets an own, enumerable property. Plain assignment of `__proto__` would call the
 * inherited setter and replace the prototype; defining the property does not.
 */
export function setOwn(target: JsonObject, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** Own property read: inherited names such as `constructor` are not fields of an event. */
export function getOwn(source: JsonObject, key: string): unknown {
  return Object.hasOwn(source, key) ? source[key] : undefined;
}

/**
 * What JSON.stringify would keep of a value, as fresh objects and arrays: undefined
 * and functions vanish from objects (null in arrays), `toJSON` (Dates) is honoured,
 * bigints become their digits rather than throwing.
 */
export function cloneJson(value: unknown, depth = 0): unknown {
  if (depth > MAX_JSON_DEPTH) throw new JsonDepthError();
  if (value === null || typeof value !== "object") {
    if (typeof value === "bigint") return value.toString();
    if (typeof value === "number" && !Number.isFinite(value)) return null;
    return value;
  }
  const json = (value as { toJSON?: unknown }).toJSON;
  if (typeof json === "function") return cloneJson(json.call(value), depth + 1);
  if (Array.isArray(value)) {
    return value.map((element) => {
      const copy = cloneJson(element, depth + 1);
      return copy === undefined ? null : copy;
    });
  }
  const out: JsonObject = {};
  for (const key of Object.keys(value)) {
    const copy = cloneJson((value as JsonObject)[key], depth + 1);
    if (copy !== undefined && typeof copy !== "function") setOwn(out, key, copy);
  }
  return out;
}

/**
 * JSON with object keys sorted (UTF-16 code unit order) at every level and no
 * whitespace: two documents with the same content give the same text whatever
 * their key order, on any machine.
 */
export function canonicalJson(value: unknown, depth = 0): string {
  if (depth > MAX_JSON_DEPTH) throw new JsonDepthError();
  if (value === undefined || typeof value === "function" || typeof value === "symbol") return "null";
  if (typeof value === "bigint") return value.toString();
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  const json = (value as { toJSON?: unknown }).toJSON;
  if (typeof json === "function") return canonicalJson(json.call(value), depth + 1);
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v, depth + 1)).join(",")}]`;
  const parts: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const v = (value as JsonObject)[key];
    if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(v, depth + 1)}`);
  }
  return `{${parts.join(",")}}`;
}

/**
 * The values of the fields a document writes more than once, as a dotted key and through nested
 * objects (`{"event.action": "a", "event": {"action": "b"}}`). Elasticsearch indexes them as one
 * multi-valued field, and the field getter reads every one, so a copy keeps every one: the value
 * as it is while there is one, else each distinct value's values in the order read (`["b", "a"]`);
 * a null is no value and gives way. Linear in what it joins: a document can spell one field
 * thousands of ways (`a.b.c`, `a.b`+`c`, `a`+`b.c`, …), and re-reading the values joined so far
 * for each spelling made one hostile event cost minutes.
 */
export class TwinJoin {
  private readonly fields = new Map<string, { seen: Set<string>; values: unknown[] }>();
  private readonly written = new Set<string>();

  /**
   * What the field at `path` holds once `value` joins `before`, what was read of it already
   * (undefined: nothing). Once it has two distinct values, the array returned is the same one
   * each time, grown in place.
   */
  join(path: string, before: unknown, value: unknown): unknown {
    if (value === undefined || value === null) return before === undefined ? value : before;
    if (before === undefined || before === null) return value;
    let field = this.fields.get(path);
    if (field === undefined) {
      field = {
        seen: new Set([canonicalJson(before)]),
        values: Array.isArray(before) ? [...before] : [before],
      };
      this.fields.set(path, field);
    }
    const canonical = canonicalJson(value);
    if (!field.seen.has(canonical)) {
      field.seen.add(canonical);
      if (Array.isArray(value)) for (const v of value) field.values.push(v);
      else field.values.push(value);
    }
    return field.seen.size === 1 ? before : field.values;
  }

  /** Writes `value` at the dotted `path` of a flat `target`, joined with what was written there through this join. */
  write(target: JsonObject, path: string, value: unknown): void {
    setOwn(target, path, this.written.has(path) ? this.join(path, getOwn(target, path), value) : value);
    this.written.add(path);
  }
}

/**
 * An object's keys, nested objects before the dotted keys that may spell the same fields
 * (`"process"` before `"process.name"`, fewer dots first, otherwise in key order): the
 * order the field getter reads twins in, whatever order the document wrote them in.
 */
export function keysNestedFirst(object: JsonObject): string[] {
  const keys = Object.keys(object);
  if (!keys.some((key) => key.includes("."))) return keys;
  const parts = (key: string) => key.split(".").length;
  return keys.sort((a, b) => parts(a) - parts(b));
}

/**
 * Flattens an object into dotted paths under `prefix`: nested objects and dotted
 * keys (`{"a": {"b": 1}}`, `{"a.b": 1}`) give the same path; arrays are values.
 * A path written twice keeps both values (TwinJoin), nested first; `twins` joins
 * only the paths written through it.
 */
export function flattenInto(
  target: JsonObject,
  prefix: string,
  value: unknown,
  depth = 0,
  twins: TwinJoin = new TwinJoin(),
): void {
  if (depth > MAX_JSON_DEPTH) throw new JsonDepthError();
  if (!isPlainObject(value)) {
    if (value !== undefined) twins.write(target, prefix, cloneJson(value, depth));
    return;
  }
  for (const key of keysNestedFirst(value))
    flattenInto(target, `${prefix}.${key}`, value[key], depth + 1, twins);
}
