import { problemAt } from "../eql/error.ts";
import type { CompiledRuleQuery } from "./compile-rule.ts";
import type { Severity } from "./diagnostic.ts";
import { type FieldCatalog, shipsFieldsOf } from "./field-catalog.ts";
import type { LoadedRule, QueryLocation, RuleLocator } from "./loaded-rule.ts";
import { queryFields } from "./query-fields.ts";
import type { EqlRule } from "./rule-model.ts";

/** `message` may be worked out when first read (see lazyMessage) */
export type FieldReport = (
  line: number,
  column: number,
  severity: Severity,
  code: string,
  message: string | (() => string),
) => void;

/**
 * The fields an `eql` rule reads, against the catalog of ECS and its integrations. Type
 * problems are the EQL checks' (they refuse the query); what is left here is what
 * Elasticsearch would accept but an author would want to know: a field no catalog has
 * (a typo, or an integration without a field list).
 * detection-rules skips these for deprecated rules and `query_schema_validation = false`.
 */
export function checkRuleFields(
  loaded: LoadedRule & { rule: EqlRule },
  compiled: CompiledRuleQuery,
  catalog: FieldCatalog,
  location: QueryLocation,
  locator: RuleLocator,
  report: FieldReport,
  strict: boolean,
): void {
  if (loaded.metadata?.maturity === "deprecated" || loaded.metadata?.query_schema_validation === false)
    return;
  const unknown: Severity = strict ? "error" : "warning";
  const at = (start: number, end: number) => location.positionOf(problemAt(location.source, start, end, ""));

  // worked out when a message is read (see lazyMessage)
  const unknownField = (name: string) =>
    unknownFieldMessage(name, catalog, unlistedIntegrations(loaded.integrations));
  const reported = new Set<string>();
  for (const field of queryFields(compiled.statement)) {
    // `?field` says the field may be absent: no schema needs to have it
    if (field.optional || reported.has(field.name) || catalog.isKnown(field.name)) continue;
    reported.add(field.name);
    const { line, column } = at(field.loc.start, field.loc.end);
    report(line, column, unknown, "unknown-field", () => unknownField(field.name));
  }

  // fields named in the settings rather than the query: the engine reads them too
  for (const key of [
    "timestamp_override",
    "event_category_override",
    "timestamp_field",
    "tiebreaker_field",
  ] as const) {
    const name = loaded.rule[key];
    if (name === undefined || catalog.isKnown(name)) continue;
    const { line, column } = locator.at([key]);
    report(line, column, unknown, "unknown-field", () => `${key}: ${unknownField(name)}`);
  }
}

/**
 * The rule's integrations whose fields eqlite does not ship: a field "unknown" to the catalog
 * may well be one of theirs, and the message says so, so a reader can tell that from a typo.
 */
function unlistedIntegrations(integrations: readonly string[]): string[] {
  return [...new Set(integrations)].filter((name) => !shipsFieldsOf(name)).sort();
}

const unknownFieldMessage = (name: string, catalog: FieldCatalog, unlisted: readonly string[]): string =>
  `unknown field [${name}], not in ${catalog.description}${
    unlisted.length > 0 ? ` (no field list ships for ${unlisted.join(", ")})` : ""
  }${catalog.suggestion(name)}`;
