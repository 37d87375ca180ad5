import { visibleLine, visibleText } from "../eql/terminal-text.ts";

/**
 * Exception lists, items and entries as Kibana stores and exports them (the
 * snake_case shape of its lists API), plus the few things eqlite adds: where an
 * item was read from, and diagnostics.
 *
 * An exception item says "do not alert on events like this": its entries are
 * ANDed, the items of all lists a rule uses are ORed, and an event that some item
 * matches never reaches the rule.
 */

export type Operator = "included" | "excluded";

export const OPERATORS: readonly Operator[] = ["included", "excluded"];

/** `single` lists live in one Kibana space, `agnostic` ones (the Endpoint list) in all. */
export type NamespaceType = "single" | "agnostic";

export const NAMESPACE_TYPES: readonly NamespaceType[] = ["single", "agnostic"];

/**
 * Exception list types. Rules reference `detection`, `rule_default` (the list the
 * UI creates for one rule) and `endpoint` (the Elastic Defend list); the other
 * `endpoint_*` types are Defend artifacts that exports may carry but rules never use.
 */
export const EXCEPTION_LIST_TYPES: readonly string[] = [
  "detection",
  "rule_default",
  "endpoint",
  "endpoint_trusted_apps",
  "endpoint_trusted_devices",
  "endpoint_events",
  "endpoint_host_isolation_exceptions",
  "endpoint_blocklists",
];

/** The OS names items may be restricted to; other strings are kept but never match an event. */
export const OS_TYPES: readonly string[] = ["linux", "macos", "windows"];

/**
 * Value list types Kibana knows. Only `keyword`, `ip` and `ip_range` ones are
 * turned into query clauses; Kibana does not apply exceptions using the others
 * to EQL rules, and neither does eqlite.
 */
export const LIST_TYPES: readonly string[] = [
  "binary",
  "boolean",
  "byte",
  "date",
  "date_nanos",
  "date_range",
  "double",
  "double_range",
  "float",
  "float_range",
  "geo_point",
  "geo_shape",
  "half_float",
  "integer",
  "integer_range",
  "ip",
  "ip_range",
  "keyword",
  "long",
  "long_range",
  "shape",
  "short",
  "text",
];

export type ValueListType = "keyword" | "ip" | "ip_range";

export const VALUE_LIST_TYPES: readonly ValueListType[] = ["keyword", "ip", "ip_range"];

export interface MatchEntry {
  type: "match";
  field: string;
  operator: Operator;
  value: string;
}

export interface MatchAnyEntry {
  type: "match_any";
  field: string;
  operator: Operator;
  value: string[];
}

export interface WildcardEntry {
  type: "wildcard";
  field: string;
  operator: Operator;
  value: string;
}

export interface ExistsEntry {
  type: "exists";
  field: string;
  operator: Operator;
}

export interface ListEntry {
  type: "list";
  field: string;
  operator: Operator;
  /** `id` names a value list; `type` is one of LIST_TYPES */
  list: { id: string; type: string };
}

/** What a nested entry may hold: no value lists and no further nesting, as in Kibana. */
export type NestedInnerEntry = MatchEntry | MatchAnyEntry | WildcardEntry | ExistsEntry;

export interface NestedEntry {
  type: "nested";
  /** the path of an array of objects; inner fields are relative to each object */
  field: string;
  /** Kibana's nested entries carry no operator; eqlite reads one and defaults it to `included` */
  operator: Operator;
  entries: NestedInnerEntry[];
}

export type ExceptionEntry =
  | MatchEntry
  | MatchAnyEntry
  | WildcardEntry
  | ExistsEntry
  | ListEntry
  | NestedEntry;

export const ENTRY_TYPES: readonly ExceptionEntry["type"][] = [
  "match",
  "match_any",
  "wildcard",
  "exists",
  "list",
  "nested",
];

/** Where something was read from, for messages. Not part of Kibana's schema. */
export interface Origin {
  file: string;
  line?: number;
}

export interface ItemComment {
  comment: string;
  id?: string;
  created_at?: string;
  created_by?: string;
}

export interface ExceptionItem {
  item_id: string;
  list_id: string;
  name: string;
  entries: ExceptionEntry[];
  namespace_type: NamespaceType;
  /** Kibana's saved-object id, in exports */
  id?: string;
  description?: string;
  /** always `simple` in Kibana */
  type?: string;
  /** restricts the item to events from these operating systems */
  os_types?: string[];
  /** ISO 8601; once past, the item no longer applies */
  expire_time?: string;
  comments?: ItemComment[];
  tags?: string[];
  origin?: Origin;
}

export interface ExceptionList {
  list_id: string;
  name: string;
  type: string;
  namespace_type: NamespaceType;
  id?: string;
  description?: string;
  os_types?: string[];
  tags?: string[];
  version?: number;
  origin?: Origin;
}

/** One element of a rule's `exceptions_list`. */
export interface ExceptionListReference {
  id: string;
  list_id: string;
  type: string;
  namespace_type: string;
}

export interface Diagnostic {
  severity: "error" | "warning";
  /** absent for problems that belong to no file (a rule given in memory) */
  file?: string;
  line?: number;
  column?: number;
  message: string;
}

/** `file:line:column: message`, with `warning: ` before the message of warnings. */
export function formatDiagnostic(d: Diagnostic): string {
  let where = visibleLine(d.file ?? "");
  if (d.file !== undefined && d.line !== undefined) {
    where += `:${d.line}`;
    if (d.column !== undefined) where += `:${d.column}`;
  }
  const message = visibleText(d.message);
  const what = d.severity === "warning" ? `warning: ${message}` : message;
  return where === "" ? what : `${where}: ${what}`;
}

/** A diagnostic located at an origin (or nowhere). */
export function diagnosticAt(
  severity: Diagnostic["severity"],
  origin: Origin | undefined,
  message: string,
): Diagnostic {
  const d: Diagnostic = { severity, message };
  if (origin !== undefined) {
    d.file = origin.file;
    if (origin.line !== undefined) d.line = origin.line;
  }
  return d;
}

/** `"name" (item_id)`: how messages name an item. */
export function describeItem(item: Pick<ExceptionItem, "name" | "item_id">): string {
  return item.name === item.item_id || item.name === ""
    ? `exception item "${item.item_id}"`
    : `exception item "${item.name}" (${item.item_id})`;
}
