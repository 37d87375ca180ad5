import type { LoadedExceptions } from "../exceptions/loaded.ts";
import type { Diagnostic } from "./diagnostic.ts";
import type { LoadedRule, RuleLocator } from "./loaded-rule.ts";

type Located = { loaded: LoadedRule; locator: RuleLocator };

/** The code of the warning at a rule left out because a later one has its rule_id. */
export const DUPLICATE_RULE_ID = "duplicate-rule-id";

/**
 * Two rules with one rule_id would write alerts under one identity (the same alert ids, the
 * same exceptions, one line in a summary). Kibana keeps one rule per rule_id, the last one
 * imported (an import that overwrites does so silently), and so does this: each earlier one is
 * a warning at its rule_id and is left out. A warning, not an error: two revisions of one rule in
 * a directory must not stop a service from starting. Returns the rules kept, in their order.
 */
export function withoutDuplicateRuleIds<T extends Located>(
  rules: readonly T[],
  diagnostics: Diagnostic[],
): T[] {
  const last = new Map<string, T>();
  for (const located of rules) last.set(located.loaded.rule.rule_id, located);
  return rules.filter((located) => {
    const { loaded, locator } = located;
    const kept = last.get(loaded.rule.rule_id)!;
    if (kept === located) return true;
    const { line, column } = locator.at(["rule_id"]);
    diagnostics.push({
      file: loaded.origin.file,
      line,
      column,
      severity: "warning",
      code: DUPLICATE_RULE_ID,
      rule_id: loaded.rule.rule_id,
      message: `rule_id ${loaded.rule.rule_id} is also the id of "${kept.loaded.rule.name}" (${kept.loaded.origin.file}:${kept.loaded.origin.line}), read later; one rule_id is one rule, and as in Kibana the last one read is kept: this one is not loaded`,
    });
    return false;
  });
}

/**
 * The code of a warning that a rule's exception list was not among the files loaded. Commands
 * that load more lists (`scan --exceptions`) say again which lists are missing once they have.
 */
export const MISSING_EXCEPTION_LIST = "exceptions-list-missing";

/** A referenced exception list that was not loaded cannot exclude anything: the rule alerts more. */
export function checkExceptionReferences(
  rules: readonly Located[],
  exceptions: Pick<LoadedExceptions, "lists" | "items">,
  diagnostics: Diagnostic[],
): void {
  // Kibana resolves references by list_id; a list known only through its items still applies
  const types = new Map<string, string | undefined>(exceptions.items.map((i) => [i.list_id, undefined]));
  for (const list of exceptions.lists) types.set(list.list_id, list.type);
  for (const { loaded: rule, locator } of rules) {
    rule.rule.exceptions_list.forEach((ref, i) => {
      const known = types.has(ref.list_id);
      const type = types.get(ref.list_id);
      // placed only when reported: finding a place may mean reading the file again
      const report = (code: string, message: string) => {
        const { line, column } = locator.at(["exceptions_list", i]);
        diagnostics.push({
          file: rule.origin.file,
          line,
          column,
          severity: "warning",
          code,
          rule_id: rule.rule.rule_id,
          message,
        });
      };
      if (!known)
        report(
          MISSING_EXCEPTION_LIST,
          `exception list ${ref.list_id} is not loaded; its exceptions will not be applied`,
        );
      else if (type !== undefined && type !== ref.type) {
        report(
          "exceptions-list",
          `exception list ${ref.list_id} is of type ${type}, but the rule references it as ${ref.type}`,
        );
      }
    });
  }
}
