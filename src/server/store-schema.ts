import type Database from "better-sqlite3";

/**
 * The SQLite schema of the embedded store, as numbered migrations. SQLite's
 * `user_version` holds the number of migrations applied; opening a database runs
 * the missing ones, each in its own transaction, so an older database is brought
 * up to date in place and a newer one is refused rather than misread. Migrations
 * are only ever added at the end, never edited.
 *
 * Times are integers, milliseconds since the epoch (UTC).
 */
export const MIGRATIONS: readonly string[] = [
  // 1: alerts with their triage status, and named checkpoints
  `
  CREATE TABLE alerts (
    id             TEXT PRIMARY KEY,   -- kibana.alert.uuid: the same match always has the same id
    time           INTEGER NOT NULL,   -- kibana.alert.original_time (else @timestamp)
    stored_at      INTEGER NOT NULL,   -- when the store first wrote it; retention goes by this
    rule_id        TEXT NOT NULL,
    rule_name      TEXT NOT NULL,
    severity       TEXT NOT NULL,
    host_name      TEXT,
    building_block INTEGER NOT NULL DEFAULT 0,
    status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'closed')),
    status_updated_at INTEGER,
    document       TEXT NOT NULL       -- the alert as written by the engine (JSON)
  );
  CREATE INDEX alerts_by_time ON alerts (time DESC, id DESC);
  CREATE INDEX alerts_by_rule_id ON alerts (rule_id, time);
  CREATE INDEX alerts_by_rule_name ON alerts (rule_name, time);
  CREATE INDEX alerts_by_stored_at ON alerts (stored_at);
  CREATE TABLE checkpoints (
    name       TEXT PRIMARY KEY,
    seq        INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  `,
  // 2: delivery tracking for at-least-once sinks, per-rule counters, host lookups
  `
  CREATE TABLE deliveries (
    sink         TEXT NOT NULL,
    alert_id     TEXT NOT NULL,
    delivered_at INTEGER NOT NULL,
    PRIMARY KEY (sink, alert_id)
  ) WITHOUT ROWID;
  CREATE INDEX deliveries_by_time ON deliveries (delivered_at);
  CREATE TABLE rule_stats (
    rule_id    TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    severity   TEXT NOT NULL,
    matches    INTEGER NOT NULL DEFAULT 0,
    alerts     INTEGER NOT NULL DEFAULT 0,
    over_limit INTEGER NOT NULL DEFAULT 0,
    excepted   INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    suppressed INTEGER NOT NULL DEFAULT 0,
    errors     INTEGER NOT NULL DEFAULT 0,
    disabled   INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX alerts_by_host ON alerts (host_name, time);
  CREATE INDEX alerts_by_status ON alerts (status, time);
  `,
  // 3: matches whose alert could not be built (counted; the rule goes on)
  `
  ALTER TABLE rule_stats ADD COLUMN alert_errors INTEGER NOT NULL DEFAULT 0;
  `,
  // 4: events the rule's filters removed (counted from zero in an older database)
  `
  ALTER TABLE rule_stats ADD COLUMN filtered INTEGER NOT NULL DEFAULT 0;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export class SchemaVersionError extends Error {
  constructor(
    readonly found: number,
    readonly supported: number,
    file: string,
  ) {
    super(
      `${file} has schema version ${found}, newer than this eqlite understands (${supported}); ` +
        "use a newer eqlite or another --data-dir",
    );
    this.name = "SchemaVersionError";
  }
}

/** Brings the database to `target` (default: the latest); returns the version it was at. */
export function migrate(db: Database.Database, target: number = SCHEMA_VERSION): number {
  const found = db.pragma("user_version", { simple: true }) as number;
  if (found > SCHEMA_VERSION) throw new SchemaVersionError(found, SCHEMA_VERSION, db.name);
  for (let version = found; version < target; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
  return found;
}
