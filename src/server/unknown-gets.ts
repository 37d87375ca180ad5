import { type EsErrorBody, esError } from "./es-error.ts";

/**
 * The first path segments of Elasticsearch's own APIs. A GET under one of them reaches a handler
 * there, which answers for the resource (often a 404 for one that does not exist); eqlite keeps
 * the 404 it has always answered them, as "not here": shippers probe these before sending
 * (`/_alias/x`, `/_security/_authenticate`, `/_cat/indices`, `/_enrich/policy/x`…), and a client that
 * reads a 404 as "missing, create it" would read a 400 as a failed setup and stop.
 */
const ES_API_ROOTS: ReadonlySet<string> = new Set([
  "_alias",
  "_aliases",
  "_analyze",
  "_application",
  "_autoscaling",
  "_cache",
  "_capabilities",
  "_cat",
  "_ccr",
  "_cluster",
  "_component_template",
  "_connector",
  "_dangling",
  "_data_stream",
  "_enrich",
  "_features",
  "_field_caps",
  "_fleet",
  "_flush",
  "_forcemerge",
  "_graph",
  "_health_report",
  "_ilm",
  "_index_template",
  "_inference",
  "_info",
  "_ingest",
  "_internal",
  "_license",
  "_lifecycle",
  "_logstash",
  "_mapping",
  "_migration",
  "_ml",
  "_monitoring",
  "_nodes",
  "_query_rules",
  "_recovery",
  "_refresh",
  "_reindex",
  "_remote",
  "_render",
  "_resolve",
  "_rollup",
  "_script_context",
  "_script_language",
  "_scripts",
  "_searchable_snapshots",
  "_security",
  "_segments",
  "_settings",
  "_shard_stores",
  "_slm",
  "_snapshot",
  "_ssl",
  "_stats",
  "_streams",
  "_synonyms",
  "_tasks",
  "_template",
  "_text_structure",
  "_transform",
  "_validate",
  "_watcher",
  "_xpack",
]);

export interface Answer {
  status: number;
  body: unknown;
}

/**
 * What a GET eqlite has no handler for is answered, as Elasticsearch answers the same path:
 *
 * - `/{name}`: Elasticsearch's get-index API, for an index it does not have: 404
 *   `index_not_found_exception`. (HEAD says every index exists, so that setup is skipped; a GET
 *   asks for its mappings and settings, which eqlite does not keep.)
 * - `/{name}/_{api}…`: an index's API (`_mapping`, `_settings`, `_alias`, `_stats`…), and under
 *   one of Elasticsearch's API roots: 404, as before (see ES_API_ROOTS).
 * - `/api/…`: eqlite's own API, absent without `--data-dir`: 404.
 * - anything else (`/system/events`, `/elastic/prod/_bulk`, `/_nothing/x`): no handler in
 *   Elasticsearch either: 400 "no handler found", as a write to it is answered.
 *
 * `path` is the path within the Elasticsearch surface (under `--path-prefix`, without it); `uri`
 * is the request's, as the message quotes it.
 */
export function unknownGetAnswer(path: string, uri: string): Answer {
  const segments = path.split("/").filter((s) => s !== "");
  const [first = "", second] = segments;
  if (first === "api") return notHere(path);
  if (first.startsWith("_")) {
    if (ES_API_ROOTS.has(first)) return notHere(path);
    // a single segment is an index name to Elasticsearch's get-index API, whatever it starts with
    if (segments.length === 1) return indexNotFound(first);
    return noHandler(uri);
  }
  if (segments.length === 1) return indexNotFound(first);
  if (second.startsWith("_")) return notHere(path);
  return noHandler(uri);
}

function notHere(path: string): Answer {
  return { status: 404, body: esError(404, "resource_not_found_exception", `eqlite has no ${path}`) };
}

function noHandler(uri: string): Answer {
  return {
    status: 400,
    body: esError(400, "illegal_argument_exception", `no handler found for uri [${uri}] and method [GET]`),
  };
}

/** Elasticsearch's answer for an index it does not have, with the fields its clients read the name from. */
export function indexNotFound(name: string): Answer {
  const body: EsErrorBody = esError(404, "index_not_found_exception", `no such index [${decode(name)}]`);
  const detail = {
    "resource.type": "index_or_alias",
    "resource.id": decode(name),
    index_uuid: "_na_",
    index: decode(name),
  };
  Object.assign(body.error, detail);
  Object.assign(body.error.root_cause[0], detail);
  return { status: 404, body };
}

/** The name as Elasticsearch reads it: the path segment URL-decoded (`%3Clogs-%7Bnow%2Fd%7D%3E`). */
function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
