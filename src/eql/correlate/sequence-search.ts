import type { Field, SequenceQuery, SequenceTerm } from "../ast.ts";
import type { EventPredicate, QueryCompiler } from "../compiler.ts";
import type { Event } from "../field-access.ts";
import { compareOrder } from "../ordering.ts";
import { applyLimits, resultWindow, WindowSelection } from "../result-window.ts";
import {
  type Candidate,
  type EqlSequence,
  eachIndex,
  lengthRollback,
  orderKeyReader,
  type SearchInput,
  type ShardFailure,
  toHit,
} from "../search.ts";
import { compareJoinKeys, type JoinKey, joinKeysOf, type KeyReader } from "./join-key.ts";
import type { CompletedSequence } from "./sequence-matcher.ts";
import { SequenceRunner, sequencePlan } from "./sequence-runner.ts";

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

/**
 * Runs a sequence query over the search input: the events matching some term,
 * sorted, through the same SequenceRunner a stream uses; results in completion
 * order (by last event, then key), then head/tail/size.
 */
export async function searchSequences(
  search: SearchInput,
  query: SequenceQuery,
): Promise<{ sequences: EqlSequence[]; total: number; failures: ShardFailure[] }> {
  const { hits, failures } = await collectTermHits(search, query);
  if (failures.length && !search.request.allow_partial_sequence_results) {
    return { sequences: [], total: 0, failures };
  }
  const plan = sequencePlan(query);
  const { pipes } = search.statement;
  const { size, result_position: position } = search.request;
  // only the sequences the limits may return are kept, every one counted; ties keep completion order
  type Numbered = { sequence: CompletedSequence<Candidate>; n: number };
  const completed = new WindowSelection<Numbered>(
    resultWindow(pipes, size, position),
    (a, b) => byCompletion(a.sequence, b.sequence) || a.n - b.n,
  );
  const runner = new SequenceRunner<Candidate>(plan, (sequence) =>
    completed.offer({ sequence, n: completed.seen }),
  );
  for (const hit of hits)
    runner.push({ item: hit.candidate, order: hit.candidate, terms: hit.terms, until: hit.until });
  runner.finish();

  const sorted = completed.sorted().map((c) => c.sequence);
  const limited = applyLimits(sorted, pipes, size, position);
  const keyed = query.joinKeys.length + (query.terms[0]?.joinKeys.length ?? 0) > 0;
  const sequences = limited.map((c): EqlSequence => {
    let next = 0;
    const events = plan.expanded.map((t) =>
      t.missing ? { _index: "", _id: "", missing: true as const } : toHit(c.events[next++]),
    );
    return keyed ? { join_keys: c.key.values, events } : { events };
  });
  return { sequences, total: completed.seen, failures };
}

/** Elasticsearch lists sequences in the order they completed: by last event, then by key. */
export function byCompletion<T>(a: CompletedSequence<T>, b: CompletedSequence<T>): number {
  return (
    compareOrder(a.orders[a.orders.length - 1], b.orders[b.orders.length - 1]) ||
    compareJoinKeys(a.key, b.key)
  );
}

/** Which terms (and `until`) an event matches, with its keys for each; null when none. */
export type SequenceTermMatcher = (
  event: Event,
) => { terms: Array<JoinKey[] | undefined>; until: JoinKey[] | undefined } | null;

export function compileSequenceTerms(compiler: QueryCompiler, query: SequenceQuery): SequenceTermMatcher {
  const terms = query.terms.map((t) => compileTerm(compiler, t, query.joinKeys));
  const until = query.until ? compileTerm(compiler, query.until, query.joinKeys) : null;
  const keysIfMatching = (t: CompiledTerm, event: Event): JoinKey[] | undefined => {
    if (!t.matches(event)) return undefined;
    const keys = joinKeysOf(event, t.keys);
    return keys.length ? keys : undefined;
  };
  return (event) => {
    const perTerm = terms.map((t) => keysIfMatching(t, event));
    const untilKeys = until ? keysIfMatching(until, event) : undefined;
    return untilKeys || perTerm.some((k) => k) ? { terms: perTerm, until: untilKeys } : null;
  };
}

/** Every event that matches some term (or until), with its keys per term, sorted; failing indices dropped. */
async function collectTermHits(
  search: SearchInput,
  query: SequenceQuery,
): Promise<{ hits: TermHits[]; failures: ShardFailure[] }> {
  const hits: TermHits[] = [];
  const failures = await eachIndex(
    search,
    (index) => {
      const match = compileSequenceTerms(index.compiler, query);
      const order = orderKeyReader(index.compiler, search.request);
      return (event, arrival, position) => {
        const hit = match(event);
        if (!hit) return;
        const key = order(event, arrival);
        // Sequences need a time: events without one cannot take part.
        if (key.timestamp === null) return;
        hits.push({
          candidate: { ...key, timestamp: key.timestamp, index: index.name, id: String(position), event },
          terms: hit.terms,
          until: hit.until,
        });
      };
    },
    lengthRollback(hits),
  );
  hits.sort((a, b) => compareOrder(a.candidate, b.candidate));
  return { hits, failures };
}
