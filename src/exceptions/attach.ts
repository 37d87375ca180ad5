/**
 * Which exception items apply to which rule. A rule uses the lists its
 * `exceptions_list` names (by `list_id`, as Kibana resolves them; the
 * reference's saved-object `id` means nothing outside the Kibana it came from),
 * the items that name it (plain format `rules = [...]`), and the items for all
 * rules.
 */
import type { LoadedExceptions } from "./load.ts";
import type { Diagnostic, ExceptionItem, ExceptionListReference } from "./model.ts";

/** What attachment needs of a rule; AlertRule and the rule loaders' types fit it. */
export interface RuleExceptionRefs {
  rule_id: string;
  name?: string;
  exceptions_list?: ReadonlyArray<Pick<ExceptionListReference, "list_id">>;
  /** the rule's file, for messages */
  source?: string;
}

export interface Attachment {
  /** every rule's items, in order: its lists', then those naming it, then those for all rules; no duplicates */
  byRule: Map<string, ExceptionItem[]>;
  /**
   * lists referenced but not loaded: one warning per rule, or, where several rules miss the same
   * lists, one for them all (a corpus has many rules naming Elastic Defend's `endpoint_list`)
   */
  diagnostics: Diagnostic[];
}

export function attachExceptions(
  rules: readonly RuleExceptionRefs[],
  loaded: Pick<LoadedExceptions, "lists" | "items" | "byRuleId" | "allRules">,
): Attachment {
  const itemsByList = new Map<string, ExceptionItem[]>();
  for (const item of loaded.items) {
    const items = itemsByList.get(item.list_id);
    if (items) items.push(item);
    else itemsByList.set(item.list_id, [item]);
  }
  // A list loaded without items is loaded all the same: it just excepts nothing.
  const known = new Set([...itemsByList.keys(), ...loaded.lists.map((list) => list.list_id)]);

  const byRule = new Map<string, ExceptionItem[]>();
  const missingBy = new Map<string, { lists: string[]; rules: RuleExceptionRefs[] }>();
  for (const rule of rules) {
    const items = new Set<ExceptionItem>(byRule.get(rule.rule_id));
    const missing = new Set<string>();
    for (const ref of rule.exceptions_list ?? []) {
      if (!known.has(ref.list_id)) missing.add(ref.list_id);
      for (const item of itemsByList.get(ref.list_id) ?? []) items.add(item);
    }
    for (const item of loaded.byRuleId.get(rule.rule_id) ?? []) items.add(item);
    for (const item of loaded.allRules) items.add(item);
    byRule.set(rule.rule_id, [...items]);
    if (missing.size === 0) continue;
    const lists = [...missing];
    const key = JSON.stringify(lists);
    const group = missingBy.get(key);
    if (group) group.rules.push(rule);
    else missingBy.set(key, { lists, rules: [rule] });
  }
  const diagnostics = [...missingBy.values()].map(({ lists, rules }) => missingListsWarning(rules, lists));
  return { byRule, diagnostics };
}

/** Rules named in a warning about many; the count says how many more. */
const NAMED_RULES = 3;

function missingListsWarning(rules: RuleExceptionRefs[], missing: string[]): Diagnostic {
  const who = (rule: RuleExceptionRefs) =>
    rule.name ? `rule "${rule.name}" (${rule.rule_id})` : `rule ${rule.rule_id}`;
  const lists = missing.map((id) => `"${id}"`).join(", ");
  const notLoaded =
    missing.length === 1
      ? `exception list ${lists}, which was not loaded; its exceptions are not applied`
      : `exception lists ${lists}, which were not loaded; their exceptions are not applied`;
  if (rules.length === 1) {
    const d: Diagnostic = { severity: "warning", message: `${who(rules[0])} uses ${notLoaded}` };
    if (rules[0].source !== undefined) d.file = rules[0].source;
    return d;
  }
  const named = rules.slice(0, NAMED_RULES).map(who).join(", ");
  const more = rules.length > NAMED_RULES ? ` and ${rules.length - NAMED_RULES} more` : "";
  return { severity: "warning", message: `${rules.length} rules use ${notLoaded}: ${named}${more}` };
}
