import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { extname } from "node:path";
import { parse as parseToml, TomlError } from "smol-toml";
import { type KibanaTarget, kibanaTarget } from "../engine/alert-url.ts";
import { suggest } from "../eql/suggest.ts";
import { explainJsonError, lineColumnAt } from "../io/json-error.ts";
import { DEFAULT_RETRY_POLICY } from "../io/sinks/webhook-retry.ts";
import { DEFAULT_PUBLISHER, DEFAULT_TOPOLOGY } from "../nats/defaults.ts";
import { DEFAULT_PARTITIONS } from "../nats/partition.ts";
import type { AuthConfig } from "./auth.ts";
import { configKeyPosition } from "./config-key-position.ts";

/**
 * `eqlite serve` settings. Each has one name in the config file (snake_case), a flag and
 * an `EQLITE_*` environment variable; a flag beats the environment, which beats the file,
 * which beats the default. The config file is TOML (`.toml`) or JSON (anything else), one
 * flat table of the names below; the `nats_*` settings may also be written as a `[nats]` table
 * (`[nats] servers = [...]` is `nats_servers`).
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
  /** the write-ahead log's size bound (bytes); a request that does not fit is refused with 429 */
  walMaxBytes: number;
  /** how often the write-ahead log's checkpoint is moved (and rule counters recorded) */
  checkpointIntervalMs: number;
  /** store retention: alerts the store wrote more than this many days ago are deleted; 0 keeps them */
  retentionDays: number;
  /** store retention: the most alerts kept (the most recently written); 0 for no bound */
  maxAlerts: number;
  /** alerts POSTed as JSON to each of these URLs (needs dataDir: dead letters and delivery records) */
  webhooks: string[];
  /** headers sent with every webhook request, and per webhook URL */
  webhookHeaders: WebhookHeaders;
  /** a webhook retries a batch until it has waited this long, then dead-letters it */
  webhookRetryTimeoutMs: number;
  /** alerts as NDJSON to this file, rotated by size */
  alertsFile?: string;
  /** rotate the alerts file before a write would take it past this size */
  alertsFileMaxBytes: number;
  /** rotated alerts files kept besides the current one */
  alertsFileKeep: number;
  /** the index of events that name none (`/ingest`, bulk actions without `_index`); "" for none */
  defaultIndex: string;
  /** alerts as NDJSON to this file (appended) */
  output?: string;
  /** alerts as NDJSON to stdout; by default only when there is no `output` */
  stdout?: boolean;
  allowedLatenessMs: number;
  /** the Kibana space the alerts are for, and Kibana's URL for their links */
  kibana: KibanaTarget;
  /** a sequence stream with no event for this long releases what it holds (alerts leave) */
  idleFlushMs: number;
  /** largest request body, decompressed */
  maxBodyBytes: number;
  /** a request not received whole (headers and body) within this is answered 408 and its connection closed */
  requestTimeoutMs: number;
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
  /** scale-out: events go to NATS JetStream for `eqlite worker`s, alerts come back from it */
  nats?: NatsSettings;
}

/**
 * `eqlite serve` as an ingest node (and alert sink) of a NATS JetStream deployment. The
 * partition count and the stream settings must be the same in every role of a deployment.
 */
