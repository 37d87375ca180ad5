import { compareOrder, type OrderKey } from "../ordering.ts";

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

/**
 * Whether a completed positive chain survives its missing terms. It is rejected when
 * a missing run between two positives can be filled by matching events (in order,
 * strictly between them), or when filling the leading and/or trailing runs — with
 * the latest events before the chain and the earliest after it — keeps the whole
 * sequence within maxspan.
 */
export function survivesMissing(
  layout: MissingLayout,
  chain: readonly (OrderKey & { timestamp: bigint })[],
  keyId: string,
  matches: MissingMatches,
  maxspanNs: bigint,
): boolean {
  for (let i = 0; i < layout.gaps.length; i++) {
    const run = layout.gaps[i];
    if (run.length && fillForward(run, keyId, matches, chain[i], chain[i + 1]) !== null) return false;
  }
  const first = chain[0];
  const last = chain[chain.length - 1];
  const lead = layout.leading.length ? fillBackward(layout.leading, keyId, matches, first) : null;
  const trail = layout.trailing.length ? fillForward(layout.trailing, keyId, matches, last, null) : null;
  if (lead === null && trail === null) return true;
  const start = lead ?? first.timestamp;
  const end = trail ?? last.timestamp;
  return end - start > maxspanNs;
}

/** Fills `run` with the earliest events after `after` (and before `before`); the last one's time, or null. */
function fillForward(
  run: number[],
  keyId: string,
  matches: MissingMatches,
  after: OrderKey,
  before: OrderKey | null,
): bigint | null {
  let cursor = after;
  for (const term of run) {
    const list = matches(term, keyId);
    const next = list.find((o) => compareOrder(o, cursor) > 0 && (before === null || compareOrder(o, before) < 0));
    if (!next || next.timestamp === null) return null;
    cursor = next;
  }
  return cursor.timestamp as bigint;
}

/** Fills `run` with the latest events before `before`; the first one's time, or null. */
function fillBackward(run: number[], keyId: string, matches: MissingMatches, before: OrderKey): bigint | null {
  let cursor = before;
  for (let i = run.length - 1; i >= 0; i--) {
    const list = matches(run[i], keyId);
    let found: OrderKey | undefined;
    for (let j = list.length - 1; j >= 0; j--) {
      if (compareOrder(list[j], cursor) < 0) {
        found = list[j];
        break;
      }
    }
    if (!found || found.timestamp === null) return null;
    cursor = found;
  }
  return cursor.timestamp as bigint;
}
