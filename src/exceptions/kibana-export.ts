/**
 * Kibana's NDJSON export (rules `_export`, or exception lists `_export`): one JSON
 * object per line, of which this reads the exception lists (a `list_id` and a list
 * `type`, no `item_id`) and items (`item_id` and `entries`). Rules, action
 * connectors and the export summary that share the file are skipped here; rules
 * are the rule loader's. A line that cannot be read is reported and costs only itself.
 */
import { nestsTooDeep } from "../engine/json-tree.ts";
import { tooDeepDocumentMessage } from "../io/json-depth.ts";
import { explainJsonError } from "../io/json-error.ts";
import { decodeItem, decodeList, isRaw, own, type Raw } from "./decode.ts";
import { emptyExceptions, type LoadedExceptions, type LoadOptions } from "./loaded.ts";
import { diagnosticAt, type ExceptionItem, type ExceptionList, type Origin } from "./model.ts";

export function loadKibanaExport(text: string, file: string, options: LoadOptions = {}): LoadedExceptions {
  const loaded = emptyExceptions();
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === "") continue;
    const at: Origin = { file, line: i + 1 };
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      const { offset, reason } = explainJsonError(line, error);
      const d = diagnosticAt("error", at, `${reason}; line skipped`);
      if (offset !== undefined) d.column = offset + 1;
      loaded.diagnostics.push(d);
      continue;
    }
    if (nestsTooDeep(value)) {
      loaded.diagnostics.push(
        diagnosticAt("error", at, `${tooDeepDocumentMessage("the line")}; line skipped`),
      );
      continue;
    }
    if (!isRaw(value)) {
      loaded.diagnostics.push(diagnosticAt("error", at, "expected a JSON object; line skipped"));
      continue;
    }
    readExportLine(value, at, loaded, options);
  }
  return loaded;
}

function readExportLine(o: Raw, at: Origin, loaded: LoadedExceptions, options: LoadOptions): void {
  const kind = exportLineKind(o);
  if (kind === "skip") return;
  if (kind === "unknown") {
    loaded.diagnostics.push(
      diagnosticAt("warning", at, "not an exception list, item, rule or export summary; line skipped"),
    );
    return;
  }
  const decoded = kind === "item" ? decodeItem(o) : decodeList(o);
  if ("error" in decoded) {
    loaded.diagnostics.push(diagnosticAt("error", at, `${decoded.error}; skipped`));
    return;
  }
  decoded.value.origin = at;
  if (kind === "list") loaded.lists.push(decoded.value as ExceptionList);
  else {
    const item = decoded.value as ExceptionItem;
    loaded.items.push(item);
    if (options.allRules) loaded.allRules.push(item);
  }
}

/** What a line of an export is to the exceptions loader: rules, connectors and the summary are "skip". */
export function exportLineKind(o: Raw): "item" | "list" | "skip" | "unknown" {
  if (Object.hasOwn(o, "item_id") || Object.hasOwn(o, "entries")) return "item";
  // Rules carry a rule_id; connectors are saved objects with attributes.
  if (Object.hasOwn(o, "rule_id") || (own(o, "type") === "action" && Object.hasOwn(o, "attributes")))
    return "skip";
  // The summary: `exported_count` in rule exports, `exported_exception_list_count` in list exports.
  if (Object.keys(o).some((k) => k.startsWith("exported_") && k.endsWith("count"))) return "skip";
  if (Object.hasOwn(o, "list_id")) return "list";
  return "unknown";
}
