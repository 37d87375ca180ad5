/**
 * The chaos run's verdict on the alerts: the alerts stream against `eqlite scan` over the same
 * events. Every difference is listed, not just the first: alerts lost, alerts scan does not
 * find, an alert document stored twice, and alerts whose content differs beyond the time they
 * were written.
 */
import { isDeepStrictEqual } from "node:util";
import { alertId, describeAlert, type StoredAlert } from "../../test/nats/worker-harness.ts";

/** Fields that say when (or in which run) an alert was written: they differ between any two writers. */
const WRITE_TIME_FIELDS = new Set([
  "@timestamp",
  "kibana.alert.start",
  "kibana.alert.last_detected",
  "kibana.alert.intended_timestamp",
  "kibana.alert.rule.execution.timestamp",
  "kibana.alert.rule.execution.uuid",
  "kibana.alert.url",
]);

export interface AlertDiff {
  expected: number;
  stored: number;
  missing: string[];
  extra: string[];
  /** alert ids stored more than once, with their count */
  duplicated: string[];
  /** a message whose id is not its alert's id */
  misnamed: string[];
  /** alert, and the fields whose values differ */
  changed: string[];
}

export function diffAlerts(
  stored: readonly StoredAlert[],
  expected: readonly Record<string, unknown>[],
): AlertDiff {
  const expectedById = new Map(expected.map((a) => [alertId(a), a]));
  const copies = new Map<string, number>();
  for (const s of stored) copies.set(s.msgId, (copies.get(s.msgId) ?? 0) + 1);
  const storedById = new Map(stored.map((s) => [s.msgId, s.alert]));
  const changed: string[] = [];
  for (const [id, alert] of storedById) {
    const oracle = expectedById.get(id);
    if (!oracle) continue;
    const fields = differingFields(alert, oracle);
    if (fields.length > 0) changed.push(`${describeAlert(oracle)} [${id}]: ${fields.join(", ")}`);
  }
  return {
    expected: expected.length,
    stored: stored.length,
    missing: [...expectedById]
      .filter(([id]) => !storedById.has(id))
      .map(([id, a]) => `${describeAlert(a)} [${id}]`),
    extra: [...storedById]
      .filter(([id]) => !expectedById.has(id))
      .map(([id, a]) => `${describeAlert(a)} [${id}]`),
    duplicated: [...copies].filter(([, n]) => n > 1).map(([id, n]) => `${id} × ${n}`),
    misnamed: stored.filter((s) => s.msgId !== alertId(s.alert)).map((s) => `seq ${s.seq}: ${s.msgId}`),
    changed,
  };
}

export function differences(diff: AlertDiff): number {
  return (
    diff.missing.length +
    diff.extra.length +
    diff.duplicated.length +
    diff.misnamed.length +
    diff.changed.length
  );
}

function differingFields(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => !WRITE_TIME_FIELDS.has(k) && !isDeepStrictEqual(a[k], b[k])).sort();
}
