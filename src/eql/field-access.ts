/**
 * Reading a field from a JSON event. `{"process.name": "x"}`, `{"process": {"name":
 * "x"}}` and mixes of the two are the same field, as in an Elasticsearch mapping (an event
 * that writes it several ways has all their values, a value written twice once), and
 * arrays of objects are looked through. Only own properties are read, so names such as
 * `__proto__` or `constructor` in a query never reach Object.prototype.
 */

export type Event = Record<string, unknown>;

/** The raw value at `path`: undefined when absent, an array when the field has several values. */
export type FieldGetter = (event: Event) => unknown;

/** How deep arrays holding objects are searched for a field. */
export const MAX_ARRAY_NESTING = 64;

/**
 * How long a field name may be. A getter reads a field also as any mix of dotted keys and nested
 * objects, so it prepares every run of consecutive parts as a key: a cost that grows with the
 * cube of the parts, which a name of thousands of parts turns into minutes and gigabytes.
 * Elasticsearch refuses objects nested deeper than 20 by default; real rules name at most 10
 * parts and 105 characters.
 */
export const MAX_FIELD_PARTS = 64;
export const MAX_FIELD_NAME_LENGTH = 1024;

/** Why `path` cannot be a field name, or undefined. */
export function fieldNameProblem(path: string): string | undefined {
  const parts = path.split(".").length;
  if (parts > MAX_FIELD_PARTS) return `a field name has at most ${MAX_FIELD_PARTS} parts; found ${parts}`;
  if (path.length > MAX_FIELD_NAME_LENGTH)
    return `a field name is at most ${MAX_FIELD_NAME_LENGTH} characters long; found ${path.length}`;
  return undefined;
}

const PROTOTYPE_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/** Own-property read that is only paid for on names Object.prototype also has. */
function readerFor(key: string): (o: Record<string, unknown>) => unknown {
  if (PROTOTYPE_NAMES.has(key)) return (o) => (Object.hasOwn(o, key) ? o[key] : undefined);
  return (o) => o[key];
}

export function compileFieldGetter(path: string): FieldGetter {
  const problem = fieldNameProblem(path);
  if (problem !== undefined) throw new RangeError(problem);
  const parts = path.split(".");
  const n = parts.length;
  // keys[i][k]: the key made of parts i..i+k, e.g. "entry_leader.entry_meta"; joined reads them
  const keys = parts.map((_, i) => parts.slice(i).map((__, k) => parts.slice(i, i + k + 1).join(".")));
  const joined = keys.map((run) => run.map(readerFor));
  const direct = parts.map(readerFor);

  const search = (value: unknown, i: number, depth = 0): unknown => {
    if (value === null || typeof value !== "object") return undefined;
    if (Array.isArray(value)) {
      // Objects inside arrays nested deeper than this are not looked into (no call-stack overflow).
      if (depth > MAX_ARRAY_NESTING) return undefined;
      let found: unknown[] | undefined;
      for (const element of value) {
        const v = search(element, i, depth + 1);
        if (v === undefined) continue;
        if (found) found.push(v);
        else found = [v];
      }
      return found === undefined ? undefined : found.length === 1 ? found[0] : found;
    }
    const object = value as Record<string, unknown>;
    let result: unknown;
    let several: unknown[] | undefined;
    const candidates = joined[i];
    for (let k = 0; k < candidates.length; k++) {
      const v = candidates[k](object);
      if (v === undefined) continue;
      const hit = i + k === n - 1 ? v : search(v, i + k + 1);
      if (hit === undefined) continue;
      if (result === undefined) result = hit;
      // the same value written both dotted and nested is one value, not two (a reason would say it twice)
      else if (several ? several.some((seen) => sameValue(seen, hit, 0)) : sameValue(result, hit, 0))
        continue;
      else if (several) several.push(hit);
      else several = [result, hit];
    }
    return several ?? result;
  };

  if (n === 1) {
    const read = direct[0];
    return (event) => read(event);
  }
  // dotted[i]: the keys of two parts or more that begin with part i ("process.name" for part 0
  // of "process.name"). Where one is present beside the nested object, Elasticsearch indexes the
  // values of both as one multi-valued field. None is a name of Object.prototype (they hold a dot).
  const dotted = keys.map((run) => run.slice(1));
  return (event) => {
    // Fast path: plain nesting without arrays or dotted keys, the shape of almost every ECS
    // event. Only the dotted keys that could spell the rest of this path are looked for, by
    // own-property checks, which, unlike a read of a missing key, stop at the object.
    let v: unknown = event;
    for (let i = 0; i < n; i++) {
      if (v === null || typeof v !== "object" || Array.isArray(v)) return search(event, 0);
      const object = v as Record<string, unknown>;
      v = direct[i](object);
      if (v === undefined) return search(event, 0);
      const longer = dotted[i];
      for (let k = 0; k < longer.length; k++) if (Object.hasOwn(object, longer[k])) return search(event, 0);
    }
    return v;
  };
}

