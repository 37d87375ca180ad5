import { createHash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import { HttpError } from "./es-error.ts";

/**
 * Who may talk to the service. Shippers authenticate the way they do against
 * Elasticsearch, so all three of its header schemes are taken:
 *
 * - `Authorization: ApiKey <base64(id:key)>` for a configured `id:key` (libbeat's
 *   `api_key`, Logstash, Fluentd, the JS client), or the configured value verbatim
 *   (Fluent Bit's `HTTP_API_Key` sends what it is given);
 * - `Authorization: Bearer <token>`;
 * - `Authorization: Basic <base64(user:password)>` for a configured `user:password`
 *   (Beats' and Logstash's `username`/`password`, Vector's `auth.strategy: basic`).
 *
 * Secrets are compared through their SHA-256 digests with `timingSafeEqual`, so the time
 * taken does not reveal how much of a guess was right.
 */
export interface AuthConfig {
  apiKeys: readonly string[];
  tokens: readonly string[];
  /** `user:password` */
  users: readonly string[];
}

export type Authenticator = (authorization: string | undefined) => void;

export function hasCredentials(auth: AuthConfig): boolean {
  return auth.apiKeys.length + auth.tokens.length + auth.users.length > 0;
}

/** Throws a 401 HttpError unless the header carries a configured credential; accepts all when none is configured. */
export function compileAuth(auth: AuthConfig): Authenticator {
  if (!hasCredentials(auth)) return () => {};
  const apiKeys = auth.apiKeys.map(digest);
  const tokens = auth.tokens.map(digest);
  const users = auth.users.map(digest);
  const challenges = [
    ...(users.length ? ['Basic realm="eqlite", charset="UTF-8"'] : []),
    ...(apiKeys.length ? ["ApiKey"] : []),
    ...(tokens.length ? ['Bearer realm="eqlite"'] : []),
  ];
  const refuse = (reason: string) =>
    new HttpError(401, "security_exception", reason, { "www-authenticate": challenges });
  return (authorization) => {
    if (!authorization) throw refuse("missing authentication credentials for REST request");
    const space = authorization.indexOf(" ");
    const scheme = (space < 0 ? authorization : authorization.slice(0, space)).toLowerCase();
    const value = space < 0 ? "" : authorization.slice(space + 1).trim();
    let ok = false;
    if (scheme === "apikey") ok = matches(apiKeys, value) || matches(apiKeys, fromBase64(value));
    else if (scheme === "bearer") ok = matches(tokens, value);
    else if (scheme === "basic") ok = matches(users, fromBase64(value));
    if (!ok) throw refuse(`unable to authenticate with the ${scheme} credentials provided`);
  };
}

/** Loopback addresses, where an unauthenticated service is reachable only from this machine. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1") return true;
  const v4 = h.startsWith("::ffff:") ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith("127.");
}

function digest(secret: string): Buffer {
  return createHash("sha256").update(secret, "utf8").digest();
}

function matches(known: readonly Buffer[], candidate: string | undefined): boolean {
  if (candidate === undefined || candidate === "") return false;
  const d = digest(candidate);
  let found = false;
  for (const k of known) if (timingSafeEqual(k, d)) found = true;
  return found;
}

function fromBase64(value: string): string | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return undefined;
  return Buffer.from(value, "base64").toString("utf8");
}
