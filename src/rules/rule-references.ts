import type { LoadedExceptions } from "../exceptions/loaded.ts";
import type { Diagnostic } from "./diagnostic.ts";
import type { LoadedRule, RuleLocator } from "./loaded-rule.ts";

type Located = { loaded: LoadedRule; locator: RuleLocator };

/**
 * Two rules with one rule_id would write alerts under one identity; Kibana keeps only the
 * last one imported.
 */
export function checkDuplicateRuleIds(rules: readonly Located[], diagnostics: Diagnostic[]): void {
  const first = new Map<string, LoadedRule>();
  for (const { loaded, locator } of rules) {
    const earlier = first.get(loaded.rule.rule_id);
    if (!earlier) {
      first.set(loaded.rule.rule_id, loaded);
      continue;
    }
    const { line, column } = locator.at(["rule_id"]);
    diagnostics.push({
      file: loaded.origin.file,
      line,
      column,
      severity: "warning",
      code: "duplicate-rule-id",
      rule_id: loaded.rule.rule_id,
      message: `rule_id ${loaded.rule.rule_id} is also the id of "${earlier.rule.name}" (${earlier.origin.file}:${earlier.origin.line})`,
    });
  }
}

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
      const report = (message: string) => {
        const { line, column } = locator.at(["exceptions_list", i]);
        diagnostics.push({
          file: rule.origin.file,
          line,
          column,
          severity: "warning",
          code: "exceptions-list",
          rule_id: rule.rule.rule_id,
          message,
        });
      };
      if (!known) report(`exception list ${ref.list_id} is not loaded; its exceptions will not be applied`);
      else if (type !== undefined && type !== ref.type) {
        report(`exception list ${ref.list_id} is of type ${type}, but the rule references it as ${ref.type}`);
      }
    });
  }
}
