import { DateMathError, parseDateMath } from "../engine/date-math.ts";
import { suggest } from "../eql/suggest.ts";
import { parseDateValue } from "../eql/value-compare.ts";
import {
  type AlertCursor,
  type AlertQuery,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  MAX_RESULT_WINDOW,
  SEVERITIES,
  WORKFLOW_STATUSES,
  type WorkflowStatus,
} from "./store.ts";

/**
 * The query string of `GET /api/alerts`, checked and turned into an AlertQuery.
 *
 *   rule=ID_OR_NAME  severity=high,critical  host=NAME  status=open,acknowledged
 *   since=DATE  until=DATE   (on kibana.alert.original_time; since inclusive, until exclusive;
 *                             ISO 8601, epoch milliseconds, or date math: now, now-1h, now/d)
 *   building_blocks=include|exclude|only
 *   size=1..500 (default 50)  from=OFFSET (from + size ≤ 10,000)  search_after=CURSOR
 *
 * Lists may be given comma-separated or by repeating the parameter. Anything
 * else — an unknown name, a bad value, a single-valued parameter given twice —
 * is a QueryParamError naming the parameter and what it accepts.
 */

export class QueryParamError extends Error {
  readonly statusCode = 400;
  constructor(message: string) {
    super(message);
    this.name = "QueryParamError";
  }
}

const PARAMS = [
  "rule",
  "severity",
  "host",
  "status",
  "since",
  "until",
  "building_blocks",
  "size",
  "from",
  "search_after",
] as const;
const BUILDING_BLOCKS = ["include", "exclude", "only"] as const;

export function parseAlertQuery(params: Record<string, unknown>, nowMs: number = Date.now()): AlertQuery {
  for (const name of Object.keys(params))
    if (!(PARAMS as readonly string[]).includes(name))
      throw new QueryParamError(
        `unknown query parameter [${name}]${suggest(name, PARAMS) || `; expected one of ${PARAMS.join(", ")}`}`,
      );
  const query: AlertQuery = {};
  const rule = single(params, "rule");
  if (rule !== undefined) query.rule = rule;
  const host = single(params, "host");
  if (host !== undefined) query.host = host;
  const severity = oneOfList(params, "severity", SEVERITIES);
  if (severity) query.severity = severity;
  const status = oneOfList(params, "status", WORKFLOW_STATUSES);
  if (status) query.status = status as WorkflowStatus[];
  const since = date(params, "since", nowMs);
  if (since !== undefined) query.since = since;
  const until = date(params, "until", nowMs);
  if (until !== undefined) query.until = until;
  if (since !== undefined && until !== undefined && since >= until)
    throw new QueryParamError(`since (${params.since}) must be before until (${params.until})`);
  const blocks = single(params, "building_blocks");
  if (blocks !== undefined) {
    if (!(BUILDING_BLOCKS as readonly string[]).includes(blocks))
      throw new QueryParamError(
        `building_blocks must be one of ${BUILDING_BLOCKS.join(", ")}, not [${blocks}]`,
      );
    query.buildingBlocks = blocks as AlertQuery["buildingBlocks"];
  }
  const size = integer(params, "size", 1, MAX_PAGE_SIZE);
  if (size !== undefined) query.size = size;
  const from = integer(params, "from", 0, MAX_RESULT_WINDOW);
  if (from !== undefined) query.from = from;
  if ((from ?? 0) + (size ?? DEFAULT_PAGE_SIZE) > MAX_RESULT_WINDOW)
    throw new QueryParamError(
      `from + size must be at most ${MAX_RESULT_WINDOW}; page further with search_after (each page's next_search_after)`,
    );
  const after = single(params, "search_after");
  if (after !== undefined) {
    if (query.from) throw new QueryParamError("from and search_after cannot be used together");
    query.searchAfter = decodeCursor(after);
  }
  return query;
}

/** The `next_search_after` of a page: the last alert's original time (ms) and id. */
export const encodeCursor = (cursor: AlertCursor): string => `${cursor.time}:${cursor.id}`;

export function decodeCursor(text: string): AlertCursor {
  const match = /^(-?\d{1,16}):(.+)$/.exec(text);
  if (!match)
    throw new QueryParamError(`search_after must be the next_search_after of a previous page, not [${text}]`);
  return { time: Number(match[1]), id: match[2] };
}

function values(params: Record<string, unknown>, name: string): string[] | undefined {
  const raw = params[name];
  if (raw === undefined) return undefined;
  return (Array.isArray(raw) ? raw : [raw]).map(String);
}

function single(params: Record<string, unknown>, name: string): string | undefined {
  const all = values(params, name);
  if (all === undefined) return undefined;
  if (all.length > 1)
    throw new QueryParamError(`${name} may be given once, it was given ${all.length} times`);
  if (all[0] === "") throw new QueryParamError(`${name} is empty`);
  return all[0];
}

function oneOfList(
  params: Record<string, unknown>,
  name: string,
  allowed: readonly string[],
): string[] | undefined {
  const all = values(params, name);
  if (all === undefined) return undefined;
  const list = all
    .flatMap((v) => v.split(","))
    .map((v) => v.trim().toLowerCase())
    .filter(Boolean);
  if (list.length === 0) throw new QueryParamError(`${name} is empty; expected any of ${allowed.join(", ")}`);
  for (const v of list)
    if (!allowed.includes(v))
      throw new QueryParamError(`${name} [${v}] is not one of ${allowed.join(", ")}${suggest(v, allowed)}`);
  return [...new Set(list)];
}

function date(params: Record<string, unknown>, name: string, nowMs: number): number | undefined {
  const text = single(params, name);
  if (text === undefined) return undefined;
  const ns = text.startsWith("now") || text.includes("||") ? dateMath(text, nowMs) : parseDateValue(text);
  if (ns === null)
    throw new QueryParamError(
      `${name} [${text}] is not a date; use ISO 8601 (2026-09-01T10:00:00Z), epoch milliseconds or date math (now-1h, now/d)`,
    );
  return Number(ns / 1_000_000n);
}

function dateMath(text: string, nowMs: number): bigint | null {
  try {
    // rounded down for until too: it is exclusive, as Elasticsearch rounds for `lt`
    return parseDateMath(text, BigInt(nowMs) * 1_000_000n);
  } catch (error) {
    if (error instanceof DateMathError) return null;
    throw error;
  }
}

function integer(
  params: Record<string, unknown>,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const text = single(params, name);
  if (text === undefined) return undefined;
  const n = /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= min && n <= max))
    throw new QueryParamError(`${name} must be a whole number from ${min} to ${max}, not [${text}]`);
  return n;
}