export interface NatsSettings {
  /** any nodes of the cluster; the client learns the others */
  servers: string[];
  /** event partitions (`eqlite.events.<p>`), fixed per deployment */
  partitions: number;
  /** stream and bucket replicas when this node creates them: 3 on a 3-node cluster */
  replicas: number;
  /** the events stream's disk budget; full means ingest answers 429 (-1: no bound) */
  eventsMaxBytes: number;
  /** how long the events stream keeps events */
  eventsMaxAgeMs: number;
  /** how long JetStream remembers an event's id to drop a re-sent copy */
  eventsDuplicateWindowMs: number;
  alertsDuplicateWindowMs: number;
  /** events sent to JetStream and not yet acknowledged, at most */
  publishWindow: number;
  /** an event not stored within this is given up: the request is answered 503 */
  publishTimeoutMs: number;
  /** an attempt not acknowledged within this is sent again (same message id) */
  ackTimeoutMs: number;
  /** consume the alerts stream into this node's sinks */
  alerts: boolean;
  /** the durable consumer of the alerts stream: nodes sharing a name share the alerts */
  alertsConsumer: string;
  /** a NATS credentials file (JWT and NKey seed) */
  creds?: string;
  /** a NATS authentication token */
  token?: string;
  /** TLS to NATS: see NatsAccess */
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/** Webhook request headers: `all` for every webhook, `byUrl` for one (merged over `all`). */
export interface WebhookHeaders {
  all: Record<string, string>;
  byUrl: Record<string, Record<string, string>>;
}

/** `headers`: a table in the file, JSON in the environment, repeated `Name: value` flags. */
type Kind = "string" | "int" | "bool" | "list" | "headers";

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

const s = (name: string, kind: Kind, flag: string, help: string, arg?: string, env?: string): Setting => ({
  name,
  kind,
  flag,
  arg,
  env: env ?? `EQLITE_${name.toUpperCase()}`,
  help,
});

export const SETTINGS: readonly Setting[] = [
  s("host", "string", "host", "address to listen on (default 127.0.0.1)", "<host>"),
  s("port", "int", "port", "port to listen on, 0 for any free one (default 9200)", "<port>"),
  s("rules", "list", "rules", "rule file or directory, repeatable (default: the bundled rules/)", "<path>"),
  s("exceptions", "list", "exceptions", "exceptions for all rules, repeatable", "<file>"),
  s("data_dir", "string", "data-dir", "directory for durable state (created when missing)", "<dir>"),
  s(
    "wal_max_bytes",
    "int",
    "wal-max-bytes",
    "write-ahead log size bound; beyond, HTTP 429 (default 1 GiB)",
    "<n>",
  ),
  s(
    "checkpoint_interval_ms",
    "int",
    "checkpoint-interval",
    "move the log's checkpoint this often (ms)",
    "<ms>",
  ),
  s(
    "retention_days",
    "int",
    "retention-days",
    "delete stored alerts older than this; 0 keeps them",
    "<days>",
  ),
  s("max_alerts", "int", "max-alerts", "keep at most this many stored alerts; 0 for no bound", "<n>"),
  s("webhooks", "list", "webhook", "POST alerts as JSON to this URL, repeatable (needs --data-dir)", "<url>"),
  s(
    "webhook_headers",
    "headers",
    "webhook-header",
    "send this header to every webhook, repeatable",
    "<name:value>",
  ),
  s(
    "webhook_retry_timeout_ms",
    "int",
    "webhook-retry-timeout",
    "retry a webhook's failed alerts for this many ms, then dead-letter them (default 600000)",
    "<ms>",
  ),
  s("alerts_file", "string", "alerts-file", "write alerts as NDJSON to this file, rotated by size", "<path>"),
  s("alerts_file_max_bytes", "int", "alerts-file-max-bytes", "rotate the alerts file at this size", "<n>"),
  s("alerts_file_keep", "int", "alerts-file-keep", "rotated alerts files kept (default 5)", "<n>"),
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
  s(
    "space_id",
    "string",
    "space",
    "the Kibana space the alerts are for: part of their ids and kibana.space_ids (default: default)",
    "<id>",
  ),
  s(
    "kibana_url",
    "string",
    "kibana-url",
    "Kibana's public URL (its server.publicBaseUrl): each alert gets kibana.alert.url, its page there",
    "<url>",
  ),
  s("idle_flush_ms", "int", "idle-flush", "release a sequence's held events after this many idle ms", "<ms>"),
  s("max_body_bytes", "int", "max-body-bytes", "largest request body, decompressed (default 100 MiB)", "<n>"),
  s(
    "request_timeout_ms",
    "int",
    "request-timeout",
    "a request not received whole within this many ms is refused (408) and its connection closed (default 120000)",
    "<ms>",
  ),
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
  s(
    "nats_servers",
    "list",
    "nats",
    "publish events to NATS JetStream for eqlite workers instead of running the rules here (comma-separated URLs)",
    "<urls>",
    "EQLITE_NATS",
  ),
  s(
    "nats_partitions",
    "int",
    "nats-partitions",
    "event partitions, the same in every role (default 64)",
    "<n>",
  ),
  s(
    "nats_replicas",
    "int",
    "nats-replicas",
    "replicas of the streams this node creates (3 on 3 nodes)",
    "<n>",
  ),
  s(
    "nats_events_max_bytes",
    "int",
    "nats-events-max-bytes",
    "the events stream's disk budget (bytes)",
    "<n>",
  ),
  s(
    "nats_events_max_age_ms",
    "int",
    "nats-events-max-age",
    "how long the events stream keeps events",
    "<ms>",
  ),
  s(
    "nats_events_duplicate_window_ms",
    "int",
    "nats-events-duplicate-window",
    "how long a re-sent event's id is remembered",
    "<ms>",
  ),
  s(
    "nats_alerts_duplicate_window_ms",
    "int",
    "nats-alerts-duplicate-window",
    "how long a re-published alert's id is remembered",
    "<ms>",
  ),
  s("nats_publish_window", "int", "nats-publish-window", "events in flight to JetStream at most", "<n>"),
  s(
    "nats_publish_timeout_ms",
    "int",
    "nats-publish-timeout",
    "give an event up (HTTP 503) when not stored within this",
    "<ms>",
  ),
  s(
    "nats_ack_timeout_ms",
    "int",
    "nats-ack-timeout",
    "send an event again when not acknowledged within this",
    "<ms>",
  ),
  s(
    "nats_alerts",
    "bool",
    "nats-alerts",
    "write the cluster's alerts from the alerts stream to this node's sinks (default on)",
  ),
  s(
    "nats_alerts_consumer",
    "string",
    "nats-alerts-consumer",
    "durable consumer of the alerts stream; nodes sharing it share the alerts (default sink-HOSTNAME)",
    "<name>",
  ),
  s("nats_creds", "string", "nats-creds", "NATS credentials file", "<file>"),
  s("nats_token", "string", "nats-token", "NATS authentication token", "<token>"),
  s(
    "nats_tls_ca",
    "string",
    "nats-tls-ca",
    "PEM CA certificates for the NATS servers' certificates; makes TLS required",
    "<file>",
  ),
  s(
    "nats_tls_cert",
    "string",
    "nats-tls-cert",
    "PEM client certificate for NATS servers that verify clients; needs its key",
    "<file>",
  ),
  s("nats_tls_key", "string", "nats-tls-key", "the NATS client certificate's PEM key", "<file>"),
];

/** Tables of the config file whose keys are settings `<table>_<key>`. */
const SECTIONS = ["nats"];

export const DEFAULTS = {
  host: "127.0.0.1",
  port: 9200,
  defaultIndex: "logs-eqlite-default",
  allowedLatenessMs: 2000,
  idleFlushMs: 500,
  maxBodyBytes: 100 * 1024 * 1024,
  requestTimeoutMs: 120_000,
  queueEvents: 100_000,
  sinkQueueAlerts: 100_000,
  sinkRetries: 5,
  esVersion: "8.19.0",
  logLevel: "info",
  reloadDebounceMs: 300,
  walMaxBytes: 1024 * 1024 * 1024,
  checkpointIntervalMs: 1000,
  retentionDays: 30,
  maxAlerts: 1_000_000,
  webhookRetryTimeoutMs: DEFAULT_RETRY_POLICY.retryTimeoutMs,
  alertsFileMaxBytes: 100 * 1024 * 1024,
  alertsFileKeep: 5,
  natsPartitions: DEFAULT_PARTITIONS,
  natsReplicas: 1,
} as const;

/** Settings about durable state: without data_dir there is nothing for them to apply to. */
const NEED_DATA_DIR = [
  "wal_max_bytes",
  "checkpoint_interval_ms",
  "retention_days",
  "max_alerts",
  "webhooks",
  "webhook_headers",
  "webhook_retry_timeout_ms",
];

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

/** Whether alerts go to stdout: asked for, or by default when they go to no file. */
export function writesToStdout(config: Pick<ServeConfig, "stdout" | "output">): boolean {
  return config.stdout ?? !config.output;
}

/** Settings from the file, the environment and the flags, checked: every problem names where it came from. */
export function resolveConfig(sources: ConfigSources): ServeConfig {
  return build(gatherSettings(sources), sources.defaultRules ?? []);
}

/**
 * The webhooks of a serve configuration and how to reach them, for `eqlite resend`: the rest of
 * the settings are read (a misspelt one is still an error) but not checked, and the webhooks
 * need no data directory here.
 */
export function resolveWebhooks(sources: ConfigSources): WebhookSettings {
  const webhooks = webhookSettings(gatherSettings(sources));
  checkWebhooks(webhooks);
  return webhooks;
}

type WebhookSettings = Pick<ServeConfig, "webhooks" | "webhookHeaders" | "webhookRetryTimeoutMs">;

function webhookSettings(raw: Map<string, unknown>): WebhookSettings {
  return {
    webhooks: (raw.get("webhooks") as string[] | undefined) ?? [],
    webhookHeaders: (raw.get("webhook_headers") as WebhookHeaders | undefined) ?? { all: {}, byUrl: {} },
    webhookRetryTimeoutMs:
      (raw.get("webhook_retry_timeout_ms") as number | undefined) ?? DEFAULTS.webhookRetryTimeoutMs,
  };
}

/** Each setting's value, by its config-file name: the flags over the environment over the file. */
function gatherSettings(sources: ConfigSources): Map<string, unknown> {
  const raw = new Map<string, unknown>();
  const file = sources.file ?? sources.env?.EQLITE_CONFIG;
  if (file) {
    const config = readConfigFile(file);
    for (const { name, value, keys } of fileSettings(config)) {
      const setting = SETTINGS.find((x) => x.name === name);
      if (!setting)
        throw new ConfigError(
          `${config.at(keys)}: unknown setting "${name}"${suggest(
            name,
            SETTINGS.map((x) => x.name),
          )}`,
        );
      raw.set(name, fromFile(setting, value, `${config.at(keys)}: ${setting.name}`));
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
        ? (Array.isArray(value) ? value : [value]).map(String)
        : setting.kind === "headers"
          ? headerFlags(value as string[], where)
          : setting.kind === "bool"
            ? Boolean(value)
            : fromText(setting, String(value), where),
    );
  }
  return raw;
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
    walMaxBytes: int("wal_max_bytes") ?? DEFAULTS.walMaxBytes,
    checkpointIntervalMs: int("checkpoint_interval_ms") ?? DEFAULTS.checkpointIntervalMs,
    retentionDays: int("retention_days") ?? DEFAULTS.retentionDays,
    maxAlerts: int("max_alerts") ?? DEFAULTS.maxAlerts,
    ...webhookSettings(raw),
    alertsFile: str("alerts_file") || undefined,
    alertsFileMaxBytes: int("alerts_file_max_bytes") ?? DEFAULTS.alertsFileMaxBytes,
    alertsFileKeep: int("alerts_file_keep") ?? DEFAULTS.alertsFileKeep,
    defaultIndex: str("default_index") ?? DEFAULTS.defaultIndex,
    output: str("output") || undefined,
    stdout: bool("stdout"),
    allowedLatenessMs: int("allowed_lateness_ms") ?? DEFAULTS.allowedLatenessMs,
    kibana: kibanaTarget(
      { spaceId: str("space_id"), kibanaUrl: str("kibana_url") },
      (field, message) => new ConfigError(`${field === "spaceId" ? "space_id" : "kibana_url"}: ${message}`),
    ),
    idleFlushMs: int("idle_flush_ms") ?? DEFAULTS.idleFlushMs,
    maxBodyBytes: int("max_body_bytes") ?? DEFAULTS.maxBodyBytes,
    requestTimeoutMs: int("request_timeout_ms") ?? DEFAULTS.requestTimeoutMs,
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
  config.nats = natsSettings(raw);
  const cert = str("tls_cert");
  const key = str("tls_key");
  if (cert || key) {
    if (!cert || !key) throw new ConfigError("TLS needs both tls_cert (--tls-cert) and tls_key (--tls-key)");
    config.tls = { cert, key };
  }
  check(config.port >= 0 && config.port <= 65535, `port ${config.port} is not a TCP port (0-65535)`);
  check(config.maxBodyBytes > 0, "max_body_bytes must be positive");
  // 0 would be Node's "no deadline": a stalled upload holds its connection, and a shutdown, for ever
  check(config.requestTimeoutMs > 0, "request_timeout_ms must be positive");
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
  if (!config.dataDir)
    for (const name of NEED_DATA_DIR)
      check(
        !raw.has(name),
        `${name} needs data_dir (--data-dir): the log, the store and dead letters live there`,
      );
  check(config.walMaxBytes >= 1024 * 1024, "wal_max_bytes must be at least 1 MiB (1048576)");
  check(config.checkpointIntervalMs > 0, "checkpoint_interval_ms must be positive");
  check(config.alertsFileMaxBytes > 0, "alerts_file_max_bytes must be positive");
  checkWebhooks(config);
  return config;
}

function checkWebhooks(config: WebhookSettings): void {
  check(config.webhookRetryTimeoutMs > 0, "webhook_retry_timeout_ms must be positive");
  for (const url of config.webhooks) checkWebhookUrl(url);
  for (const url of Object.keys(config.webhookHeaders.byUrl))
    check(
      config.webhooks.includes(url),
      `webhook_headers names ${redactUrl(url)}, which is not among the webhooks (${config.webhooks.map(redactUrl).join(", ") || "none"})`,
    );
}

const NATS_CONSUMER_NAME = /^[A-Za-z0-9_-]+$/;

/** The `nats_*` settings, checked; undefined without servers (then none of them may be set). */
function natsSettings(raw: Map<string, unknown>): NatsSettings | undefined {
  const servers = ((raw.get("nats_servers") as string[] | undefined) ?? [])
    .flatMap((entry) => entry.split(","))
    .map((url) => url.trim())
    .filter((url) => url !== "");
  if (servers.length === 0) {
    for (const name of raw.keys())
      check(
        !name.startsWith("nats_") || name === "nats_servers",
        `${name} needs NATS servers (--nats URL, nats_servers or EQLITE_NATS)`,
      );
    return undefined;
  }
  const int = (k: string) => raw.get(k) as number | undefined;
  const str = (k: string) => (raw.get(k) as string | undefined) || undefined;
  const maxBytes = int("nats_events_max_bytes");
  const nats: NatsSettings = {
    servers,
    partitions: int("nats_partitions") ?? DEFAULTS.natsPartitions,
    replicas: int("nats_replicas") ?? DEFAULTS.natsReplicas,
    eventsMaxBytes: maxBytes === undefined || maxBytes === 0 ? DEFAULT_TOPOLOGY.eventsMaxBytes : maxBytes,
    eventsMaxAgeMs: int("nats_events_max_age_ms") ?? DEFAULT_TOPOLOGY.eventsMaxAgeMs,
    eventsDuplicateWindowMs:
      int("nats_events_duplicate_window_ms") ?? DEFAULT_TOPOLOGY.eventsDuplicateWindowMs,
    alertsDuplicateWindowMs:
      int("nats_alerts_duplicate_window_ms") ?? DEFAULT_TOPOLOGY.alertsDuplicateWindowMs,
    publishWindow: int("nats_publish_window") ?? DEFAULT_PUBLISHER.window,
    publishTimeoutMs: int("nats_publish_timeout_ms") ?? DEFAULT_PUBLISHER.deadlineMs,
    ackTimeoutMs: int("nats_ack_timeout_ms") ?? DEFAULT_PUBLISHER.ackTimeoutMs,
    alerts: (raw.get("nats_alerts") as boolean | undefined) ?? true,
    alertsConsumer: str("nats_alerts_consumer") ?? defaultAlertsConsumer(),
    creds: str("nats_creds"),
    token: str("nats_token"),
    tlsCa: str("nats_tls_ca"),
    tlsCert: str("nats_tls_cert"),
    tlsKey: str("nats_tls_key"),
  };
  for (const url of servers)
    check(!/\s/.test(url), `nats_servers: "${url}" is not a NATS URL (nats://host:4222, or host:port)`);
  check(nats.partitions >= 1 && nats.partitions <= 4096, "nats_partitions must be from 1 to 4096");
  check(nats.replicas >= 1 && nats.replicas <= 5, "nats_replicas must be from 1 to 5");
  check(nats.eventsMaxAgeMs > 0, "nats_events_max_age_ms must be positive");
  check(nats.eventsDuplicateWindowMs > 0, "nats_events_duplicate_window_ms must be positive");
  check(nats.alertsDuplicateWindowMs > 0, "nats_alerts_duplicate_window_ms must be positive");
  check(nats.publishWindow >= 1, "nats_publish_window must be at least 1");
  check(nats.ackTimeoutMs >= 100, "nats_ack_timeout_ms must be at least 100");
  check(
    nats.publishTimeoutMs >= nats.ackTimeoutMs,
    `nats_publish_timeout_ms (${nats.publishTimeoutMs}) must be at least nats_ack_timeout_ms (${nats.ackTimeoutMs})`,
  );
  check(
    NATS_CONSUMER_NAME.test(nats.alertsConsumer),
    `nats_alerts_consumer "${nats.alertsConsumer}" may hold only letters, digits, - and _`,
  );
  return nats;
}

/** Each node its own alerts consumer by default, so each node's store gets every alert. */
function defaultAlertsConsumer(): string {
  return `sink-${hostname().replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

/** A config file read: its settings, and where each is written. */
interface ConfigFile {
  settings: Record<string, unknown>;
  /** `file:line:column` of the key at this path (`["nats", "servers"]`), or the file alone */
  at(keys: readonly string[]): string;
}

/** `[nats] servers = [...]` is the setting `nats_servers`; anything else stays as it is. */
function fileSettings(config: ConfigFile): { name: string; value: unknown; keys: string[] }[] {
  const flat: { name: string; value: unknown; keys: string[] }[] = [];
  for (const [key, value] of Object.entries(config.settings)) {
    if (!SECTIONS.includes(key) || typeof value !== "object" || value === null || Array.isArray(value)) {
      flat.push({ name: key, value, keys: [key] });
      continue;
    }
    for (const [inner, v] of Object.entries(value)) {
      const name = `${key}_${inner}`;
      if (!SETTINGS.some((x) => x.name === name))
        throw new ConfigError(
          `${config.at([key, inner])}: unknown setting "${key}.${inner}"${suggest(
            inner,
            SETTINGS.filter((x) => x.name.startsWith(`${key}_`)).map((x) => x.name.slice(key.length + 1)),
          )}`,
        );
      flat.push({ name, value: v, keys: [key, inner] });
    }
  }
  return flat;
}

/** The config file's settings; syntax errors carry the file, line and column. */
export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`${path}: cannot read the config file (${(error as Error).message})`);
  }
  const format = extname(path).toLowerCase() === ".toml" ? "toml" : "json";
  const at = (keys: readonly string[]) => {
    const position = configKeyPosition(text, format, keys);
    return position ? `${path}:${position.line}:${position.column}` : path;
  };
  if (format === "toml") {
    try {
      return { settings: parseToml(text) as Record<string, unknown>, at };
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
    const where = offset === undefined ? { lines: 0, column: 1 } : lineColumnAt(text, offset);
    throw new ConfigError(`${path}:${where.lines + 1}:${where.column}: ${reason}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new ConfigError(`${path}: the config file must hold one object of settings`);
  return { settings: value as Record<string, unknown>, at };
}

/** `where` is the setting's place and name, `file:line:column: name`. */
function fromFile(setting: Setting, value: unknown, where: string): unknown {
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
    case "headers":
      return headerTable(value, where);
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
    case "headers": {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw new ConfigError(`${where}: expected a JSON object of headers, {"Authorization": "Bearer …"}`);
      }
      return headerTable(value, where);
    }
  }
}

