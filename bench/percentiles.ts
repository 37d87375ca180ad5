/** Percentiles of measured samples (milliseconds, events, …), as the benchmarks report them. */

/** The nearest-rank percentile of ascending `sorted`; undefined when there is no sample. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export interface Summary {
  count: number;
  minMs: number | undefined;
  p50Ms: number | undefined;
  p90Ms: number | undefined;
  p99Ms: number | undefined;
  maxMs: number | undefined;
}

export function summary(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    minMs: sorted[0],
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.at(-1),
  };
}
