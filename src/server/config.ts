import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { parse as parseToml, TomlError } from "smol-toml";
import { suggest } from "../eql/suggest.ts";
import { explainJsonError, lineColumnAt } from "../io/json-error.ts";
import type { AuthConfig } from "./auth.ts";

/**
 * `eqlite serve` settings. Each has one name in the config file (snake_case), a flag and
 * an `EQLITE_*` environment variable; a flag beats the environment, which beats the file,
 * which beats the default. The config file is TOML (`.toml`) or JSON (anything else), one
 * flat table of the names below.
 */
export interface ServeConfig {
  host: string;
  port: number;
  /** rule files and directories */
  rules: string[];
  /** exception files for every rule */
  exceptions: string[];
  /** where durable state lives (write-ahead log, alert store); created when missing */
  dataDir?: string;
  /** the index of events that name none (`/ingest`, bulk actions without `_index`); "" for none */
  defaultIndex: string;
  /** alerts as NDJSON to this file (appended) */
  output?: string;
  /** alerts as NDJSON to stdout; by default only when there is no `output` */
  stdout?: boolean;
  allowedLatenessMs: number;
  /** a sequence stream with no event for this long releases what it holds (alerts leave) */
  idleFlushMs: number;
  /** largest request body, decompressed */
  maxBodyBytes: number;
  /** events accepted but not yet run through the rules, at most; beyond, 429 */
  queueEvents: number;
  /** alerts waiting for one sink, at most; beyond, the oldest are dropped (counted) */
  sinkQueueAlerts: number;
  /** attempts per write before a sink's alerts are dropped (counted) */
  sinkRetries: number;
  /** set `event.ingested` on arrival when the event lacks it */
  setIngested: boolean;
  /** reload rules when the rule files change (SIGHUP always reloads) */
  watchRules: boolean;
  reloadDebounceMs: number;
  /** the Elasticsearch version `GET /` reports */
  esVersion: string;
  /** serve the Elasticsearch API under this path (`/es`) as well as at the root */
  pathPrefix: string;
  /** the address `GET /_nodes/http` tells sniffing clients to use (host:port) */
  publishAddress?: string;
  logLevel: string;
  /** log every request (method, path, status, user agent; never credentials) at info */
  logRequests: boolean;
  auth: AuthConfig;
  tls?: { cert: string; key: string };
}

type Kind = "string" | "int" | "bool" | "list";

export interface Setting {
  /** the config file's name */
  name: string;
  kind: Kind;
  /** the long flag without dashes; commander camel-cases it */
  flag: string;
  /** the argument shown in help (`<path>`) */
  arg?: string;
  env: string;
  help: string;
}

const s = (name: string, kind: Kind, flag: string, help: string, arg?: string): Setting => ({
  name,
  kind,
  flag,
  arg,
  env: `EQLITE_${name.toUpperCase()}`,
  help,
});

export const SETTINGS: readonly Setting[] = [
  s("host", "string", "host", "address to listen on (default 127.0.0.1)", "<host>"),
  s("port", "int", "port", "port to listen on, 0 for any free one (default 9200)", "<port>"),
  s("rules", "list", "rules", "rule file or directory, repeatable (default: the bundled rules/)", "<path>"),
  s("exceptions", "list", "exceptions", "exceptions for all rules, repeatable", "<file>"),
  s("data_dir", "string", "data-dir", "directory for durable state (created when missing)", "<dir>"),
  s("default_index", "string", "default-index", 'index of events that name none; "" for none', "<index>"),
  s("output", "string", "output", "append alerts as NDJSON to this file", "<file>"),
  s("stdout", "bool", "stdout", "write alerts as NDJSON to stdout (default: when there is no --output)"),
  s(
    "allowed_lateness_ms",
    "int",
    "allowed-lateness",
    "how late (ms) an event may arrive and be ordered",
    "<ms>",
  ),
  s("idle_flush_ms", "int", "idle-flush", "release a sequence's held events after this many idle ms", "<ms>"),
  s("max_body_bytes", "int", "max-body-bytes", "largest request body, decompressed (default 100 MiB)", "<n>"),
  s("queue_events", "int", "queue-events", "events waiting for the rules at most; beyond, HTTP 429", "<n>"),
  s("sink_queue_alerts", "int", "sink-queue-alerts", "alerts waiting for one sink at most", "<n>"),
  s("sink_retries", "int", "sink-retries", "attempts per sink write before its alerts are dropped", "<n>"),
  s("set_ingested", "bool", "set-ingested", "set event.ingested on arrival when absent (default on)"),
  s("watch_rules", "bool", "watch-rules", "reload when rule files change (default on)"),
  s("reload_debounce_ms", "int", "reload-debounce", "wait this long after a rule file change", "<ms>"),
  s("es_version", "string", "es-version", "Elasticsearch version reported to shippers", "<version>"),
  s("path_prefix", "string", "path-prefix", "also serve the Elasticsearch API under this path", "<path>"),
  s("publish_address", "string", "publish-address", "host:port sniffing clients are told to use", "<addr>"),
  s("log_level", "string", "log-level", "fatal, error, warn, info, debug, trace or silent", "<level>"),
  s("log_requests", "bool", "log-requests", "log every request at info (credentials redacted)"),
  s("api_keys", "list", "api-key", "accept Authorization: ApiKey for this id:key, repeatable", "<id:key>"),
  s("tokens", "list", "token", "accept Authorization: Bearer with this token, repeatable", "<token>"),
  s("basic_auth", "list", "basic-auth", "accept Basic authentication as user:password, repeatable", "<u:p>"),
  s("tls_cert", "string", "tls-cert", "serve HTTPS with this PEM certificate (chain)", "<file>"),
  s("tls_key", "string", "tls-key", "the PEM private key of --tls-cert", "<file>"),
];

