import { compareJoinKeys, type JoinKey } from "./join-key.ts";

/**
 * The state of a sample query: per composite key, the items that match each term, kept in
 * input order and only as many as distinct samples can use. A sample is an unordered set of
 * distinct items sharing a key, one per term, listed in term order; up to `perKey` per key,
 * found by backtracking in input order; keys in key order. Shared by the batch search and
 * by streams, so both give the same samples.
 */
export class SampleCollector<T> {
  private readonly buckets = new Map<string, { key: JoinKey; perTerm: T[][] }>();
  /** what each add did, so that an index's adds can be taken back (see mark/reset) */
  private readonly added: Array<{ perTerm: T[][]; term: number }> = [];
  /** keys refused because `maxKeys` were already held */
  droppedKeys = 0;

  constructor(
    private readonly termCount: number,
    private readonly perKey: number,
    private readonly maxKeys = Number.POSITIVE_INFINITY,
    private readonly undoable = false,
  ) {}

  get keys(): number {
    return this.buckets.size;
  }

  add(key: JoinKey, term: number, item: T): void {
    let bucket = this.buckets.get(key.id);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) {
        this.droppedKeys++;
        return;
      }
      bucket = { key, perTerm: Array.from({ length: this.termCount }, () => []) };
      this.buckets.set(key.id, bucket);
    }
    // enough per term to build every sample of a key from distinct items
    if (bucket.perTerm[term].length < this.perKey * this.termCount) {
      bucket.perTerm[term].push(item);
      if (this.undoable) this.added.push({ perTerm: bucket.perTerm, term });
    }
  }

  mark(): number {
    return this.added.length;
  }

  /** Takes back every add since `mark` (a failing index's events leave no trace). */
  reset(to: number): void {
    for (const { perTerm, term } of this.added.splice(to)) perTerm[term].pop();
  }

  samples(): Array<{ key: JoinKey; items: T[] }> {
    const out: Array<{ key: JoinKey; items: T[] }> = [];
    const ordered = [...this.buckets.values()].sort((a, b) => compareJoinKeys(a.key, b.key));
    for (const bucket of ordered) {
      for (const items of samplesOf(bucket.perTerm, this.perKey)) out.push({ key: bucket.key, items });
    }
    return out;
  }
}

/** Distinct-item combinations, one item per term, found by backtracking in input order. */
export function samplesOf<T>(perTerm: T[][], limit: number): T[][] {
  const out: T[][] = [];
  const chosen: T[] = [];
  const walk = (t: number): boolean => {
    if (t === perTerm.length) {
      out.push([...chosen]);
      return out.length >= limit;
    }
    for (const c of perTerm[t]) {
      if (chosen.includes(c)) continue;
      chosen.push(c);
      const done = walk(t + 1);
      chosen.pop();
      if (done) return true;
    }
    return false;
  };
  if (perTerm.every((list) => list.length > 0)) walk(0);
  return out;
}
