/**
 * Whether the events stream holds each host's events in the order they were published. The
 * verdict compares the workers with a scan of the events in publish order, which is what they
 * read only if the stream kept that order per subject; an event stored behind later ones of its
 * subject (a lost publish, docs/scale-out.md, Limits) can rightly change a sample (the first
 * events to come) or a sequence (an event later than the allowed lateness), and such a
 * difference is then the reordering's, not the workers'.
 */

export interface PublishedEvent {
  /** its line in the published input, from 1 */
  line: number;
  msgId: string;
}

export interface StoredEvent {
  subject: string;
  msgId?: string;
}

export interface MovedEvent {
  line: number;
  subject: string;
  /** the latest line of its subject stored before it */
  after: number;
}

/** Events stored behind a later-published event of their subject; copies and ticks are not counted. */
export function eventsStoredOutOfOrder(
  published: readonly PublishedEvent[],
  stored: readonly StoredEvent[],
): MovedEvent[] {
  const lineOf = new Map(published.map((e) => [e.msgId, e.line]));
  const seen = new Set<string>();
  const latest = new Map<string, number>();
  const moved: MovedEvent[] = [];
  for (const message of stored) {
    const line = message.msgId === undefined ? undefined : lineOf.get(message.msgId);
    if (line === undefined || seen.has(message.msgId!)) continue;
    seen.add(message.msgId!);
    const after = latest.get(message.subject) ?? 0;
    if (line < after) moved.push({ line, subject: message.subject, after });
    else latest.set(message.subject, line);
  }
  return moved;
}