export const DEFAULTS = {
  host: "127.0.0.1",
  port: 9200,
  defaultIndex: "logs-eqlite-default",
  allowedLatenessMs: 2000,
  idleFlushMs: 500,
  maxBodyBytes: 100 * 1024 * 1024,
  queueEvents: 100_000,
  sinkQueueAlerts: 100_000,
  sinkRetries: 5,
  esVersion: "8.19.0",
  logLevel: "info",
  reloadDebounceMs: 300,
} as const;

const LOG_LEVELS = new Set(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export interface ConfigSources {
  /** the config file (`--config`, else EQLITE_CONFIG) */
  file?: string;
  env?: Record<string, string | undefined>;
  /** commander's parsed options, keyed by camel-cased flag */
  flags?: Record<string, unknown>;
  /** rules when no source names any (the CLI passes the bundled rules/) */
  defaultRules?: string[];
}

/** Settings from the file, the environment and the flags, checked: every problem names where it came from. */
export function resolveConfig(sources: ConfigSources): ServeConfig {
  const raw = new Map<string, unknown>();
  const file = sources.file ?? sources.env?.EQLITE_CONFIG;
  if (file) {
    for (const [key, value] of Object.entries(readConfigFile(file))) {
      const setting = SETTINGS.find((x) => x.name === key);
      if (!setting)
        throw new ConfigError(
          `${file}: unknown setting "${key}"${suggest(
            key,
            SETTINGS.map((x) => x.name),
          )}`,
        );
      raw.set(key, fromFile(setting, value, file));
    }
  }
  for (const setting of SETTINGS) {
    const text = sources.env?.[setting.env];
    if (text !== undefined && text !== "") raw.set(setting.name, fromText(setting, text, setting.env));
  }
  for (const setting of SETTINGS) {
    const value = sources.flags?.[camel(setting.flag)];
    if (value === undefined) continue;
    const where = `--${setting.flag}`;
    raw.set(
      setting.name,
      setting.kind === "list"
        ? (value as string[])
        : setting.kind === "bool"
          ? Boolean(value)
          : fromText(setting, String(value), where),
    );
  }
  return build(raw, sources.defaultRules ?? []);
}

function build(raw: Map<string, unknown>, defaultRules: string[]): ServeConfig {
  const str = (k: string) => raw.get(k) as string | undefined;
  const int = (k: string) => raw.get(k) as number | undefined;
  const bool = (k: string) => raw.get(k) as boolean | undefined;
  const list = (k: string) => (raw.get(k) as string[] | undefined) ?? [];
  const rules = list("rules");
  const config: ServeConfig = {
    host: str("host") ?? DEFAULTS.host,
    port: int("port") ?? DEFAULTS.port,
    rules: rules.length ? rules : defaultRules,
    exceptions: list("exceptions"),
    dataDir: str("data_dir") || undefined,
    defaultIndex: str("default_index") ?? DEFAULTS.defaultIndex,
    output: str("output") || undefined,
    stdout: bool("stdout"),
    allowedLatenessMs: int("allowed_lateness_ms") ?? DEFAULTS.allowedLatenessMs,
    idleFlushMs: int("idle_flush_ms") ?? DEFAULTS.idleFlushMs,
    maxBodyBytes: int("max_body_bytes") ?? DEFAULTS.maxBodyBytes,
    queueEvents: int("queue_events") ?? DEFAULTS.queueEvents,
    sinkQueueAlerts: int("sink_queue_alerts") ?? DEFAULTS.sinkQueueAlerts,
    sinkRetries: int("sink_retries") ?? DEFAULTS.sinkRetries,
    setIngested: bool("set_ingested") ?? true,
    watchRules: bool("watch_rules") ?? true,
    reloadDebounceMs: int("reload_debounce_ms") ?? DEFAULTS.reloadDebounceMs,
    esVersion: str("es_version") ?? DEFAULTS.esVersion,
    pathPrefix: normalisePrefix(str("path_prefix") ?? ""),
    publishAddress: str("publish_address") || undefined,
    logLevel: str("log_level") ?? DEFAULTS.logLevel,
    logRequests: bool("log_requests") ?? false,
    auth: { apiKeys: list("api_keys"), tokens: list("tokens"), users: list("basic_auth") },
  };
  const cert = str("tls_cert");
  const key = str("tls_key");
  if (cert || key) {
    if (!cert || !key) throw new ConfigError("TLS needs both tls_cert (--tls-cert) and tls_key (--tls-key)");
    config.tls = { cert, key };
  }
  check(config.port >= 0 && config.port <= 65535, `port ${config.port} is not a TCP port (0-65535)`);
  check(config.maxBodyBytes > 0, "max_body_bytes must be positive");
  check(config.queueEvents > 0, "queue_events must be positive");
  check(config.sinkQueueAlerts > 0, "sink_queue_alerts must be positive");
  check(config.sinkRetries > 0, "sink_retries must be at least 1");
  check(config.idleFlushMs > 0, "idle_flush_ms must be positive");
  check(
    /^\d+\.\d+\.\d+/.test(config.esVersion),
    `es_version "${config.esVersion}" is not a version like 8.19.0`,
  );
  check(
    LOG_LEVELS.has(config.logLevel),
    `log_level "${config.logLevel}" is not one of ${[...LOG_LEVELS].join(", ")}`,
  );
  for (const u of config.auth.users) check(u.includes(":"), "basic_auth entries are user:password");
  return config;
}

/** The config file as a flat object; syntax errors carry the file, line and column. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`${path}: cannot read the config file (${(error as Error).message})`);
  }
  if (extname(path).toLowerCase() === ".toml") {
    try {
      return parseToml(text) as Record<string, unknown>;
    } catch (error) {
      if (error instanceof TomlError) {
        const reason = error.message.split("\n")[0].replace(/^Invalid TOML document: /, "");
        throw new ConfigError(`${path}:${error.line}:${error.column}: ${reason}`);
      }
      throw error;
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const { offset, reason } = explainJsonError(text, error);
    const at = offset === undefined ? { lines: 0, column: 1 } : lineColumnAt(text, offset);
    throw new ConfigError(`${path}:${at.lines + 1}:${at.column}: ${reason}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new ConfigError(`${path}: the config file must hold one object of settings`);
  return value as Record<string, unknown>;
}

function fromFile(setting: Setting, value: unknown, file: string): unknown {
  const where = `${file}: ${setting.name}`;
  switch (setting.kind) {
    case "string":
      if (typeof value !== "string") throw new ConfigError(`${where}: expected a string`);
      return value;
    case "int":
      if (typeof value === "bigint") return Number(value);
      if (typeof value !== "number" || !Number.isInteger(value))
        throw new ConfigError(`${where}: expected a whole number`);
      return value;
    case "bool":
      if (typeof value !== "boolean") throw new ConfigError(`${where}: expected true or false`);
      return value;
    case "list": {
      const items = typeof value === "string" ? [value] : value;
      if (!Array.isArray(items) || !items.every((x) => typeof x === "string"))
        throw new ConfigError(`${where}: expected a list of strings`);
      return items;
    }
  }
}

function fromText(setting: Setting, text: string, where: string): unknown {
  switch (setting.kind) {
    case "string":
      return text;
    case "int":
      if (!/^\d+$/.test(text.trim())) throw new ConfigError(`${where}: "${text}" is not a whole number`);
      return Number(text.trim());
    case "bool": {
      const t = text.trim().toLowerCase();
      if (["1", "true", "yes", "on"].includes(t)) return true;
      if (["0", "false", "no", "off"].includes(t)) return false;
      throw new ConfigError(`${where}: "${text}" is not true or false`);
    }
    case "list":
      return text
        .split(",")
        .map((x) => x.trim())
        .filter((x) => x !== "");
  }
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new ConfigError(message);
}

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function normalisePrefix(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, "");
  if (trimmed === "") return "";
  return trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
}
