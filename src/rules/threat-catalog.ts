import { FRAMEWORKS } from "./checks/threat-framework.ts";
import type { Diagnostic } from "./diagnostic.ts";
import type { LoadedRule, RuleLocator } from "./loaded-rule.ts";

interface Mention {
  name: string;
  rule: LoadedRule;
  locator: RuleLocator;
  path: (string | number)[];
}

/**
 * Without the ATT&CK catalogue, the loaded rules are the catalogue: an id named
 * differently from what most rules call it is likely a wrong name or a wrong id.
 */
export function checkThreatNames(
  rules: ReadonlyArray<{ loaded: LoadedRule; locator: RuleLocator }>,
  diagnostics: Diagnostic[],
): void {
  const byId = new Map<string, Mention[]>();
  const mention = (id: string, m: Mention) => {
    const list = byId.get(id);
    if (list) list.push(m);
    else byId.set(id, [m]);
  };
  for (const { loaded, locator } of rules) {
    loaded.rule.threat.forEach((entry, t) => {
      const prefix = `${entry.framework}\u0000`;
      // tactics eqlite knows are checked against the catalogue (checks/threat-framework.ts)
      if (!FRAMEWORKS[entry.framework]?.tactics?.has(entry.tactic.id))
        mention(prefix + entry.tactic.id, {
          name: entry.tactic.name,
          rule: loaded,
          locator,
          path: ["threat", t, "tactic", "name"],
        });
      entry.technique.forEach((technique, k) => {
        mention(prefix + technique.id, {
          name: technique.name,
          rule: loaded,
          locator,
          path: ["threat", t, "technique", k, "name"],
        });
        technique.subtechnique?.forEach((sub, s) => {
          mention(prefix + sub.id, {
            name: sub.name,
            rule: loaded,
            locator,
            path: ["threat", t, "technique", k, "subtechnique", s, "name"],
          });
        });
      });
    });
  }
  for (const [key, mentions] of byId) {
    const counts = new Map<string, number>();
    for (const m of mentions) counts.set(m.name, (counts.get(m.name) ?? 0) + 1);
    if (counts.size < 2) continue;
    const [usual, usualCount] = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
    // a tie has no majority to trust
    if ([...counts.values()].filter((c) => c === usualCount).length > 1) continue;
    const id = key.slice(key.indexOf("\u0000") + 1);
    for (const m of mentions) {
      if (m.name === usual) continue;
      const { line, column } = m.locator.at(m.path);
      diagnostics.push({
        file: m.rule.origin.file,
        line,
        column,
        severity: "warning",
        code: "threat",
        rule_id: m.rule.rule.rule_id,
        message: `${id} is named ${JSON.stringify(m.name)} here but ${JSON.stringify(usual)} in ${usualCount} other rule mapping(s)`,
      });
    }
  }
}
