import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { AlertDocument } from "../engine/alert.ts";
import type { RuleStats } from "../engine/detection-engine.ts";
import { compileFieldGetter } from "../eql/field-access.ts";
import { firstScalar } from "../eql/search.ts";
import { parseDateValue } from "../eql/value-compare.ts";
import { makeDirectory } from "../io/make-directory.ts";
import { migrate, SCHEMA_VERSION } from "./store-schema.ts";

/**
 * The embedded store of `eqlite serve`: alerts and their triage status, which
 * alerts each sink has delivered, named checkpoints and per-rule counters, in one
 * SQLite file (schema and migrations in store-schema.ts).
 *
 * - An alert's key is its `kibana.alert.uuid`. Inserting an alert that is
 *   already there changes nothing — not its document, not its status — and is
 *   reported as a duplicate: this is what makes a replay after a restart (or any
 *   at-least-once redelivery) write each alert once and never reopen one an
 *   analyst acknowledged.
 * - Time filters and sorting use `kibana.alert.original_time` (when the activity
 *   happened; `@timestamp` when it is absent). `@timestamp` on an alert is when a
 *   rule ran, which a replay or a backfill window sets to a later time than the
 *   events, and an investigation asks "what happened between 10:00 and 11:00".
 *   Retention, instead, goes by when the store first wrote the alert.
 * - The store's answers carry the current `kibana.alert.workflow_status` (and
 *   `kibana.alert.workflow_status_updated_at` once it was changed); the document
 *   itself is kept as the engine wrote it.
 * - Durability: WAL journal mode with synchronous=FULL, so a committed insert
 *   survives a power cut — the event log may checkpoint past the events of an
 *   alert only once the alert is stored.
 *
 * better-sqlite3 is synchronous: every call runs to completion on the calling
 * thread, in microseconds to milliseconds for the sizes the page bound allows.
 */

export type WorkflowStatus = "open" | "acknowledged" | "closed";
export const WORKFLOW_STATUSES: readonly WorkflowStatus[] = ["open", "acknowledged", "closed"];
export const SEVERITIES = ["low", "medium", "high", "critical"] as const;

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
/** As Elasticsearch's max_result_window: deeper pages are read with searchAfter. */
export const MAX_RESULT_WINDOW = 10_000;

export interface AlertQuery {
  /** a rule_id or a rule name, exactly */
  rule?: string;
  severity?: readonly string[];
  /** host.name, exactly */
  host?: string;
  status?: readonly WorkflowStatus[];
  /** milliseconds since the epoch, inclusive, on the original time */
  since?: number;
  /** milliseconds since the epoch, exclusive, on the original time */
  until?: number;
  /** building-block alerts (one per event of a sequence): included by default */
  buildingBlocks?: "include" | "exclude" | "only";
  /** default 50, at most 500 */
  size?: number;
  /** offset into the results; from + size may not pass 10,000 */
  from?: number;
  /** the `next` of the previous page: results after it, for paging without a bound */
  searchAfter?: AlertCursor;
}

/** A position in the result order (original time, then id, both descending). */
export interface AlertCursor {
  time: number;
  id: string;
}

export interface AlertPage {
  /** all the alerts that match the filters, whatever the page */
  total: number;
  alerts: AlertDocument[];
  /** where the next page starts, or null when this page is the last */
  next: AlertCursor | null;
}

export interface InsertResult {
  inserted: number;
  duplicates: number;
  insertedIds: string[];
}

export interface RuleSummary {
  rule_id: string;
  name: string;
  severity: string;
  /** the engine's counters, added up since the store was created */
  matches: number;
  alerts: number;
  over_limit: number;
  /** matches whose alert could not be built */
  alert_errors: number;
  excepted: number;
  /** events the rule's filters removed */
  filtered: number;
  duplicates: number;
  suppressed: number;
  errors: number;
  disabled: boolean;
  /** the rule's alerts in the store now (building blocks left out), by status */
  stored: { total: number; open: number; acknowledged: number; closed: number };
  last_alert_time: string | null;
  updated_at: string | null;
}

