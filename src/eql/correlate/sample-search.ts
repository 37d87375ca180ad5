import type { SampleQuery } from "../ast.ts";
import type { Candidate, EqlSequence, SearchInput, ShardFailure } from "../search.ts";
import { eachIndex, heldEvent, orderKeyReader, toHit } from "../search.ts";
import { joinKeysOf } from "./join-key.ts";
import { SampleCollector } from "./sample-collector.ts";
import { compileTerm } from "./sequence-search.ts";

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
  const collector = new SampleCollector<Candidate>(query.terms.length, perKey, undefined, true);
  // where each index's contributions start, to take them back if it fails
  const marks: number[] = [];
  const failures = await eachIndex(
    search,
    (index, indexNumber) => {
      marks[indexNumber] = collector.mark();
      const terms = query.terms.map((t) => compileTerm(index.compiler, t, query.joinKeys));
      const order = orderKeyReader(index.compiler, search.request);
      return (event, arrival, position) => {
        let candidate: Candidate | undefined;
        terms.forEach((term, t) => {
          if (!term.matches(event)) return;
          for (const key of joinKeysOf(event, term.keys, "epoch_millis")) {
            candidate ??= {
              ...order(event, arrival),
              index: index.name,
              id: String(position),
              event: heldEvent(event),
            };
            collector.add(key, t, candidate);
          }
        });
      };
    },
    (indexNumber) => collector.reset(marks[indexNumber]),
  );
  const samples: EqlSequence[] = collector
    .samples()
    .map(({ key, items }) => ({ join_keys: key.values, events: items.map(toHit) }));
  const total = samples.length;
  return { sequences: samples.slice(0, search.request.size), total, failures };
}
