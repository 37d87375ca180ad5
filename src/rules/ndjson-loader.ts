import { nestsTooDeep } from "../engine/json-tree.ts";
import { exportLineKind, loadKibanaExport as loadExportedExceptions } from "../exceptions/kibana-export.ts";
import type { LoadedExceptions } from "../exceptions/loaded.ts";
import { tooDeepDocumentMessage } from "../io/json-depth.ts";
import { explainJsonError } from "../io/json-error.ts";
import type { Diagnostic } from "./diagnostic.ts";
import { jsonRuleLocator } from "./json-locator.ts";
import type { RuleFormat, RuleOrigin } from "./loaded-rule.ts";
import { lineStartsOf, positionIn } from "./position-map.ts";
import type { RuleDocument } from "./rule-document.ts";

/** The last line of a Kibana export: what it says it exported and what it could not. */
export interface ExportSummary {
  exported_count?: number;
  exported_rules_count?: number;
  missing_rules?: Array<{ rule_id?: string }>;
  exported_exception_list_count?: number;
  exported_exception_list_item_count?: number;
  [key: string]: unknown;
}

export interface JsonLoad {
  documents: RuleDocument[];
  /** exception lists and items exported with the rules (read by src/exceptions) */
  exceptions?: LoadedExceptions;
  summary?: ExportSummary;
  diagnostics: Diagnostic[];
}

type JsonObject = Record<string, unknown>;
const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** A rule line: a rule_id, or the fields every rule has (so a missing rule_id is reported as such). */
const isRule = (o: JsonObject): boolean =>
  "rule_id" in o || ("type" in o && "name" in o && "risk_score" in o && !("list_id" in o));

/** Kibana's export summary; list exports count lists instead of rules. */
const isSummary = (o: JsonObject): boolean =>
  Object.keys(o).some((k) => k.startsWith("exported_") && k.endsWith("count"));

/**
 * Reads a Kibana rules export (NDJSON: rules, then exception lists and items, action
 * connectors, and the export summary), or any NDJSON of rules. Rules are read here,
 * exception lists and items by the exceptions loader. A malformed line is reported with
 * its line and column, and the other lines still load.
 */
export function loadKibanaExport(text: string, file: string): JsonLoad {
  const out: JsonLoad = { documents: [], diagnostics: [] };
  const lineStarts = lineStartsOf(text);
  /** lines this loader has reported on or taken as rules: the exceptions loader's words on them are dropped */
  const handled = new Set<number>();
  let rules = 0;
  let summaryLine = 0;
  let lastLine = 0;
  /** object lines that are none of an export's kinds (an event, a misspelt rule) */
  const strangers: number[] = [];

  for (let n = 0; n < lineStarts.length; n++) {
    const start = lineStarts[n];
    const line = text.slice(start, n + 1 < lineStarts.length ? lineStarts[n + 1] : text.length);
    if (line.trim() === "") continue;
    lastLine = n + 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      const { offset, reason } = explainJsonError(line, error);
      out.diagnostics.push({
        file,
        line: n + 1,
        column: (offset ?? 0) + 1,
        severity: "error",
        code: "json-syntax",
        message: `${reason}; line skipped`,
      });
      handled.add(n + 1);
      continue;
    }
    if (nestsTooDeep(value)) {
      out.diagnostics.push({
        file,
        line: n + 1,
        column: 1,
        severity: "error",
        code: "too-deep",
        message: `${tooDeepDocumentMessage("the line")}; line skipped`,
      });
      handled.add(n + 1);
    } else if (!isObject(value)) {
      out.diagnostics.push({
        file,
        line: n + 1,
        column: 1,
        severity: "error",
        code: "schema",
        message:
          "expected a JSON object (a rule, an exception list or item, or the export summary); line skipped",
      });
      handled.add(n + 1);
    } else if (isSummary(value)) {
      out.summary = value as ExportSummary;
      summaryLine = n + 1;
    } else if (isRule(value)) {
      rules++;
      handled.add(n + 1);
      const origin: RuleOrigin = { file, format: "ndjson", line: n + 1, column: 1 };
      out.documents.push({
        rule: value,
        origin,
        locator: jsonRuleLocator(text, start, origin, lineStarts, file),
      });
    } else if (exportLineKind(value) === "unknown") {
      strangers.push(n + 1);
      handled.add(n + 1);
    }
  }
  reportStrangers(out, strangers, file, rules === 0 && !out.summary && !/"(list_id|item_id)"\s*:/.test(text));

  if (/"(list_id|item_id)"\s*:/.test(text)) {
    out.exceptions = loadExportedExceptions(text, file);
    for (const d of out.exceptions.diagnostics) {
      if (d.line !== undefined && handled.has(d.line)) continue;
      out.diagnostics.push({
        file,
        line: d.line ?? 1,
        column: d.column ?? 1,
        severity: d.severity,
        code: "exceptions",
        message: d.message,
      });
    }
    out.exceptions.diagnostics = [];
  }
  if (out.summary) checkSummary(out, out.summary, rules, file, summaryLine, lastLine);
  return out;
}

