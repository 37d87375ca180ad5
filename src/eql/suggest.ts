/** Two rows of the distance table, reused: suggestions compare one name with thousands. */
let previous = new Int32Array(64);
let current = new Int32Array(64);

/** Levenshtein distance, bounded: the distance is only needed up to `max`. */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  if (previous.length <= b.length) {
    previous = new Int32Array(b.length + 1);
    current = new Int32Array(b.length + 1);
  }
  for (let j = 0; j <= b.length; j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMin = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const cost = ca === b.charCodeAt(j - 1) ? 0 : 1;
      const d = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      current[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > max) return max + 1;
    const row = previous;
    previous = current;
    current = row;
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
