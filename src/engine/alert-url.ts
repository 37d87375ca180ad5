import { DEFAULT_SPACE_ID } from "./alert-id.ts";

/**
 * Where alerts belong in Kibana: the space (part of single-event alert ids, suppression
 * instance ids and `kibana.space_ids`) and Kibana's public URL (its `server.publicBaseUrl`),
 * from which each alert gets `kibana.alert.url`, the link to its details page. Kibana writes
 * no link when it has no public URL; neither does eqlite.
 */
export interface KibanaTarget {
  spaceId?: string;
  /** as `kibanaBaseUrl` returns it */
  kibanaUrl?: string;
}

/** Kibana's rule for space ids: lowercase letters, digits, `_` and `-`. */
const SPACE_ID = /^[a-z0-9_-]+$/;

/** The space id, if Kibana would take it; else a TypeError naming the problem. */
export function checkedSpaceId(id: string): string {
  if (!SPACE_ID.test(id))
    throw new TypeError(
      `space id "${id}" may hold only lowercase letters, digits, "_" and "-" (as Kibana's space ids do)`,
    );
  return id;
}

/**
 * Kibana's public URL as alert links start with it: http or https, without credentials, a
 * query or a fragment (they would end up in every alert), and without a trailing slash.
 * Throws a TypeError naming the problem.
 */
export function kibanaBaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`"${text}" is not a URL such as https://kibana.example.com`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new TypeError(`the Kibana URL must be http or https, not ${url.protocol.slice(0, -1)}`);
  if (url.username || url.password) throw new TypeError("the Kibana URL must not hold credentials");
  if (url.search || url.hash) throw new TypeError("the Kibana URL must not have a query or a fragment");
  return url.href.replace(/\/+$/, "");
}

/**
 * A space id and a Kibana URL as given (either may be absent or empty), checked, the URL as
 * alert links start with it. `failed` makes the error for the one that is wrong, named as its
 * caller names it (a setting, a variable).
 */
export function kibanaTarget(
  given: KibanaTarget,
  failed: (field: keyof KibanaTarget, message: string) => Error,
): KibanaTarget {
  const target: KibanaTarget = {};
  const checks = { spaceId: checkedSpaceId, kibanaUrl: kibanaBaseUrl };
  for (const field of ["spaceId", "kibanaUrl"] as const) {
    const value = given[field];
    if (!value) continue;
    try {
      target[field] = checks[field](value);
    } catch (error) {
      throw failed(field, (error as Error).message);
    }
  }
  return target;
}

/**
 * `kibana.alert.url`: the security app's redirect to the alert's details, as Kibana builds it
 * (the space in the path unless it is the default one; the alerts index of the space and the
 * alert's `@timestamp` in the query, written as they are, as Kibana writes them).
 */
export function alertDetailsUrl(
  kibanaUrl: string,
  spaceId: string | undefined,
  alertId: string,
  timestamp: string,
): string {
  const space = spaceId ?? DEFAULT_SPACE_ID;
  const spacePath = space === DEFAULT_SPACE_ID ? "" : `/s/${space}`;
  return `${kibanaUrl}${spacePath}/app/security/alerts/redirect/${alertId}?index=.alerts-security.alerts-${space}&timestamp=${timestamp}`;
}
