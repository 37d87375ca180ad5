import { cloneJson } from "./json-tree.ts";

/**
 * The fields a suppressed alert carries (Kibana's alert suppression): which
 * group it stands for and how many later matches of that group it absorbed.
 * Deciding what to suppress is the suppression stage's job; this only gives the
 * fields their names and shapes.
 */
export interface SuppressionInfo {
  /** identifies the group across runs: a hash of the terms, the rule and the space */
  instanceId: string;
  /** the group-by fields and their values (an array for multi-valued fields, null when missing) */
  terms: Array<{ field: string; value: unknown }>;
  /** first and last event time of the group (timestamp override first) */
  start: Date | string;
  end: Date | string;
  /** matches folded into this alert, not counting the alert's own */
  docsCount: number;
}

export function suppressionFields(info: SuppressionInfo): Array<[string, unknown]> {
  const iso = (t: Date | string) => (typeof t === "string" ? t : t.toISOString());
  return [
    ["kibana.alert.instance.id", info.instanceId],
    [
      "kibana.alert.suppression.terms",
      info.terms.map((t) => ({ field: t.field, value: cloneJson(t.value) ?? null })),
    ],
    ["kibana.alert.suppression.start", iso(info.start)],
    ["kibana.alert.suppression.end", iso(info.end)],
    ["kibana.alert.suppression.docs_count", info.docsCount],
  ];
}
