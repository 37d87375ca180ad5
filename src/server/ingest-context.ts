import type { Intake } from "./intake.ts";
import type { RecentIds } from "./recent-ids.ts";

/** Counters of what came in over HTTP, for /metrics. */
export interface IngestCounters {
  /** events accepted into the queue, by endpoint (`bulk`, `doc`, `ingest`) */
  received: Record<string, number>;
  /** documents refused: not JSON, not an object, an action eqlite does not take */
  bad: Record<string, number>;
  /** documents sent again under an `_id` accepted before (answered as created, not run again) */
  duplicates: number;
  /** answers by HTTP status */
  responses: Map<number, number>;
}

export function emptyCounters(): IngestCounters {
  return { received: {}, bad: {}, duplicates: 0, responses: new Map() };
}

export function count(table: Record<string, number>, key: string, n = 1): void {
  table[key] = (table[key] ?? 0) + n;
}

/** What the ingest routes share: the way into the pipeline, and what they do to events on arrival. */
export interface IngestContext {
  intake: Intake;
  counters: IngestCounters;
  recentIds: RecentIds;
  /** "" when events without an index go to every rule */
  defaultIndex: string;
  setIngested: boolean;
  maxBodyBytes: number;
  /** the largest event where events go (a NATS server's max_payload), if they have a limit */
  maxEventBytes?: () => number | undefined;
  clock: () => number;
  /** `_seq_no` of the next created document, as Elasticsearch numbers them */
  nextSeqNo: number;
}
