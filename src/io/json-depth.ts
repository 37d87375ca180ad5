/**
 * How deep a rule or exception document read from JSON may nest. Rules nest a few levels (a
 * threat's techniques and their subtechniques); smol-toml stops a TOML file at this depth, and
 * JSON is held to the same: the loaders' passes over a document recurse, and every alert
 * carries its rule.
 */
export const MAX_DOCUMENT_DEPTH = 1000;

/** Whether a parsed JSON value nests deeper than `limit` (looked at without recursion). */
export function nestsTooDeep(value: unknown, limit = MAX_DOCUMENT_DEPTH): boolean {
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (typeof next.value !== "object" || next.value === null) continue;
    const depth = next.depth + 1;
    if (depth > limit) return true;
    for (const child of Object.values(next.value)) pending.push({ value: child, depth });
  }
  return false;
}

export const tooDeepDocumentMessage = (what: string): string =>
  `${what} nests more than ${MAX_DOCUMENT_DEPTH} levels deep`;
