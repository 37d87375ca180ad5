import type { AlertDocument } from "../../engine/alert.ts";
import type { AlertSink } from "./alert-sink.ts";

/** What the store sink needs of a store: AlertStore (src/server/store.ts) is one. */
export interface AlertWriter {
  insertAlerts(alerts: readonly AlertDocument[]): { inserted: number; duplicates: number };
}

/**
 * Alerts into the embedded store. An alert already stored (a replay after a
 * restart, an overlapping window) is left as it is and counted as a duplicate,
 * so at-least-once upstream becomes exactly-once here. The store belongs to
 * whoever opened it — the alerts API reads it after the pipeline stops — so
 * closing the sink leaves it open.
 */
export class StoreSink implements AlertSink {
  inserted = 0;
  duplicates = 0;

  constructor(
    private readonly store: AlertWriter,
    readonly name = "store",
  ) {}

  async write(alerts: readonly AlertDocument[]): Promise<void> {
    if (alerts.length === 0) return;
    const result = this.store.insertAlerts(alerts);
    this.inserted += result.inserted;
    this.duplicates += result.duplicates;
  }

  async close(): Promise<void> {}
}