export interface RetentionPolicy {
  /** delete alerts the store wrote more than this many days ago */
  maxAgeDays?: number;
  /** keep at most this many alerts, the most recently written */
  maxAlerts?: number;
}

export interface RetentionResult {
  deletedByAge: number;
  deletedByCount: number;
  deletedDeliveries: number;
}

export interface StoreOptions {
  /** the clock, in milliseconds since the epoch (tests set it) */
  now?: () => number;
}

interface AlertRow {
  id: string;
  time: number;
  status: WorkflowStatus;
  status_updated_at: number | null;
  document: string;
}

const field = {
  id: compileFieldGetter("kibana.alert.uuid"),
  originalTime: compileFieldGetter("kibana.alert.original_time"),
  timestamp: compileFieldGetter("@timestamp"),
  ruleId: compileFieldGetter("kibana.alert.rule.rule_id"),
  ruleName: compileFieldGetter("kibana.alert.rule.name"),
  severity: compileFieldGetter("kibana.alert.severity"),
  host: compileFieldGetter("host.name"),
  buildingBlock: compileFieldGetter("kibana.alert.building_block_type"),
  status: compileFieldGetter("kibana.alert.workflow_status"),
};

const DAY_MS = 86_400_000;
/** Prepared statements are kept per SQL text; the filters combine into a few dozen at most. */
const MAX_CACHED_STATEMENTS = 256;

export class AlertStore {
  readonly path: string;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly now: () => number;

  private constructor(
    private readonly db: Database.Database,
    options: StoreOptions,
  ) {
    this.path = db.name;
    this.now = options.now ?? Date.now;
  }

