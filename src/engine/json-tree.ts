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
 * The value of a field a document writes twice, as a dotted key and through nested objects
 * (`{"event.action": "a", "event": {"action": "b"}}`). Elasticsearch indexes both as one
 * multi-valued field, and the field getter reads both, so a copy keeps both: the value once
 * when the two are equal, else the values of the first followed by those of the second
 * (`["b", "a"]`). A null is no value and gives way to the other.
 */
export function twinValues(first: unknown, second: unknown): unknown {
  if (first === undefined || first === null) return second;
  if (second === undefined || second === null) return first;
  if (canonicalJson(first) === canonicalJson(second)) return first;
  return [...(Array.isArray(first) ? first : [first]), ...(Array.isArray(second) ? second : [second])];
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
 * A path written twice keeps both values (twinValues), nested first. `seen` holds
 * the paths this flattening wrote, which are the only ones it joins values on.
 */
export function flattenInto(
  target: JsonObject,
  prefix: string,
  value: unknown,
  depth = 0,
  seen: Set<string> = new Set(),
): void {
  if (depth > MAX_JSON_DEPTH) throw new JsonDepthError();
  if (!isPlainObject(value)) {
    if (value === undefined) return;
    const copy = cloneJson(value, depth);
    setOwn(target, prefix, seen.has(prefix) ? twinValues(getOwn(target, prefix), copy) : copy);
    seen.add(prefix);
    return;
  }
  for (const key of keysNestedFirst(value))
    flattenInto(target, `${prefix}.${key}`, value[key], depth + 1, seen);
}
