/**
 * Simulated cloud_defend events on their way into the events stream, exactly as `eqlite serve
 * --nats` sends what it accepts: `event.ingested` stamped, the index taken from the event's data
 * stream, encoded onto its host's partition subject with the document id as message id
 * (encodeEventMessage), and published with ingest's own Publisher. The feed remembers every
 * stored message (partition, stream sequence, when it was sent): what the benchmark compares
 * the workers' checkpoints with.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { eventIndex } from "../../src/engine/index-pattern.ts";
import type { Event } from "../../src/eql/field-access.ts";
import { type EventMessage, encodeEventMessage } from "../../src/nats/event-message.ts";
import type { Publisher } from "../../src/nats/publisher.ts";
import { partitionKey } from "../../src/nats/records.ts";
import { stampIngested } from "../../src/server/event-arrival.ts";
import { simulate } from "../../src/sim/index.ts";

export interface SimulatedInput {
  seed: number;
  /** 0 for an endless stream */
  events: number;
  hosts: number;
  attackRate: number;
  partitions: number;
}

/** The simulation's events, encoded as the ingest node encodes an accepted event, one at a time. */
export function* ingestMessages(input: SimulatedInput): Generator<EventMessage> {
  let line = 0;
  for (const text of simulate({
    seed: input.seed,
    events: input.events,
    hosts: input.hosts,
    attackRate: input.attackRate,
  })) {
    const event = JSON.parse(text) as Event;
    stampIngested(event, new Date().toISOString());
    line++;
    yield encodeEventMessage(event, { source: "bench", line, index: eventIndex(event) }, input.partitions);
  }
}

export interface StoredEvent {
  /** the partition's KV key: `p<n>` */
  key: string;
  seq: number;
  /** Date.now() when it was handed to the publisher */
  sentAt: number;
}

export interface PublishRun {
  events: number;
  ms: number;
  eventsPerSecond: number;
  failures: number;
  duplicates: number;
}

export class EventFeed {
  /** every stored message, in the order the acknowledgements came */
  readonly stored: StoredEvent[] = [];
  /** per partition key, the last stream sequence stored */
  readonly lastSeq = new Map<string, number>();
  lastStreamSeq = 0;
  failures = 0;
  duplicates = 0;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly publisher: Publisher) {}

  /** As fast as the stream acknowledges: the whole window in flight, as ingest under load. */
  async publishAll(messages: readonly EventMessage[]): Promise<PublishRun> {
    const started = performance.now();
    const sentAt = Date.now();
    const acks = await this.publisher.publishBatch(messages);
    const ms = performance.now() - started;
    for (let i = 0; i < acks.length; i++) this.note(messages[i], acks[i], sentAt);
    return this.run(messages.length, ms);
  }

  /**
   * `ratePerSecond` events a second, from `source`, until `stop()` says so or the source ends.
   * Sends in small bursts every few milliseconds, each message settled on its own.
   */
  async publishPaced(
    source: Iterator<EventMessage>,
    ratePerSecond: number,
    stop: () => boolean,
  ): Promise<PublishRun> {
    const started = performance.now();
    const before = { failures: this.failures, duplicates: this.duplicates };
    let sent = 0;
    while (!stop()) {
      const due = Math.floor(((performance.now() - started) / 1000) * ratePerSecond);
      for (; sent < due; sent++) {
        const next = source.next();
        if (next.done) return this.finishPaced(sent, started, before);
        this.send(next.value);
      }
      await sleep(5);
    }
    return this.finishPaced(sent, started, before);
  }

  private async finishPaced(
    sent: number,
    started: number,
    before: { failures: number; duplicates: number },
  ): Promise<PublishRun> {
    const ms = performance.now() - started;
    await Promise.all(this.inFlight);
    const run = this.run(sent, ms);
    return {
      ...run,
      failures: this.failures - before.failures,
      duplicates: this.duplicates - before.duplicates,
    };
  }

  private send(message: EventMessage): void {
    const sentAt = Date.now();
    const settled = this.publisher.publish(message).then(
      (ack) => this.note(message, ack, sentAt),
      () => {
        this.failures++;
      },
    );
    this.inFlight.add(settled);
    void settled.finally(() => this.inFlight.delete(settled));
  }

  private note(message: EventMessage, ack: { seq: number; duplicate: boolean }, sentAt: number): void {
    if (ack.duplicate) {
      this.duplicates++;
      return;
    }
    const key = partitionKey(message.partition);
    this.stored.push({ key, seq: ack.seq, sentAt });
    if (ack.seq > (this.lastSeq.get(key) ?? 0)) this.lastSeq.set(key, ack.seq);
    if (ack.seq > this.lastStreamSeq) this.lastStreamSeq = ack.seq;
  }

  private run(events: number, ms: number): PublishRun {
    return {
      events,
      ms,
      eventsPerSecond: (events / ms) * 1000,
      failures: this.failures,
      duplicates: this.duplicates,
    };
  }
}
