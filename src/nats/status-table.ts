/**
 * `eqlite status` for a terminal: the streams in a line each, then one row per run of
 * contiguous partitions with the same owner (64 partitions over 3 workers fit a screen), then
 * the workers and the alert sinks. `--json` prints the ClusterStatus itself instead.
 */
import type { ClusterStatus, PartitionStatus, StreamSummary } from "./cluster-status.ts";
import { GLOBAL_PARTITION } from "./records.ts";

export interface TableOptions {
  /** one row per partition instead of runs */
  ungrouped?: boolean;
}

const UNOWNED = "(unowned)";

export function renderStatus(status: ClusterStatus, options: TableOptions = {}): string {
  const lines: string[] = [];
  lines.push(`NATS ${status.server}, ${status.partitions} partitions`);
  for (const stream of [status.events, status.alerts]) if (stream) lines.push(streamLine(stream));
  lines.push("");
  const groups = options.ungrouped ? status.rows.map((r) => [r]) : groupRuns(status.rows);
  const header = ["PARTITIONS", "OWNER", "HELD", "EPOCH", "CHECKPOINT", "LAG"];
  const rows = groups.map((g) => groupRow(g, status.at));
  lines.push(...alignColumns([header, ...rows]));
  if (status.workers.length > 0) {
    lines.push("", "WORKERS");
    for (const w of status.workers) lines.push(`  ${workerLine(w, status.at)}`);
  }
  if (status.sinks.length > 0) {
    lines.push("", "ALERT SINKS");
    for (const s of status.sinks)
      lines.push(
        `  ${s.consumer}  ${count(s.pending)} pending, ${count(s.ackPending)} being written, ${count(s.redelivered)} redelivered`,
      );
  }
  if (status.warnings.length > 0) {
    lines.push("");
    for (const w of status.warnings) lines.push(`warning: ${w}`);
  }
  return `${lines.join("\n")}\n`;
}

/** A member record is what a worker wrote: every part of it may be missing or of another version. */
function workerLine(w: ClusterStatus["workers"][number], now: number): string {
  const owned = Array.isArray(w.owned) ? w.owned.length : 0;
  const parts = [`${owned} partition${owned === 1 ? "" : "s"}`];
  if (typeof w.rules?.rules === "number")
    parts.push(
      `${w.rules.rules} rules${typeof w.rules.hash === "string" ? ` (${w.rules.hash.slice(0, 12)})` : ""}`,
    );
  if (w.hostname) parts.push(`${w.hostname}${w.pid ? ` pid ${w.pid}` : ""}`);
  if (typeof w.since === "number") parts.push(`up ${duration(now - w.since)}`);
  if (typeof w.beatAt === "number") parts.push(`beat ${duration(now - w.beatAt)} ago`);
  if (typeof w.counters?.events === "number")
    parts.push(`${count(w.counters.events)} events, ${count(w.counters.alerts ?? 0)} alerts`);
  return `${w.worker}  ${parts.join(", ")}`;
}

function streamLine(s: StreamSummary): string {
  const copies =
    s.replicas > 1 || s.leader
      ? `, R${s.replicas}${s.leader ? ` leader ${s.leader}` : " (no leader)"}${
          s.followers.length
            ? ` (${s.followers.map((f) => `${f.name} ${f.offline ? "offline" : f.current ? "current" : `behind ${count(f.lag)}`}`).join(", ")})`
            : ""
        }`
      : ", R1";
  const limits = [
    s.maxBytes > 0 ? `max ${bytes(s.maxBytes)}` : "",
    s.maxAgeMs > 0 ? `max age ${duration(s.maxAgeMs)}` : "",
  ].filter(Boolean);
  const range = s.messages > 0 ? `, seq ${count(s.firstSeq)}-${count(s.lastSeq)}` : "";
  return `${s.name}  ${count(s.messages)} message${s.messages === 1 ? "" : "s"}, ${bytes(s.bytes)}${range}${copies}${limits.length ? `; ${limits.join(", ")}` : ""}`;
}

/** Runs of contiguous partitions with the same owner; `global` is always its own. */
export function groupRuns(rows: readonly PartitionStatus[]): PartitionStatus[][] {
  const groups: PartitionStatus[][] = [];
  for (const row of rows) {
    const last = groups.at(-1);
    const previous = last?.at(-1);
    if (
      last &&
      previous &&
      row.partition !== GLOBAL_PARTITION &&
      previous.partition !== GLOBAL_PARTITION &&
      row.partition === previous.partition + 1 &&
      ownerOf(row) === ownerOf(previous)
    )
      last.push(row);
    else groups.push([row]);
  }
  return groups;
}

function groupRow(group: PartitionStatus[], now: number): string[] {
  const first = group[0];
  const last = group[group.length - 1];
  const name =
    first.partition === GLOBAL_PARTITION
      ? "global"
      : group.length === 1
        ? String(first.partition)
        : `${first.partition}-${last.partition}`;
  const owned = group.filter((r) => r.owner);
  const held = owned.length ? duration(Math.min(...owned.map((r) => now - r.owner!.since))) : "-";
  const epochs = group.map((r) => r.epoch).filter((e): e is number => e !== undefined);
  const epoch = epochs.length
    ? Math.min(...epochs) === Math.max(...epochs)
      ? `e${epochs[0]}`
      : `e${Math.min(...epochs)}-e${Math.max(...epochs)}`
    : "-";
  return [name, ownerOf(first), held, epoch, checkpointText(group), lagText(group)];
}

function checkpointText(group: PartitionStatus[]): string {
  const with_ = group.filter((r) => r.checkpoint);
  if (with_.length === 0) return "never";
  const oldest = Math.max(...with_.map((r) => r.checkpoint!.writtenAgoMs));
  const missing = group.length - with_.length;
  const snapshots = with_.filter((r) => r.checkpoint!.snapshot).length;
  const parts = [
    group.length === 1
      ? `seq ${count(with_[0].checkpoint!.seq)}, ${duration(oldest)} ago`
      : `${duration(oldest)} ago`,
  ];
  if (missing) parts.push(`${missing} never`);
  if (snapshots) parts.push(`${snapshots} snapshot${snapshots === 1 ? "" : "s"}`);
  return parts.join(", ");
}

function lagText(group: PartitionStatus[]): string {
  const known = group.filter((r) => r.lag !== undefined);
  if (known.length === 0) return "?";
  const total = known.reduce((sum, r) => sum + r.lag!, 0);
  const estimated = known.some((r) => !r.lagExact);
  return `${estimated ? "≤" : ""}${count(total)}${known.length < group.length ? " (some unknown)" : ""}`;
}

function ownerOf(row: PartitionStatus): string {
  return row.owner?.worker ?? UNOWNED;
}

function alignColumns(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => [...r[i]].length)));
  return rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell + " ".repeat(widths[i] - [...cell].length)))
      .join("  ")
      .trimEnd(),
  );
}

export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return "?";
  const value = Math.max(0, ms);
  if (value < 10_000) return `${(value / 1000).toFixed(1)}s`;
  const s = Math.floor(value / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, "0")}h`;
}

function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}
