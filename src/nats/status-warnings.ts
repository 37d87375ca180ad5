/**
 * What `eqlite status` points out in a deployment it could read: events that no worker will
 * run, an owner that stopped checkpointing while events wait, workers on different rule sets.
 */
import type { MemberRecord } from "../worker/membership.ts";
import type { PartitionStatus } from "./cluster-status.ts";
import { duration } from "./status-table.ts";

/**
 * An owner whose checkpoint is older than this while events wait is stuck or far behind: a
 * worker checkpoints every second (`--checkpoint-interval`) while it makes progress.
 */
export const STALLED_AFTER_MS = 120_000;

/** Partitions named in one warning at most; the rest are counted. */
const NAMED = 8;

export function deploymentWarnings(
  rows: readonly PartitionStatus[],
  workers: readonly MemberRecord[],
): string[] {
  const warnings: string[] = [];
  const waiting = (r: PartitionStatus) => (r.lag ?? 0) > 0;

  const unowned = rows.filter((r) => !r.owner && waiting(r));
  if (unowned.length > 0) {
    const where = `${plural(unowned.length, "partition")} (${named(unowned)}: ${events(unowned)})`;
    warnings.push(
      workers.length === 0 && rows.every((r) => !r.owner)
        ? `events wait in ${where} and no worker is running: start eqlite worker`
        : `events wait in ${where} that no worker owns: look for "partition failed" or "taking the lease failed" in the workers' logs`,
    );
  }

  for (const r of rows) {
    if (!r.owner || !r.checkpoint || !waiting(r) || r.checkpoint.writtenAgoMs <= STALLED_AFTER_MS) continue;
    warnings.push(
      `${r.key}: ${events([r])} wait, and its owner ${r.owner.worker} has not checkpointed for ${duration(r.checkpoint.writtenAgoMs)}: it is stuck or slower than its input`,
    );
  }

  const byHash = new Map<string, string[]>();
  for (const w of workers) {
    // a record is what a worker wrote: another version may lack the hash
    const hash = typeof w.rules?.hash === "string" ? w.rules.hash.slice(0, 12) : "(unknown)";
    byHash.set(hash, [...(byHash.get(hash) ?? []), w.worker]);
  }
  if (byHash.size > 1) {
    const sets = [...byHash].map(([hash, names]) => `${hash} on ${names.join(", ")}`).join("; ");
    warnings.push(
      `the workers run ${byHash.size} different rule sets (${sets}): a rollout under way, or a reload refused on some ("rule reload refused" in their logs)`,
    );
  }
  return warnings;
}

function named(rows: readonly PartitionStatus[]): string {
  const keys = rows.slice(0, NAMED).map((r) => r.key);
  return rows.length > NAMED ? `${keys.join(", ")} and ${rows.length - NAMED} more` : keys.join(", ");
}

/** Events waiting in these partitions; an estimated lag is an upper bound. */
function events(rows: readonly PartitionStatus[]): string {
  const total = rows.reduce((sum, r) => sum + (r.lag ?? 0), 0);
  const bound = rows.some((r) => !r.lagExact) ? "up to " : "";
  return `${bound}${plural(total, "event")}`;
}

const plural = (n: number, noun: string): string =>
  `${n.toLocaleString("en-US")} ${noun}${n === 1 ? "" : "s"}`;