/** Whether two values read from JSON are equal; past MAX_ARRAY_NESTING levels they count as different. */
function sameValue(a: unknown, b: unknown, depth: number): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (depth > MAX_ARRAY_NESTING || Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(b, key)) return false;
    if (!sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], depth + 1))
      return false;
  }
  return true;
}

/**
 * Whether `test` holds for some scalar (string, number, boolean) of a raw field
 * value, arrays flattened. Nested arrays are walked with an explicit stack: an
 * event can nest them deeper than the call stack goes.
 */
export function someValue(raw: unknown, test: (v: string | number | boolean) => boolean): boolean {
  if (raw === undefined || raw === null) return false;
  if (!Array.isArray(raw)) return typeof raw !== "object" && test(raw as string | number | boolean);
  // Most arrays hold scalars only (`event.type`, `process.args`): walked without a stack
  // until one holds an array, from where the stack takes over, in the same order.
  let i = 0;
  for (; i < raw.length; i++) {
    const v = raw[i];
    if (Array.isArray(v)) break;
    if (v !== undefined && v !== null && typeof v !== "object" && test(v as string | number | boolean))
      return true;
  }
  if (i === raw.length) return false;
  const stack: unknown[] = [];
  for (let k = raw.length - 1; k >= i; k--) stack.push(raw[k]);
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (let j = v.length - 1; j >= 0; j--) stack.push(v[j]);
    } else if (
      v !== undefined &&
      v !== null &&
      typeof v !== "object" &&
      test(v as string | number | boolean)
    ) {
      return true;
    }
  }
  return false;
}

/** The scalars of a raw value in order, arrays flattened, nulls and objects dropped. */
export function scalarValues(
  raw: unknown,
  out: Array<string | number | boolean> = [],
): Array<string | number | boolean> {
  someValue(raw, (v) => {
    out.push(v);
    return false;
  });
  return out;
}

/** Replaces explicit nulls (also inside arrays) the way a mapping's `null_value` is indexed. */
export function withNullValue(getter: FieldGetter, nullValue: unknown): FieldGetter {
  const substitute = (v: unknown, depth: number): unknown =>
    v === null
      ? nullValue
      : Array.isArray(v) && depth < MAX_ARRAY_NESTING
        ? v.map((x) => substitute(x, depth + 1))
        : v;
  return (event) => substitute(getter(event), 0);
}

/**
 * Elasticsearch's `exists`: some non-null value; `[]`, `[null]` and `{}` do not count, an
 * object with some value under it does. An explicit stack, and loops rather than spreads:
 * events can nest deeper than the call stack goes, and arrays hold more than an argument list.
 */
export function hasSomeValue(raw: unknown): boolean {
  const pending = [raw];
  while (pending.length > 0) {
    const value = pending.pop();
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const element of value) pending.push(element);
    else if (typeof value === "object") for (const v of Object.values(value)) pending.push(v);
    else return true;
  }
  return false;
}
