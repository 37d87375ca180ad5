import type { SampleQuery } from "../ast.ts";
import type { Candidate, EqlSequence, SearchInput, ShardFailure } from "../search.ts";
import { eachIndex, orderKeyReader, toHit } from "../search.ts";
import { compareJoinKeys, type JoinKey, joinKeysOf } from "./join-key.ts";
import { compileTerm } from "./sequence-search.ts";

interface KeyBucket {
  key: JoinKey;
  /** per term: the events with this key that match it, in input order */
  perTerm: Candidate[][];
}

/**
 * A sample is an unordered set of events sharing a composite key, one distinct
 * event per term, listed in term order. Up to `max_samples_per_key` per key;
 * samples ordered by key; no timestamps needed.
 */
export async function searchSamples(
  search: SearchInput,
  query: SampleQuery,
): Promise<{ sequences: EqlSequence[]; total: number; failures: ShardFailure[] }> {
  const perKey = search.request.max_samples_per_key ?? 1;
  const termCount = query.terms.length;
  // Enough candidates per term to build every sample of a key from distinct events.
  const keepPerTerm = perKey * termCount;
  const buckets = new Map<string, KeyBucket>();
  // What each index added, so a failing index can be taken back out.
  const added: Array<[KeyBucket, number]> = [];
  const add = (key: JoinKey, t: number, candidate: Candidate) => {
    let bucket = buckets.get(key.id);
    if (!bucket) {
      bucket = { key, perTerm: Array.from({ length: termCount }, () => []) };
      buckets.set(key.id, bucket);
    }
    if (bucket.perTerm[t].length < keepPerTerm) {
      bucket.perTerm[t].push(candidate);
      added.push([bucket, t]);
    }
  };
  const failures = await eachIndex(
    search,
    (index) => {
      const terms = query.terms.map((t) => compileTerm(index.compiler, t, query.joinKeys));
      const order = orderKeyReader(index.compiler, search.request);
      return (event, arrival, position) => {
        let candidate: Candidate | undefined;
        terms.forEach((term, t) => {
          if (!term.matches(event)) return;
          for (const key of joinKeysOf(event, term.keys, "epoch_millis")) {
            candidate ??= { ...order(event, arrival), index: index.name, id: String(position), event };
            add(key, t, candidate);
          }
        });
      };
    },
    {
      mark: () => added.length,
      reset: (to) => {
        for (const [bucket, t] of added.splice(to)) bucket.perTerm[t].pop();
      },
    },
  );
  const samples: EqlSequence[] = [];
  const ordered = [...buckets.values()].sort((a, b) => compareJoinKeys(a.key, b.key));
  for (const bucket of ordered) {
    for (const events of samplesOf(bucket.perTerm, perKey)) {
      samples.push({ join_keys: bucket.key.values, events: events.map(toHit) });
    }
  }
  const total = samples.length;
  return { sequences: samples.slice(0, search.request.size), total, failures };
}

/** Distinct-event combinations, one event per term, found by backtracking in input order. */
function samplesOf(perTerm: Candidate[][], limit: number): Candidate[][] {
  const out: Candidate[][] = [];
  const chosen: Candidate[] = [];
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
