import type { Field, SequenceQuery, SequenceTerm } from "../ast.ts";
import type { EventPredicate, QueryCompiler } from "../compiler.ts";
import type { Event } from "../field-access.ts";
import { compareOrder, type OrderKey } from "../ordering.ts";
import {
  applyLimits,
  type Candidate,
  type EqlSequence,
  orderKeyReader,
  type SearchInput,
  type ShardFailure,
  shardFailure,
  toHit,
} from "../search.ts";
import { timeUnitToNanos } from "../timestamp.ts";
import { type JoinKey, joinKeysOf, type KeyReader } from "./join-key.ts";
import { missingLayout, survivesMissing } from "./missing-events.ts";
import { type CompletedSequence, SequenceMatcher } from "./sequence-matcher.ts";

/** A query of a sequence or sample compiled for one index: its predicate and how to read its keys. */
export interface CompiledTerm {
  matches: EventPredicate;
  keys: KeyReader[];
}

export function compileTerm(compiler: QueryCompiler, term: SequenceTerm, sharedKeys: Field[]): CompiledTerm {
  const typeOf = (f: Field) => compiler.typeOf(f);
  return {
    matches: compiler.compileEventQuery(term.query),
    keys: [...sharedKeys, ...term.joinKeys].map((f) => ({
      get: compiler.fieldGetter(f),
      optional: f.optional,
      type: typeOf(f),
      format: compiler.fieldFormat(f.name),
    })),
  };
}

/** Per event: the keys it has for each term it matches (undefined where it does not match). */
interface TermHits {
  candidate: Candidate & { timestamp: bigint };
  terms: Array<JoinKey[] | undefined>;
  until?: JoinKey[];
}

export function maxspanNanos(query: SequenceQuery): bigint | null {
  return query.maxspan ? timeUnitToNanos(query.maxspan.value, query.maxspan.unit) : null;
}

/**
 * Runs a sequence query over the search input: the events matching some term, in
 * order, through the sequence state machine; missing-event terms checked against
 * the events that match them; results in completion order, then head/tail/size.
 */
export function searchSequences(
  search: SearchInput,
  query: SequenceQuery,
): { sequences: EqlSequence[]; total: number; failures: ShardFailure[] } {
  const { hits, failures } = collectTermHits(search, query);
  if (failures.length && !search.request.allow_partial_sequence_results) {
    return { sequences: [], total: 0, failures };
  }
  const expanded = query.terms.flatMap((term, index) =>
    Array.from({ length: term.runs }, () => ({ index, missing: term.missing })),
  );
  const positive = expanded.filter((t) => !t.missing);
  const layout = missingLayout(expanded.map((t) => t.missing));
  const maxspan = maxspanNanos(query);

  const missingIndex = new Map<number, Map<string, OrderKey[]>>();
  for (const t of new Set(expanded.filter((x) => x.missing).map((x) => x.index)))
    missingIndex.set(t, new Map());
  for (const hit of hits) {
    for (const [term, byKey] of missingIndex) {
      for (const key of hit.terms[term] ?? []) {
        const list = byKey.get(key.id);
        if (list) list.push(hit.candidate);
        else byKey.set(key.id, [hit.candidate]);
      }
    }
  }
  const matchesOfMissing = (expandedTerm: number, keyId: string) =>
    missingIndex.get(expanded[expandedTerm].index)?.get(keyId) ?? [];

  const completed: CompletedSequence<Candidate & { timestamp: bigint }>[] = [];
  const matcher = new SequenceMatcher<Candidate & { timestamp: bigint }>(positive.length, maxspan, (c) => {
    if (layout.leading.length || layout.trailing.length || layout.gaps.some((g) => g.length)) {
      if (!survivesMissing(layout, c.events, c.key.id, matchesOfMissing, maxspan!)) return;
    }
    completed.push(c);
  });
  for (const hit of hits) {
    matcher.push({
      item: hit.candidate,
      order: hit.candidate,
      stageKeys: positive.map((t) => hit.terms[t.index]),
      untilKeys: hit.until,
    });
  }

  const limited = applyLimits(
    completed,
    search.statement.pipes,
    search.request.size,
    search.request.result_position,
  );
  const keyed = query.joinKeys.length + (query.terms[0]?.joinKeys.length ?? 0) > 0;
  const sequences = limited.map((c): EqlSequence => {
    let next = 0;
    const events = expanded.map((t) =>
      t.missing ? { _index: "", _id: "", missing: true as const } : toHit(c.events[next++]),
    );
    return keyed ? { join_keys: c.key.values, events } : { events };
  });
  return { sequences, total: completed.length, failures };
}

/** Every event that matches some term (or until), with its keys per term, sorted; failing indices dropped. */
function collectTermHits(
  search: SearchInput,
  query: SequenceQuery,
): { hits: TermHits[]; failures: ShardFailure[] } {
  const hits: TermHits[] = [];
  const failures: ShardFailure[] = [];
  for (const index of search.indices) {
    const terms = query.terms.map((t) => compileTerm(index.compiler, t, query.joinKeys));
    const until = query.until ? compileTerm(index.compiler, query.until, query.joinKeys) : null;
    const order = orderKeyReader(index.compiler, search.request);
    const found: TermHits[] = [];
    try {
      index.events.forEach((event: Event, i) => {
        let any = false;
        const perTerm = terms.map((t) => {
          if (!t.matches(event)) return undefined;
          const keys = joinKeysOf(event, t.keys);
          if (keys.length) any = true;
          return keys.length ? keys : undefined;
        });
        let untilKeys: JoinKey[] | undefined;
        if (until?.matches(event)) {
          const keys = joinKeysOf(event, until.keys);
          if (keys.length) {
            untilKeys = keys;
            any = true;
          }
        }
        if (!any) return;
        const key = order(event, index.firstArrival + i);
        // Sequences need a time: events without one cannot take part.
        if (key.timestamp === null) return;
        found.push({
          candidate: { ...key, timestamp: key.timestamp, index: index.name, id: String(i), event },
          terms: perTerm,
          until: untilKeys,
        });
      });
    } catch (error) {
      failures.push(shardFailure(index.name, error));
      continue;
    }
    hits.push(...found);
  }
  hits.sort((a, b) => compareOrder(a.candidate, b.candidate));
  return { hits, failures };
}