  /** Opens (creating and migrating as needed) the store at `path`; ":memory:" for a throwaway one. */
  static open(path: string, options: StoreOptions = {}): AlertStore {
    if (path !== ":memory:") makeDirectory(dirname(path));
    const db = new Database(path);
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL");
      db.pragma("busy_timeout = 5000");
      migrate(db);
      // SQLite opens a file it may not write read-only without a word: every insert would then
      // fail, alert by alert, after the service said it was up. A write now says it at start.
      try {
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      } catch (error) {
        throw new Error(`${path} cannot be written: ${(error as Error).message}`, { cause: error });
      }
    } catch (error) {
      db.close();
      throw error;
    }
    return new AlertStore(db, options);
  }

  get schemaVersion(): number {
    return this.db.pragma("user_version", { simple: true }) as number;
  }

  static readonly latestSchemaVersion = SCHEMA_VERSION;

  /**
   * Writes alerts in one transaction. An alert whose id is already stored is left
   * as it is and counted as a duplicate. An alert without `kibana.alert.uuid` is
   * refused (with its position) before anything is written.
   */
  insertAlerts(alerts: readonly AlertDocument[]): InsertResult {
    const storedAt = this.now();
    const rows = alerts.map((alert, i) => alertRow(alert, i, storedAt));
    const insert = this.statement(
      `INSERT INTO alerts (id, time, stored_at, rule_id, rule_name, severity, host_name, building_block, status, document)
       VALUES (@id, @time, @stored_at, @rule_id, @rule_name, @severity, @host_name, @building_block, @status, @document)
       ON CONFLICT (id) DO NOTHING`,
    );
    const result: InsertResult = { inserted: 0, duplicates: 0, insertedIds: [] };
    this.db.transaction(() => {
      for (const row of rows) {
        if (insert.run(row).changes === 1) {
          result.inserted++;
          result.insertedIds.push(row.id);
        } else {
          result.duplicates++;
        }
      }
    })();
    return result;
  }

  getAlert(id: string): AlertDocument | undefined {
    const row = this.statement(
      "SELECT id, time, status, status_updated_at, document FROM alerts WHERE id = ?",
    ).get(id) as AlertRow | undefined;
    return row && documentOf(row);
  }

  /** Sets an alert's workflow status; the alert as it now reads, or undefined for an unknown id. */
  setWorkflowStatus(id: string, status: WorkflowStatus): AlertDocument | undefined {
    if (!WORKFLOW_STATUSES.includes(status))
      throw new RangeError(`workflow status must be one of ${WORKFLOW_STATUSES.join(", ")}, not ${status}`);
    // The time it last changed: setting the status it already has changes nothing.
    this.statement(
      `UPDATE alerts SET status_updated_at = CASE WHEN status = @status THEN status_updated_at ELSE @now END,
              status = @status
       WHERE id = @id`,
    ).run({ id, status, now: this.now() });
    return this.getAlert(id);
  }

  searchAlerts(query: AlertQuery = {}): AlertPage {
    const size = query.size ?? DEFAULT_PAGE_SIZE;
    const from = query.from ?? 0;
    if (!Number.isSafeInteger(size) || size < 1 || size > MAX_PAGE_SIZE)
      throw new RangeError(`size must be from 1 to ${MAX_PAGE_SIZE}, not ${size}`);
    if (!Number.isSafeInteger(from) || from < 0 || from + size > MAX_RESULT_WINDOW)
      throw new RangeError(
        `from + size must be at most ${MAX_RESULT_WINDOW} (got ${from} + ${size}); page further with searchAfter`,
      );
    if (from > 0 && query.searchAfter) throw new RangeError("from and searchAfter cannot be used together");

    const where: string[] = [];
    const params: unknown[] = [];
    if (query.rule !== undefined) {
      where.push("(rule_id = ? OR rule_name = ?)");
      params.push(query.rule, query.rule);
    }
    if (query.severity?.length) {
      where.push("severity IN (SELECT value FROM json_each(?))");
      params.push(JSON.stringify(query.severity));
    }
    if (query.host !== undefined) {
      where.push("host_name = ?");
      params.push(query.host);
    }
    if (query.status?.length) {
      where.push("status IN (SELECT value FROM json_each(?))");
      params.push(JSON.stringify(query.status));
    }
    if (query.since !== undefined) {
      where.push("time >= ?");
      params.push(query.since);
    }
    if (query.until !== undefined) {
      where.push("time < ?");
      params.push(query.until);
    }
    if (query.buildingBlocks === "exclude") where.push("building_block = 0");
    if (query.buildingBlocks === "only") where.push("building_block = 1");

    const total = (
      this.statement(`SELECT count(*) AS n FROM alerts ${whereClause(where)}`).get(...params) as { n: number }
    ).n;
    const pageWhere = [...where];
    const pageParams = [...params];
    if (query.searchAfter) {
      pageWhere.push("(time < ? OR (time = ? AND id < ?))");
      pageParams.push(query.searchAfter.time, query.searchAfter.time, query.searchAfter.id);
    }
    const rows = this.statement(
      `SELECT id, time, status, status_updated_at, document FROM alerts ${whereClause(pageWhere)}
       ORDER BY time DESC, id DESC LIMIT ? OFFSET ?`,
    ).all(...pageParams, size, from) as AlertRow[];
    const last = rows[rows.length - 1];
    return {
      total,
      alerts: rows.map(documentOf),
      next: rows.length === size ? { time: last.time, id: last.id } : null,
    };
  }

  countAlerts(): number {
    return (this.statement("SELECT count(*) AS n FROM alerts").get() as { n: number }).n;
  }

  /** Records that `sink` delivered these alerts (an at-least-once sink skips them next time). */
  markDelivered(sink: string, ids: readonly string[]): void {
    const mark = this.statement(
      "INSERT INTO deliveries (sink, alert_id, delivered_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    );
    const now = this.now();
    this.db.transaction(() => {
      for (const id of ids) mark.run(sink, id, now);
    })();
  }

  /** The ids among `ids` that `sink` has already delivered. */
  deliveredAmong(sink: string, ids: readonly string[]): Set<string> {
    if (ids.length === 0) return new Set();
    const rows = this.statement(
      "SELECT alert_id FROM deliveries WHERE sink = ? AND alert_id IN (SELECT value FROM json_each(?))",
    ).all(sink, JSON.stringify(ids)) as Array<{ alert_id: string }>;
    return new Set(rows.map((r) => r.alert_id));
  }

  saveCheckpoint(name: string, seq: number): void {
    if (!Number.isSafeInteger(seq)) throw new RangeError(`checkpoint ${name} must be an integer, not ${seq}`);
    this.statement(
      `INSERT INTO checkpoints (name, seq, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at`,
    ).run(name, seq, this.now());
  }

  loadCheckpoint(name: string): number | undefined {
    const row = this.statement("SELECT seq FROM checkpoints WHERE name = ?").get(name) as
      | { seq: number }
      | undefined;
    return row?.seq;
  }

  /**
   * Adds engine counters to the rules' totals: pass what changed since the last
   * call (RuleStatsRecorder does the subtraction), so totals survive restarts.
   * Name, severity and `disabled` take the values given.
   */
  addRuleCounters(deltas: readonly RuleStats[]): void {
    const upsert = this.statement(
      `INSERT INTO rule_stats (rule_id, name, severity, matches, alerts, over_limit, alert_errors, excepted,
                               filtered, duplicates, suppressed, errors, disabled, updated_at)
       VALUES (@rule_id, @name, @severity, @matches, @alerts, @overLimit, @alertErrors, @excepted,
               @filtered, @duplicates, @suppressed, @errors, @disabled, @now)
       ON CONFLICT (rule_id) DO UPDATE SET
         name = excluded.name, severity = excluded.severity,
         matches = matches + excluded.matches, alerts = alerts + excluded.alerts,
         over_limit = over_limit + excluded.over_limit, alert_errors = alert_errors + excluded.alert_errors,
         excepted = excepted + excluded.excepted, filtered = filtered + excluded.filtered,
         duplicates = duplicates + excluded.duplicates, suppressed = suppressed + excluded.suppressed,
         errors = errors + excluded.errors, disabled = excluded.disabled, updated_at = excluded.updated_at`,
    );
    const now = this.now();
    this.db.transaction(() => {
      for (const d of deltas)
        upsert.run({ ...d, severity: d.severity ?? "", disabled: d.disabled ? 1 : 0, now });
    })();
  }

  /** Every rule with counters or stored alerts: the engine's totals and the store's alerts by status. */
  ruleSummaries(): RuleSummary[] {
    const stats = this.statement("SELECT * FROM rule_stats").all() as Array<{
      rule_id: string;
      name: string;
      severity: string;
      matches: number;
      alerts: number;
      over_limit: number;
      alert_errors: number;
      excepted: number;
      filtered: number;
      duplicates: number;
      suppressed: number;
      errors: number;
      disabled: number;
      updated_at: number;
    }>;
    const stored = this.statement(
      `SELECT rule_id, max(rule_name) AS name, max(severity) AS severity, count(*) AS total,
              sum(status = 'open') AS open, sum(status = 'acknowledged') AS acknowledged,
              sum(status = 'closed') AS closed, max(time) AS last_time
       FROM alerts WHERE building_block = 0 GROUP BY rule_id`,
    ).all() as Array<{
      rule_id: string;
      name: string;
      severity: string;
      total: number;
      open: number;
      acknowledged: number;
      closed: number;
      last_time: number;
    }>;
    const byRule = new Map<string, RuleSummary>();
    for (const s of stats) {
      byRule.set(s.rule_id, {
        ...s,
        disabled: s.disabled === 1,
        stored: { total: 0, open: 0, acknowledged: 0, closed: 0 },
        last_alert_time: null,
        updated_at: new Date(s.updated_at).toISOString(),
      });
    }
    for (const a of stored) {
      const summary =
        byRule.get(a.rule_id) ??
        ({
          rule_id: a.rule_id,
          name: a.name,
          severity: a.severity,
          matches: 0,
          alerts: 0,
          over_limit: 0,
          alert_errors: 0,
          excepted: 0,
          filtered: 0,
          duplicates: 0,
          suppressed: 0,
          errors: 0,
          disabled: false,
          updated_at: null,
        } as Omit<RuleSummary, "stored" | "last_alert_time"> as RuleSummary);
      summary.stored = { total: a.total, open: a.open, acknowledged: a.acknowledged, closed: a.closed };
      summary.last_alert_time = new Date(a.last_time).toISOString();
      byRule.set(a.rule_id, summary);
    }
    return [...byRule.values()].sort(
      (x, y) =>
        y.stored.total - x.stored.total || x.name.localeCompare(y.name) || x.rule_id.localeCompare(y.rule_id),
    );
  }

  /** Deletes alerts (and delivery records) beyond the policy's age and count. */
  applyRetention(policy: RetentionPolicy): RetentionResult {
    const result: RetentionResult = { deletedByAge: 0, deletedByCount: 0, deletedDeliveries: 0 };
    const { maxAgeDays, maxAlerts } = policy;
    if (maxAgeDays !== undefined && !(Number.isFinite(maxAgeDays) && maxAgeDays >= 0))
      throw new RangeError(`retention maxAgeDays must be a number of days, not ${maxAgeDays}`);
    if (maxAlerts !== undefined && !(Number.isSafeInteger(maxAlerts) && maxAlerts >= 0))
      throw new RangeError(`retention maxAlerts must be a whole number, not ${maxAlerts}`);
    this.db.transaction(() => {
      if (maxAgeDays !== undefined) {
        const cutoff = this.now() - maxAgeDays * DAY_MS;
        result.deletedByAge = this.statement("DELETE FROM alerts WHERE stored_at < ?").run(cutoff).changes;
        result.deletedDeliveries = this.statement("DELETE FROM deliveries WHERE delivered_at < ?").run(
          cutoff,
        ).changes;
      }
      if (maxAlerts !== undefined) {
        result.deletedByCount = this.statement(
          `DELETE FROM alerts WHERE id IN
             (SELECT id FROM alerts ORDER BY stored_at DESC, time DESC, id DESC LIMIT -1 OFFSET ?)`,
        ).run(maxAlerts).changes;
      }
    })();
    return result;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= MAX_CACHED_STATEMENTS) this.statements.clear();
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

const whereClause = (conditions: string[]) => (conditions.length ? `WHERE ${conditions.join(" AND ")}` : "");

function text(value: unknown): string | null {
  const scalar = firstScalar(value);
  return scalar === null ? null : String(scalar);
}

function millis(value: unknown): number | null {
  const ns = parseDateValue(firstScalar(value));
  return ns === null ? null : Number(ns / 1_000_000n);
}

function alertRow(alert: AlertDocument, index: number, storedAt: number) {
  const id = text(field.id(alert));
  if (!id) throw new TypeError(`alert ${index} of the batch has no kibana.alert.uuid; nothing was stored`);
  const status = text(field.status(alert));
  return {
    id,
    time: millis(field.originalTime(alert)) ?? millis(field.timestamp(alert)) ?? storedAt,
    stored_at: storedAt,
    rule_id: text(field.ruleId(alert)) ?? "",
    rule_name: text(field.ruleName(alert)) ?? "",
    severity: (text(field.severity(alert)) ?? "").toLowerCase(),
    host_name: text(field.host(alert)),
    building_block: text(field.buildingBlock(alert)) === null ? 0 : 1,
    status: WORKFLOW_STATUSES.includes(status as WorkflowStatus) ? status : "open",
    document: JSON.stringify(alert),
  };
}

function documentOf(row: AlertRow): AlertDocument {
  const doc = JSON.parse(row.document) as AlertDocument;
  doc["kibana.alert.workflow_status"] = row.status;
  if (row.status_updated_at !== null)
    doc["kibana.alert.workflow_status_updated_at"] = new Date(row.status_updated_at).toISOString();
  return doc;
}
