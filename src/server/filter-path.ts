import { isPlainObject, setOwn } from "../engine/json-tree.ts";
import { compileSimpleMatch } from "../eql/simple-match.ts";

/**
 * Elasticsearch's `filter_path` response filtering, the part shippers use: comma-separated
 * dotted paths whose segments may hold `*` wildcards, arrays looked through.
 * libbeat and Logstash ask for `errors,items.*.error,items.*.status`, which shrinks a
 * 1,600-item bulk response to a few kilobytes.
 */
export function filterPath(value: unknown, filter: string | undefined): unknown {
  const paths = compileFilterPath(filter);
  return paths ? (pickPaths(value, paths) ?? {}) : value;
}

/** A filter's paths, each a list of segment matchers. */
export type FilterPaths = Segment[][];
type Segment = (key: string) => boolean;

/** The paths of a `filter_path`, or undefined when it keeps everything (absent or blank). */
export function compileFilterPath(filter: string | undefined): FilterPaths | undefined {
  if (filter === undefined || filter.trim() === "") return undefined;
  return filter
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "")
    .map((p) => p.split(".").map((segment) => compileSimpleMatch(segment)));
}

/** The paths that go on below `key`: none when nothing under it is kept, an empty one when all of it is. */
export function pathsUnder(paths: FilterPaths, key: string): FilterPaths {
  return paths.filter((p) => p[0](key)).map((p) => p.slice(1));
}

/** What `paths` keep of `value`; undefined when nothing. Arrays are looked through element by element. */
export function pickPaths(value: unknown, paths: FilterPaths): unknown {
  if (paths.some((p) => p.length === 0)) return value;
  if (Array.isArray(value)) {
    const kept = value.map((v) => pickPaths(v, paths)).filter((v) => v !== undefined);
    return kept.length ? kept : undefined;
  }
  if (!isPlainObject(value)) return undefined;
  const out: Record<string, unknown> = {};
  let any = false;
  for (const key of Object.keys(value)) {
    const rest = pathsUnder(paths, key);
    if (rest.length === 0) continue;
    const picked = pickPaths(value[key], rest);
    if (picked === undefined) continue;
    setOwn(out, key, picked);
    any = true;
  }
  return any ? out : undefined;
}
