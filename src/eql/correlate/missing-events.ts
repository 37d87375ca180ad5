import type { OrderKey } from "../ordering.ts";

/**
 * Where the `![...]` terms of a sequence stand relative to its positive terms:
 * runs of missing terms before the first positive, between two positives, or after
 * the last one. Terms are indexes into the expanded (runs-repeated) term list.
 */
export interface MissingLayout {
  leading: number[];
  /** gaps[i]: missing terms between positive i and positive i+1 */
  gaps: number[][];
  trailing: number[];
}

export function missingLayout(missing: boolean[]): MissingLayout {
  const layout: MissingLayout = { leading: [], gaps: [], trailing: [] };
  let run: number[] = [];
  let positives = 0;
  missing.forEach((isMissing, term) => {
    if (isMissing) {
      run.push(term);
      return;
    }
    if (positives === 0) layout.leading = run;
    else layout.gaps.push(run);
    run = [];
    positives++;
  });
  layout.trailing = run;
  return layout;
}

/** The events that matched each missing term, per join key, in order. */
export type MissingMatches = (term: number, keyId: string) => readonly OrderKey[];

const MS = 1_000_000n;
/** Elasticsearch bounds missing-event lookups with epoch-millisecond range queries. */
const floorMs = (ns: bigint) => (ns >= 0n ? ns / MS : (ns - MS + 1n) / MS) * MS;

/**
 * Whether a completed positive chain survives its missing terms, decided as
 * Elasticsearch decides it, each missing term looked up on its own (one event may
 * answer several), by timestamp at millisecond precision:
 * - an event matching a missing term strictly between its two positive neighbours
 *   rejects the chain;
 * - leading terms look for the latest event before the chain, trailing terms for the
 *   earliest after it; the chain is rejected only when the missing events found at
 *   its open ends (both, if both ends are missing terms) fit in maxspan together
 *   with the chain.
 */
export function survivesMissing(
  layout: MissingLayout,
  chain: readonly (OrderKey & { timestamp: bigint })[],
  keyId: string,
  matches: MissingMatches,
  maxspanNs: bigint,
): boolean {
  for (let i = 0; i < layout.gaps.length; i++) {
    const after = floorMs(chain[i].timestamp) + MS - 1n;
    const before = floorMs(chain[i + 1].timestamp);
    for (const term of layout.gaps[i]) {
      if (
        matches(term, keyId).some((o) => o.timestamp !== null && o.timestamp > after && o.timestamp < before)
      ) {
        return false;
      }
    }
  }
  const start = chain[0].timestamp;
  const end = chain[chain.length - 1].timestamp;
  let lastLeading: bigint | null = null;
  for (const term of layout.leading) {
    const found = latestBefore(matches(term, keyId), floorMs(start));
    if (found !== null && (lastLeading === null || found > lastLeading)) lastLeading = found;
  }
  let firstTrailing: bigint | null = null;
  for (const term of layout.trailing) {
    const found = earliestAfter(matches(term, keyId), floorMs(end) + MS - 1n);
    if (found !== null && (firstTrailing === null || found < firstTrailing)) firstTrailing = found;
  }
  const leads = layout.leading.length > 0;
  const trails = layout.trailing.length > 0;
  const tooLong = (from: bigint | null, to: bigint | null) =>
    from === null || to === null || to - from > maxspanNs;
  if (lastLeading === null && firstTrailing === null) return true;
  if (leads && lastLeading === null) return true;
  if (trails && firstTrailing === null) return true;
  if (leads && trails) return tooLong(lastLeading, firstTrailing);
  if (leads) return tooLong(lastLeading, end);
  return tooLong(start, firstTrailing);
}

function latestBefore(list: readonly OrderKey[], bound: bigint): bigint | null {
  let best: bigint | null = null;
  for (const o of list)
    if (o.timestamp !== null && o.timestamp < bound && (best === null || o.timestamp > best))
      best = o.timestamp;
  return best;
}

function earliestAfter(list: readonly OrderKey[], bound: bigint): bigint | null {
  let best: bigint | null = null;
  for (const o of list)
    if (o.timestamp !== null && o.timestamp > bound && (best === null || o.timestamp < best))
      best = o.timestamp;
  return best;
}
