import type { LoadResult } from "./load-rules.ts";

/** The counts `validate` prints and returns as JSON, and the benchmark reports. */
export interface LoadSummary {
  files: number;
  /** rule documents found: loaded and rejected */
  rules: number;
  by_type: Record<string, number>;
  loaded: number;
  rejected: number;
  /** `eql` rules whose query compiled */
  compiled: number;
  /** loaded rules of types the engine cannot run yet, by type */
  not_executable: Record<string, number>;
  exception_lists: number;
  exception_items: number;
  errors: number;
  warnings: number;
}

export function summarize(result: LoadResult): LoadSummary {
  // a Map: a rejected rule's type is whatever its file says, `constructor` or `__proto__` too
  const byType = new Map<string, number>();
  const notExecutable = new Map<string, number>();
  const count = (into: Map<string, number>, key: string) => {
    into.set(key, (into.get(key) ?? 0) + 1);
  };
  for (const { rule } of result.rules) {
    count(byType, rule.type);
    if (rule.type !== "eql") count(notExecutable, rule.type);
  }
  for (const rejected of result.rejected) count(byType, rejected.type ?? "unknown");
  let errors = 0;
  for (const d of result.diagnostics) if (d.severity === "error") errors++;
  return {
    files: result.files.length,
    rules: result.rules.length + result.rejected.length,
    by_type: sortByCount(byType),
    loaded: result.rules.length,
    rejected: result.rejected.length,
    compiled: result.rules.filter((r) => r.query !== undefined).length,
    not_executable: sortByCount(notExecutable),
    exception_lists: result.exceptions.lists.length,
    exception_items: result.exceptions.items.length,
    errors,
    warnings: result.diagnostics.length - errors,
  };
}

/** fromEntries defines each key as the object's own, even one named `__proto__` */
const sortByCount = (counts: Map<string, number>): Record<string, number> =>
  Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