/**
 * Object lines that are no rule, exception list or item, action connector or export summary
 * are skipped, and said to be: a rule whose `rule_id` and `type` are misspelt would otherwise
 * vanish. A file of nothing else (events, say) is said once, as not an export.
 */
function reportStrangers(out: JsonLoad, lines: number[], file: string, nothingElse: boolean): void {
  const warn = (line: number, message: string) =>
    out.diagnostics.push({ file, line, column: 1, severity: "warning", code: "schema", message });
  if (nothingElse && lines.length > 1) {
    warn(
      lines[0],
      `none of the ${lines.length} JSON objects is a rule, an exception list or item, or an export summary: not a rules export, skipped`,
    );
    return;
  }
  for (const line of lines)
    warn(
      line,
      "not a rule, an exception list or item, an action connector or an export summary; line skipped",
    );
}

/** The summary says what Kibana meant to export: a mismatch means a truncated or edited file. */
function checkSummary(
  out: JsonLoad,
  summary: ExportSummary,
  rules: number,
  file: string,
  line: number,
  lastLine: number,
): void {
  const warn = (message: string) =>
    out.diagnostics.push({ file, line, column: 1, severity: "warning", code: "export-summary", message });
  if (line !== lastLine) warn("the export summary is not the last line: the file was edited or concatenated");
  const counts: Array<[unknown, number, string]> = [
    [summary.exported_rules_count, rules, "rules"],
    [summary.exported_exception_list_count, out.exceptions?.lists.length ?? 0, "exception lists"],
    [summary.exported_exception_list_item_count, out.exceptions?.items.length ?? 0, "exception items"],
  ];
  for (const [said, found, what] of counts) {
    if (typeof said === "number" && said !== found)
      warn(`the export summary counts ${said} ${what} but the file has ${found}`);
  }
  const missing = Array.isArray(summary.missing_rules) ? summary.missing_rules : [];
  if (missing.length > 0) {
    warn(
      `Kibana could not export ${missing.length} rule(s): ${missing.map((m) => m?.rule_id ?? "?").join(", ")}`,
    );
  }
}

/** A `.json` file: one rule object, or an array of them (the API's bulk shape). */
export function loadJsonRules(text: string, file: string): JsonLoad {
  const out: JsonLoad = { documents: [], diagnostics: [] };
  const lineStarts = lineStartsOf(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const { offset, reason } = explainJsonError(text, error);
    out.diagnostics.push({
      file,
      ...positionIn(lineStarts, offset ?? 0),
      severity: "error",
      code: "json-syntax",
      message: reason,
    });
    return out;
  }
  if (nestsTooDeep(value)) {
    out.diagnostics.push({
      file,
      line: 1,
      column: 1,
      severity: "error",
      code: "too-deep",
      message: tooDeepDocumentMessage("the file"),
    });
    return out;
  }
  const format: RuleFormat = "json";
  const rules = Array.isArray(value) ? value : [value];
  rules.forEach((rule, i) => {
    const prefix = Array.isArray(value) ? [i] : [];
    const locator = jsonRuleLocator(text, 0, { line: 1, column: 1 }, lineStarts, file, prefix);
    const at = locator.at([]);
    if (!isObject(rule) || !isRule(rule)) {
      out.diagnostics.push({
        file,
        ...at,
        severity: "error",
        code: "schema",
        message: "expected a rule object (with rule_id, name, type, ...)",
      });
      return;
    }
    out.documents.push({ rule, origin: { file, format, line: at.line, column: at.column }, locator });
  });
  return out;
}