/**
 * `{ Name = "value" }` for every webhook, and `{ "https://url" = { Name = "value" } }` for
 * one: a string is a header, a table is one webhook's headers.
 */
function headerTable(value: unknown, where: string): WebhookHeaders {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new ConfigError(`${where}: expected a table of header names and values`);
  const headers: WebhookHeaders = { all: {}, byUrl: {} };
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === "string") {
      headers.all[checkHeader(key, v, where)] = v;
      continue;
    }
    if (typeof v !== "object" || v === null || Array.isArray(v))
      throw new ConfigError(
        `${where}: ${key}: expected a header value (a string) or a webhook's table of headers`,
      );
    const one: Record<string, string> = {};
    for (const [name, text] of Object.entries(v)) {
      if (typeof text !== "string") throw new ConfigError(`${where}: ${key}: ${name}: expected a string`);
      one[checkHeader(name, text, where)] = text;
    }
    headers.byUrl[key] = one;
  }
  return headers;
}

function headerFlags(values: string[], where: string): WebhookHeaders {
  const headers: WebhookHeaders = { all: {}, byUrl: {} };
  for (const entry of values) {
    const colon = entry.indexOf(":");
    if (colon < 1) throw new ConfigError(`${where}: "${entry.split(":")[0]}…" is not Name: value`);
    const value = entry.slice(colon + 1).trim();
    headers.all[checkHeader(entry.slice(0, colon).trim(), value, where)] = value;
  }
  return headers;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A header that fetch would refuse is a settings error now, not a failed delivery later (values never echoed: they hold secrets). */
function checkHeader(name: string, value: string, where: string): string {
  if (!HEADER_NAME.test(name)) throw new ConfigError(`${where}: "${name}" is not an HTTP header name`);
  if (/[\r\n\0]/.test(value)) throw new ConfigError(`${where}: the value of ${name} holds a line break`);
  return name;
}

function checkWebhookUrl(text: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`webhooks: "${redactUrl(text)}" is not a URL`);
  }
  check(
    url.protocol === "http:" || url.protocol === "https:",
    `webhooks: ${redactUrl(text)} is not http or https`,
  );
}

/** A URL for messages: its path and query may hold a token (chat webhooks do), so only the origin shows. */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    return url.pathname === "/" && !url.search ? url.origin : `${url.origin}/…`;
  } catch {
    return text.length > 12 ? `${text.slice(0, 12)}…` : text;
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
