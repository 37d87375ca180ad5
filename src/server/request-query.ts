import { HttpError } from "./es-error.ts";

/**
 * The query parameters the ingest routes read, checked before anything of the request is
 * taken: a parameter given twice comes as an array, and finding that out after the events
 * were accepted answered 500 to a request whose events had run (a retry ran them again).
 *
 * A list parameter (`filter_path`) given more than once is one comma list, as Elasticsearch
 * reads its list parameters; any other parameter given more than once is a 400 naming it.
 */
type Query = Record<string, string | string[] | undefined> | undefined;

export function listParam(query: unknown, name: string): string | undefined {
  const value = (query as Query)?.[name];
  return Array.isArray(value) ? value.join(",") : value;
}

export function singleParam(query: unknown, name: string): string | undefined {
  const value = (query as Query)?.[name];
  if (!Array.isArray(value)) return value;
  throw new HttpError(
    400,
    "illegal_argument_exception",
    `the query parameter [${name}] is given ${value.length} times; it takes one value`,
  );
}

/**
 * Elasticsearch's values of `refresh` (WriteRequest.RefreshPolicy.parse), compared as given: a bare
 * `?refresh` is `true`.
 */
const REFRESH_VALUES: ReadonlySet<string> = new Set(["true", "false", "wait_for", ""]);

/**
 * `?refresh=wait_for` (or `true`, or bare `refresh`): answer once the rules have seen the events.
 * Any other value than Elasticsearch's is a 400, as there: read as "do not wait", a misspelt
 * `wait_for` answered before the rules had run, and the caller looking for its alerts found none.
 */
export function waitsForRules(query: unknown): boolean {
  const refresh = singleParam(query, "refresh");
  if (refresh === undefined) return false;
  if (!REFRESH_VALUES.has(refresh))
    throw new HttpError(400, "illegal_argument_exception", `Unknown value for refresh: [${refresh}].`);
  return refresh !== "false";
}
