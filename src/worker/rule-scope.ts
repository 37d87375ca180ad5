/**
 * Where a rule can run when events are partitioned by host. A rule that correlates events
 * (a sequence, a sample, a single-event rule with alert suppression) sees them together only if
 * every event of one of its matches lands on the same partition. Events are partitioned by
 * their host key (`host.id`, else `agent.id`, else `host.name`), so a rule is *host-scoped*
 * when equal values of one of its join keys imply the same host. Every other correlating rule
 * runs on the single `global` partition, which reads the events of every host.
 */
import type { Field, SequenceTerm } from "../eql/ast.ts";
import type { ExecutableRule } from "../rules/rule-set.ts";

export type RuleScope = "host" | "global";

export interface ScopeDecision {
  rule_id: string;
  name: string;
  scope: RuleScope;
  /** why, for the startup report: the host-scoped key found, or what was missing */
  reason: string;
}

/**
 * Fields whose value names one host, so that two events with the same value come from the same
 * host (and, with it, the same host key):
 *
 * - `host.id`, `agent.id`: the partition key itself, or one agent per host;
 * - `host.name`, `host.hostname`: the host key falls back to the name; two machines sharing a
 *   name would be correlated by `scan` but may sit on different partitions (reported as a
 *   known inexactness, as Kibana's own results then mix two machines anyway);
 * - `host.boot.id`: one boot of one host;
 * - `container.id`: a container runs on one node;
 * - process entity ids (`process.entity_id`, of the parent, and of the group, session and
 *   entry leaders, also the parent's): Elastic Defend and cloud_defend derive them from the
 *   host's own boot or agent, so they never repeat across hosts.
 *
 * Not in the list, on purpose: `process.pid` (reused on every host), `user.*`, `source.ip`,
 * cloud and identity-provider ids (they follow a person or a resource across hosts), and
 * `winlog.computer_name` (host-scoped only when the host's own agent ships the event; behind
 * Windows Event Forwarding one collector ships many computers).
 */
const HOST_FIELDS = new Set([
  "host.id",
  "agent.id",
  "host.name",
  "host.hostname",
  "host.boot.id",
  "container.id",
]);
const ENTITY_ID = /^process(\.parent)?(\.(group_leader|session_leader|entry_leader))?\.entity_id$/;

export function isHostScopedField(name: string): boolean {
  return HOST_FIELDS.has(name) || ENTITY_ID.test(name);
}

export function ruleScope(rule: ExecutableRule): ScopeDecision {
  const base = { rule_id: rule.rule.rule_id, name: rule.rule.name };
  const query = rule.query.statement.query;
  if (query.kind === "EventQuery") {
    const suppression = rule.rule.alert_suppression as { group_by?: unknown } | undefined;
    if (!suppression) return { ...base, scope: "host", reason: "single event" };
    const groupBy = Array.isArray(suppression.group_by) ? suppression.group_by.map(String) : [];
    const key = groupBy.find(isHostScopedField);
    return key
      ? { ...base, scope: "host", reason: `alert suppression grouped by ${key}` }
      : {
          ...base,
          scope: "global",
          reason: `alert suppression grouped by ${groupBy.join(", ") || "nothing"}`,
        };
  }
  const terms = query.kind === "SequenceQuery" && query.until ? [...query.terms, query.until] : query.terms;
  const key = hostScopedJoinKey(query.joinKeys, terms);
  if (key) return { ...base, scope: "host", reason: `joined by ${key}` };
  const keys = joinKeyNames(query.joinKeys, terms);
  return { ...base, scope: "global", reason: keys ? `joined by ${keys} only` : "no join key" };
}

/**
 * The first join key position at which every term's field is host-scoped. `sequence by a
 * [x] by b [y] by c` joins on (a, b = c): every event of a match has the same values at each
 * position, so one host-scoped position keeps the whole match on one host. A missing-event or
 * `until` term must be seen by the same partition too, so its field counts as well.
 */
function hostScopedJoinKey(shared: readonly Field[], terms: readonly SequenceTerm[]): string | undefined {
  const common = shared.find((f) => isHostScopedField(f.name));
  if (common) return common.name;
  const width = terms.length ? Math.min(...terms.map((t) => t.joinKeys.length)) : 0;
  for (let i = 0; i < width; i++) {
    const fields = terms.map((t) => t.joinKeys[i].name);
    if (fields.every(isHostScopedField)) return [...new Set(fields)].join(" = ");
  }
  return undefined;
}

function joinKeyNames(shared: readonly Field[], terms: readonly SequenceTerm[]): string {
  const names = new Set(shared.map((f) => f.name));
  for (const t of terms) for (const f of t.joinKeys) names.add(f.name);
  return [...names].join(", ");
}

export interface ScopeSplit {
  host: ExecutableRule[];
  global: ExecutableRule[];
  decisions: ScopeDecision[];
}

export function splitByScope(rules: readonly ExecutableRule[]): ScopeSplit {
  const split: ScopeSplit = { host: [], global: [], decisions: [] };
  for (const rule of rules) {
    const decision = ruleScope(rule);
    split.decisions.push(decision);
    split[decision.scope].push(rule);
  }
  return split;
}
