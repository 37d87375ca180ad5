import {
  canonicalJson,
  cloneJson,
  getOwn,
  isPlainObject,
  JsonDepthError,
  type JsonObject,
  keysNestedFirst,
  MAX_JSON_DEPTH,
  setOwn,
  TwinJoin,
} from "./json-tree.ts";

/**
 * The fields a set of documents agree on — what the shell alert of a sequence says
 * about all of its events at once (same host, same container, same user …).
 *
 * As Kibana does it: a field is kept when every document has it with the same
 * value; arrays (and an array against a single value) keep the values common to
 * all, possibly none (`[]`); differing scalars, and objects against non-objects,
 * are dropped; objects are intersected field by field and vanish when nothing
 * is left. `{"user.id": …}` and `{"user": {"id": …}}` are the same field; the
 * result is nested, except that a field written with a dotted key in every
 * document keeps its dotted key (so `kibana.alert.original_event.action` stays
 * one key). Two deliberate differences: Kibana compares array elements by
 * reference, so objects inside arrays never survive; here equal objects do.
 * And a document that writes a field both ways has both values (TwinJoin),
 * which are intersected as an array; Kibana intersects the two keys apart.
 */
export function intersectDocuments(docs: readonly JsonObject[]): JsonObject | undefined {
  if (docs.length === 0) return undefined;
  if (docs.length === 1) return cloneJson(docs[0]) as JsonObject;
  const normalized = docs.map(normalize);
  let common: JsonObject | undefined = normalized[0].tree;
  for (let i = 1; i < normalized.length && common !== undefined; i++) {
    common = intersectObjects(common, normalized[i].tree, 0);
  }
  if (common === undefined) return undefined;
  const dottedEverywhere = (path: string) => normalized.every((n) => n.dotted.has(path));
  const out: JsonObject = {};
  for (const [path, value] of leaves(common)) {
    const key = path.join(".");
    if (dottedEverywhere(key)) setOwn(out, key, value);
    else setPath(out, path, value);
  }
  return out;
}

interface Normalized {
  /** the document with every dotted key expanded into nested objects */
  tree: JsonObject;
  /** leaf paths whose last key was written with dots */
  dotted: Set<string>;
}

function normalize(doc: JsonObject): Normalized {
  const tree: JsonObject = {};
  const dotted = new Set<string>();
  const twins = new TwinJoin();
  const walk = (object: JsonObject, prefix: string[], depth: number) => {
    if (depth > MAX_JSON_DEPTH) throw new JsonDepthError();
    for (const key of keysNestedFirst(object)) {
      const value = object[key];
      const path = [...prefix, ...key.split(".")];
      if (isPlainObject(value)) {
        walk(value, path, depth + 1);
      } else if (value !== undefined) {
        // a field written both dotted and nested has both values, as matching sees it
        const twin = leafAt(tree, path);
        setPath(tree, path, twin === undefined ? value : twins.join(path.join("."), twin, value));
        if (key.includes(".")) dotted.add(path.join("."));
      }
    }
  };
  walk(doc, [], 0);
  return { tree, dotted };
}

/** The value at `path` when it is not an object, else undefined. */
function leafAt(tree: JsonObject, path: readonly string[]): unknown {
  let value: unknown = tree;
  for (const key of path) {
    if (!isPlainObject(value)) return undefined;
    value = getOwn(value, key);
  }
  return isPlainObject(value) ? undefined : value;
}

/** Writes `value` at `path`, creating (or replacing non-object values with) objects on the way. */
function setPath(target: JsonObject, path: readonly string[], value: unknown): void {
  let node = target;
  for (let i = 0; i < path.length - 1; i++) {
    const next = Object.hasOwn(node, path[i]) ? node[path[i]] : undefined;
    if (isPlainObject(next)) {
      node = next;
    } else {
      const created: JsonObject = {};
      setOwn(node, path[i], created);
      node = created;
    }
  }
  setOwn(node, path[path.length - 1], value);
}

function intersectObjects(a: JsonObject, b: JsonObject, depth: number): JsonObject | undefined {
  if (depth > MAX_JSON_DEPTH) throw new JsonDepthError();
  const out: JsonObject = {};
  let kept = 0;
  for (const key of Object.keys(a)) {
    if (!Object.hasOwn(b, key)) continue;
    const value = intersectValues(a[key], b[key], depth + 1);
    if (value === undefined) continue;
    setOwn(out, key, value);
    kept++;
  }
  return kept === 0 ? undefined : out;
}

function intersectValues(a: unknown, b: unknown, depth: number): unknown {
  if (isPlainObject(a) && isPlainObject(b)) return intersectObjects(a, b, depth);
  if (a === b) return cloneJson(a);
  if (Array.isArray(a) || Array.isArray(b)) {
    const left = Array.isArray(a) ? a : [a];
    const right = new Set((Array.isArray(b) ? b : [b]).map(elementKey));
    const common: unknown[] = [];
    const taken = new Set<string>();
    for (const element of left) {
      const key = elementKey(element);
      if (right.has(key) && !taken.has(key)) {
        taken.add(key);
        common.push(cloneJson(element));
      }
    }
    return common;
  }
  return undefined;
}

/** Array elements are equal when their JSON is: 1 and "1" differ, equal objects match. */
function elementKey(value: unknown): string {
  return canonicalJson(value);
}

function* leaves(object: JsonObject, prefix: string[] = []): Generator<[string[], unknown]> {
  for (const key of Object.keys(object)) {
    const value = object[key];
    const path = [...prefix, key];
    if (isPlainObject(value)) yield* leaves(value, path);
    else yield [path, value];
  }
}
