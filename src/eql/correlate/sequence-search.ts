import type { Field, SequenceQuery, SequenceTerm } from "../ast.ts";
import type { EventPredicate, QueryCompiler } from "../compiler.ts";
import type { Event } from "../field-access.ts";
import { compareOrder } from "../ordering.ts";
import { applyLimits, resultWindow, WindowSelection } from "../result-window.ts";
import {
  type Candidate,
  type EqlSequence,
  eachIndex,
  heldEvent,
  orderKeyReader,
  type SearchInput,
  type ShardFailure,
  toHit,
} from "../search.ts";
import { compareJoinKeys, type JoinKey, joinKeysOf, type KeyReader } from "./join-key.ts";
import { ReorderBuffer } from "./reorder-buffer.ts";
import type { CompletedSequence } from "./sequence-matcher.ts";
import { SequenceRunner, sequencePlan } from "./sequence-runner.ts";
import type { SpillBudget } from "./spill.ts";
import { type HeldTermHit, termHitCodec, unpackTermHit } from "./term-hit-codec.ts";

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
      millis: compiler.fieldInMillis(f.name),
    })),
  };
}

/** A candidate event of the search, and the place of its index in the input's list. */
interface SearchHit {
  candidate: Candidate & { timestamp: bigint };
  indexNumber: number;
}

/** A batch's lateness: nothing is released before the end of the input. */
const BATCH_LATENESS_NS = BigInt(Number.MAX_SAFE_INTEGER) * 1_000_000n;

/**
 * Runs a sequence query over the search input: the events matching some term, put in
 * order (past `spill`'s budget, through sorted runs on disk) and run through the same
 * SequenceRunner a stream uses; results in completion order (by last event, then key), then
 * head/tail/size.
 */
export async function searchSequences(
  search: SearchInput,
  query: SequenceQuery,
  spill?: SpillBudget,
): Promise<{ sequences: EqlSequence[]; total: number; failures: ShardFailure[]; dropped: number }> {
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
  // an index that fails is dropped whole: its events, held or on disk, are passed over when released
  const failed = new Set<number>();
  const ordered = new ReorderBuffer<HeldTermHit<SearchHit>>(
    BATCH_LATENESS_NS,
    Number.POSITIVE_INFINITY,
    (held) => {
      if (failed.has(held.item.indexNumber)) return;
      const hit = unpackTermHit(held);
      runner.push({ ...hit, item: hit.item.candidate });
    },
    spill && { budget: spill, codec: SEARCH_HIT_CODEC },
  );
  const failures = await collectTermHits(search, query, ordered, failed);
  if (failures.length && !search.request.allow_partial_sequence_results) {
    return { sequences: [], total: 0, failures, dropped: 0 };
  }
  ordered.flush();
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
  const { evicted, missingDropped } = runner.stats;
  return { sequences, total: completed.seen, failures, dropped: evicted + missingDropped };
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

/**
 * Gives `ordered` every event that matches some term (or until), with its keys per term and
 * the index it came from; an index whose evaluation fails is added to `failed`.
 */
async function collectTermHits(
  search: SearchInput,
  query: SequenceQuery,
  ordered: ReorderBuffer<HeldTermHit<SearchHit>>,
  failed: Set<number>,
): Promise<ShardFailure[]> {
  return eachIndex(
    search,
    (index, indexNumber) => {
      const match = compileSequenceTerms(index.compiler, query);
      const order = orderKeyReader(index.compiler, search.request);
      return (event, arrival, position) => {
        const hit = match(event);
        if (!hit) return;
        const key = order(event, arrival);
        // Sequences need a time: events without one cannot take part.
        if (key.timestamp === null) return;
        const candidate = {
          ...key,
          timestamp: key.timestamp,
          index: index.name,
          id: String(position),
          event: heldEvent(event),
        };
        ordered.push({
          item: { candidate, indexNumber },
          order: candidate,
          terms: hit.terms,
          until: hit.until,
        });
      };
    },
    (indexNumber) => failed.add(indexNumber),
  );
}

/**
 * A held candidate as JSON, to spill: a search that spills takes events that are JSON values
 * (read from JSON text), which come back the same; an event held as its text stays text.
 */
const SEARCH_HIT_CODEC = termHitCodec<SearchHit>({
  encode: ({ candidate, indexNumber }) => [indexNumber, candidate.index, candidate.id, candidate.event],
  decode(value, order) {
    const [indexNumber, index, id, event] = value as [number, string, string, Event | string];
    return { candidate: { ...order, index, id, event }, indexNumber };
  },
});
