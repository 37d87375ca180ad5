import { createHash } from "node:crypto";
import { compileFieldGetter, type Event, scalarValues } from "../eql/field-access.ts";
import { DEFAULT_SPACE_ID } from "./alert-id.ts";
import { canonicalJson } from "./json-tree.ts";

/** A rule's `alert_suppression`, as Kibana defines it. */
export interface SuppressionConfig {
  group_by: string[];
  duration?: { value: number; unit: "s" | "m" | "h" };
  missing_fields_strategy?: "suppress" | "doNotSuppress";
}

export interface SuppressionGroup {
  instanceId: string;
  terms: Array<{ field: string; value: unknown }>;
}

const UNIT_NS = { s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n } as const;

export function suppressionWindowNs(config: SuppressionConfig): bigint | null {
  return config.duration ? BigInt(config.duration.value) * UNIT_NS[config.duration.unit] : null;
}

/**
 * The group an event's alert is suppressed into: the values of the group-by
 * fields (an array for a multi-valued field, null when missing) hashed with the
 * rule and space into Kibana's `kibana.alert.instance.id`. Null when a field is
 * missing and the rule says not to suppress such events (they alert as usual).
 *
 * A multi-valued field's values are sorted, as Kibana sorts them, and each is
 * taken once: a field is grouped by the values rules match it on, so `["b", "a"]`,
 * `["a", "b"]` and the twins of `{"x.y": "a", "x": {"y": "b"}}` are one group, and
 * `{"x.y": "a", "x": {"y": "a"}}` is the group of `"a"`.
 */
export function compileSuppressionGroup(
  config: SuppressionConfig,
  ruleUuid: string,
  spaceId = DEFAULT_SPACE_ID,
): (event: Event) => SuppressionGroup | null {
  const getters = config.group_by.map((field) => ({ field, get: compileFieldGetter(field) }));
  const suppressMissing = (config.missing_fields_strategy ?? "suppress") === "suppress";
  return (event) => {
    const terms = getters.map(({ field, get }) => {
      const values = distinctSorted(scalarValues(get(event)));
      return { field, value: values.length === 0 ? null : values.length === 1 ? values[0] : values };
    });
    if (!suppressMissing && terms.some((t) => t.value === null)) return null;
    const instanceId = createHash("sha256")
      .update(canonicalJson([terms, ruleUuid, spaceId]))
      .digest("hex");
    return { instanceId, terms };
  };
}

type Scalar = string | number | boolean;

const TYPE_RANK: Record<string, number> = { boolean: 0, number: 1, string: 2 };

/** Booleans, then numbers, then strings (by UTF-16 code units), each value once. */
function distinctSorted(values: Scalar[]): Scalar[] {
  if (values.length < 2) return values;
  const sorted = values.sort((a, b) =>
    typeof a !== typeof b ? TYPE_RANK[typeof a] - TYPE_RANK[typeof b] : a < b ? -1 : a > b ? 1 : 0,
  );
  return sorted.filter((v, i) => i === 0 || v !== sorted[i - 1]);
}

export interface SuppressedAlert<T> {
  first: T;
  group: SuppressionGroup;
  start: bigint;
  end: bigint;
  /** matches folded into the first, not counting it */
  docsCount: number;
}

/**
 * Folds time-ordered matches into one alert per group: per group, the first match
 * stands for every later one within `window` of it (the whole run when the rule
 * gives no duration); a match past the window starts a new alert. Matches with no
 * group (missing fields, doNotSuppress) stay alerts of their own.
 */
export function suppress<T>(
  matches: ReadonlyArray<{ item: T; time: bigint; group: SuppressionGroup | null }>,
  window: bigint | null,
): Array<SuppressedAlert<T> | { first: T; group: null }> {
  const out: Array<SuppressedAlert<T> | { first: T; group: null }> = [];
  const open = new Map<string, SuppressedAlert<T>>();
  for (const m of matches) {
    if (!m.group) {
      out.push({ first: m.item, group: null });
      continue;
    }
    const current = open.get(m.group.instanceId);
    if (current && (window === null || m.time - current.start <= window)) {
      current.docsCount++;
      if (m.time > current.end) current.end = m.time;
      continue;
    }
    const created: SuppressedAlert<T> = {
      first: m.item,
      group: m.group,
      start: m.time,
      end: m.time,
      docsCount: 0,
    };
    open.set(m.group.instanceId, created);
    out.push(created);
  }
  return out;
}
