import { styleText } from "node:util";
import type { AlertDocument } from "../../engine/alert.ts";
import { terminalSafeJson, visibleLine, visibleText } from "../../eql/terminal-text.ts";
import { type AlertView, viewOf } from "./alert-view.ts";

/** How alerts are written: one function per format, each turning an alert into text. */
export type AlertFormat = "pretty" | "ndjson" | "csv" | "summary";

export const ALERT_FORMATS: readonly AlertFormat[] = ["pretty", "ndjson", "csv", "summary"];

const SEVERITY_STYLE: Record<string, Parameters<typeof styleText>[0]> = {
  critical: ["bold", "red"],
  high: "red",
  medium: "yellow",
  low: "cyan",
};

/** One readable block per alert: time, severity in colour, rule, where, what ran. */
export function formatPretty(doc: AlertDocument, color: boolean): string {
  const v = visibleView(viewOf(doc));
  // Whether to colour is decided by the caller (TTY, NO_COLOR, --color), so the stream check is off here.
  const paint = (style: Parameters<typeof styleText>[0], text: string) =>
    color ? styleText(style, text, { validateStream: false }) : text;
  const severity = paint(SEVERITY_STYLE[v.severity] ?? "white", v.severity.toUpperCase().padEnd(8));
  const lines = [
    `${paint("dim", v.time)}  ${severity} ${paint("bold", v.rule)}${v.riskScore === null ? "" : paint("dim", ` (risk ${v.riskScore})`)}`,
  ];
  const where = [
    v.host && `host ${v.host}`,
    v.pod && `pod ${v.pod}`,
    v.container && `container ${v.container}`,
  ].filter(Boolean);
  if (where.length) lines.push(`  ${where.join("  ")}`);
  if (v.process) lines.push(`  process ${v.process}${v.commandLine ? `: ${v.commandLine}` : ""}`);
  lines.push(paint("dim", `  ${v.reason}`), paint("dim", `  alert ${v.uuid}`));
  return `${lines.join("\n")}\n`;
}

/** Every text of the view made safe for a terminal: they come from events and rule files. */
function visibleView(v: AlertView): AlertView {
  const out = { ...v };
  for (const key of Object.keys(out) as (keyof AlertView)[])
    if (typeof out[key] === "string") (out as Record<string, unknown>)[key] = visibleLine(out[key] as string);
  return out;
}

export const formatNdjson = (doc: AlertDocument): string => `${terminalSafeJson(JSON.stringify(doc))}\n`;

const CSV_COLUMNS: Array<[string, (v: AlertView) => string]> = [
  ["time", (v) => v.time],
  ["severity", (v) => v.severity],
  ["risk_score", (v) => (v.riskScore === null ? "" : String(v.riskScore))],
  ["rule", (v) => v.rule],
  ["rule_id", (v) => v.ruleId],
  ["host", (v) => v.host],
  ["pod", (v) => v.pod],
  ["container", (v) => v.container],
  ["process", (v) => v.process],
  ["command_line", (v) => v.commandLine],
  ["reason", (v) => v.reason],
  ["alert_id", (v) => v.uuid],
];

export const CSV_HEADER = `${CSV_COLUMNS.map(([name]) => name).join(",")}\n`;

/** RFC 4180 quoting; a leading = + - @ is defused so spreadsheets do not run it as a formula. */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function formatCsv(doc: AlertDocument): string {
  const v = viewOf(doc);
  // a spreadsheet has no use for control characters, and a terminal acts on them; line breaks are quoted
  return `${CSV_COLUMNS.map(([, get]) => csvCell(visibleText(get(v)))).join(",")}\n`;
}

/** Alerts per rule and severity, most first. */
export function formatSummary(
  counts: Map<string, { rule: string; severity: string; alerts: number }>,
): string {
  const rows = [...counts.values()].sort((a, b) => b.alerts - a.alerts || a.rule.localeCompare(b.rule));
  if (rows.length === 0) return "no alerts\n";
  const width = Math.max(...rows.map((r) => String(r.alerts).length), 6);
  return `${rows.map((r) => `${String(r.alerts).padStart(width)}  ${visibleLine(r.severity).padEnd(8)}  ${visibleLine(r.rule)}`).join("\n")}\n`;
}
