/** Levenshtein distance, bounded: the distance is only needed up to `max`. */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      rowMin = Math.min(rowMin, current[j]);
    }
    if (rowMin > max) return max + 1;
    previous = current;
  }
  return previous[b.length];
}

/** The close candidates, nearest first, as Elasticsearch offers them: within about a third of the name's length. */
export function closest(name: string, candidates: Iterable<string>, limit = 5): string[] {
  const lower = name.toLowerCase();
  const max = Math.max(1, Math.floor(name.length / 3) + 1);
  const scored: Array<[string, number]> = [];
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase(), max);
    if (d <= max) scored.push([c, d]);
  }
  scored.sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  return scored.map(([c]) => c).slice(0, limit);
}

/** `, did you mean [x]?` or `, did you mean any of [x, y]?`, or nothing. */
export function suggest(name: string, candidates: Iterable<string>): string {
  const found = closest(name, candidates);
  if (found.length === 0) return "";
  return found.length === 1
    ? `, did you mean [${found[0]}]?`
    : `, did you mean any of [${found.join(", ")}]?`;
}
