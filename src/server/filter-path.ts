import { isPlainObject, setOwn } from "../engine/json-tree.ts";

/**
 * Elasticsearch's `filter_path` response filtering, the part shippers use: comma-separated
 * dotted paths whose segments may hold `*` wildcards, arrays looked through.
 * libbeat and Logstash ask for `errors,items.*.error,items.*.status`, which shrinks a
 * 1,600-item bulk response to a few kilobytes.
 */
export function filterPath(value: unknown, filter: string | undefined): unknown {
  if (filter === undefined || filter.trim() === "") return value;
  const paths = filter
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "")
    .map((p) => p.split(".").map(segmentMatcher));
  return pick(value, paths) ?? {};
}

type Segment = (key: string) => boolean;

function pick(value: unknown, paths: Segment[][]): unknown {
  if (paths.some((p) => p.length === 0)) return value;
  if (Array.isArray(value)) {
    const kept = value.map((v) => pick(v, paths)).filter((v) => v !== undefined);
    return kept.length ? kept : undefined;
  }
  if (!isPlainObject(value)) return undefined;
  const out: Record<string, unknown> = {};
  let any = false;
  for (const key of Object.keys(value)) {
    const rest = paths.filter((p) => p[0](key)).map((p) => p.slice(1));
    if (rest.length === 0) continue;
    const picked = pick(value[key], rest);
    if (picked === undefined) continue;
    setOwn(out, key, picked);
    any = true;
  }
  return any ? out : undefined;
}

function segmentMatcher(segment: string): Segment {
  if (segment === "*") return () => true;
  if (!segment.includes("*")) return (key) => key === segment;
  const pattern = new RegExp(
    `^${segment
      .split("*")
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
    "s",
  );
  return (key) => pattern.test(key);
}
