import { setImmediate as yieldToIo } from "node:timers/promises";
import type { Logger } from "pino";
import type { AlertDocument } from "../engine/alert.ts";
import type { KibanaTarget } from "../engine/alert-url.ts";
import { DetectionEngine, type ReloadSummary } from "../engine/detection-engine.ts";
import { eventTimeText, isFutureDated } from "../engine/future-dated.ts";
import { compileFieldGetter } from "../eql/field-access.ts";
import { firstScalar } from "../eql/search.ts";
import { parseDateValue } from "../eql/value-compare.ts";
import type { IngestBatch } from "./ingest-batch.ts";
import type { IngestQueue } from "./ingest-queue.ts";
import type { RuleBundle } from "./rule-bundle.ts";
import type { SinkFanout } from "./sink-fanout.ts";

export interface PipelineOptions {
  bundle: RuleBundle;
  queue: IngestQueue;
  fanout: SinkFanout;
  logger: Logger;
  allowedLatenessMs: number;
  idleFlushMs: number;
  kibana?: KibanaTarget;
  /** after a batch's alerts reached every sink (the write-ahead log's checkpoint) */
  onProcessed?: (batch: IngestBatch) => void | Promise<void>;
  clock?: () => number;
}

export interface PipelineStats {
  /** events run through the rules */
  events: number;
  alerts: number;
  batches: number;
  /**
   * newest `@timestamp` seen (ms), or null before the first; not one dated further ahead of the
   * clock than the rules take (future-dated.ts), which would put the watermark years ahead
   */
  newestEventMs: number | null;
  /** how long the last batch waited in the queue (ms) */
  lastQueueWaitMs: number;
}

/** Events pushed between two looks at the network: a big batch must not stall every other request. */
const SLICE = 2000;
const readTimestamp = compileFieldGetter("@timestamp");

/**
 * The streaming half of `serve`: takes accepted batches off the queue, one at a time
 * and in order, runs them through the same DetectionEngine as `scan --follow`, and
 * hands the alerts to the sinks. Everything that touches the engine — events, idle
 * flushes, rule reloads — runs on this one logical thread between two events, so a
 * reload is atomic and no event is seen by half a rule set.
 */
export class Pipeline {
  readonly stats: PipelineStats = {
    events: 0,
    alerts: 0,
    batches: 0,
    newestEventMs: null,
    lastQueueWaitMs: 0,
  };
  private readonly engine: DetectionEngine;
  private readonly clock: () => number;
  private pending: AlertDocument[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly delivered = new Set<Promise<void>>();

  constructor(private readonly options: PipelineOptions) {
    this.clock = options.clock ?? Date.now;
    const logger = options.logger;
    this.engine = new DetectionEngine(options.bundle.ruleSet, {
      mode: "follow",
      allowedLatenessMs: options.allowedLatenessMs,
      now: () => new Date(this.clock()),
      clock: this.clock,
      kibana: options.kibana,
      exceptionsFor: options.bundle.exceptionsFor,
      onAlert: (alert) => {
        this.pending.push(alert);
      },
      onRuleError: (rule, error, origin) => {
        logger.error(
          { rule_id: rule.rule.rule_id, rule: rule.rule.name, origin, err: error },
          "rule failed and is disabled",
        );
      },
      onAlertError: (rule, error, origins) => {
        logger.warn(
          { rule_id: rule.rule.rule_id, rule: rule.rule.name, origins, err: error },
          "alert could not be built: counted, not alerted",
        );
      },
      onAlertFieldsLeftOut: (rule, paths, origins) => {
        logger.warn(
          { rule_id: rule.rule.rule_id, rule: rule.rule.name, origins, fields: paths },
          "alert leaves out source fields the ECS mapping cannot hold, as Kibana does (said once per rule and field)",
        );
      },
      onFutureEvent: (rule, time, origin) => {
        logger.warn(
          { rule_id: rule.rule.rule_id, rule: rule.rule.name, origin, time: eventTimeText(time) },
          "event dated more than a minute ahead of the clock left out of the rule's sequences and samples: check the sender's clock (said once per rule; eqlite_rule_future_events_total counts them)",
        );
      },
    });
  }

  get detection(): DetectionEngine {
    return this.engine;
  }

  start(): void {
    if (this.running) return;
    const tick = Math.max(20, Math.min(250, Math.floor(this.options.idleFlushMs / 2)));
    this.timer = setInterval(() => this.flushIdle(), tick);
    this.timer.unref();
    this.running = this.loop();
  }

  /** Swaps the rule set in between two events; the summary says what carried over. */
  reload(bundle: RuleBundle): ReloadSummary {
    return this.engine.reload(bundle.ruleSet, { exceptionsFor: bundle.exceptionsFor });
  }

  /**
   * The end: the queue takes nothing more, what it holds runs through the rules,
   * sequences still waiting are flushed (as `scan --follow` does on Ctrl-C), and every
   * alert reaches the sinks before this resolves.
   */
  async drain(): Promise<void> {
    await this.halt();
    this.engine.finish();
    this.publish(undefined);
    await Promise.all(this.delivered);
  }

  /**
   * A stop that is not the end of the input (a replay cut short): what the queue holds
   * runs through the rules and its alerts reach the sinks, but sequences still waiting
   * are kept, not flushed, so the write-ahead log's checkpoint stays before the events
   * they hold and the next start rebuilds them. A flush would alert on sequences whose
   * closing events are still in the log, and lose those whose later events are.
   */
  async halt(): Promise<void> {
    this.options.queue.close();
    await this.running;
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.delivered);
  }

  /**
   * Releases what every sequence stream holds for ordering, as an idle flush does, idle
   * or not (streams waiting on a trailing missing event are left alone, as there). The
   * write-ahead log asks for it when a stream that never falls idle has kept its
   * checkpoint back for long: events reaching a rule without matching its terms keep
   * the stream busy, yet its held events wait for the next one that does match.
   */
  releaseHeld(): void {
    try {
      if (this.engine.flushIdle(0) > 0) this.publish(undefined);
    } catch (error) {
      this.options.logger.error({ err: error }, "releasing held events failed");
    }
  }

  private async loop(): Promise<void> {
    const { queue, logger } = this.options;
    for (;;) {
      const batch = await queue.take();
      if (!batch) return;
      try {
        await this.process(batch);
      } catch (error) {
        // the engine contains rule errors itself; anything here is a bug, and must not stop the service
        logger.error({ err: error, source: batch.source }, "a batch failed in the pipeline");
        batch.markProcessed();
      }
    }
  }

  private async process(batch: IngestBatch): Promise<void> {
    this.stats.batches++;
    this.stats.lastQueueWaitMs = Math.max(0, this.clock() - batch.receivedAt);
    const items = batch.items;
    for (let start = 0; start < items.length; start += SLICE) {
      if (start > 0) await yieldToIo();
      const end = Math.min(items.length, start + SLICE);
      for (let i = start; i < end; i++) {
        const { event, origin } = items[i];
        this.engine.push(event, origin);
        this.noteTime(event, origin.receivedAt ?? this.clock());
      }
      this.stats.events += end - start;
      if (end < items.length) this.publish(undefined);
    }
    this.publish(batch);
  }

  private flushIdle(): void {
    try {
      if (this.engine.flushIdle(this.options.idleFlushMs) > 0) this.publish(undefined);
    } catch (error) {
      this.options.logger.error({ err: error }, "idle flush failed");
    }
  }

  /** Alerts so far go to the sinks; `batch` is marked processed once they are delivered. */
  private publish(batch: IngestBatch | undefined): void {
    const alerts = this.pending;
    this.pending = [];
    this.stats.alerts += alerts.length;
    const delivered = this.options.fanout.publish(alerts).then(async () => {
      if (!batch) return;
      try {
        await this.options.onProcessed?.(batch);
      } catch (error) {
        this.options.logger.error({ err: error }, "the processed-batch hook failed");
      }
      batch.markProcessed();
    });
    this.delivered.add(delivered);
    void delivered.finally(() => this.delivered.delete(delivered));
  }

  /** `receivedMs`: the clock the event's date is judged against, as the rules judge it */
  private noteTime(event: Parameters<DetectionEngine["push"]>[0], receivedMs: number): void {
    const raw = firstScalar(readTimestamp(event));
    if (raw === null) return;
    const ns = parseDateValue(raw);
    if (ns === null || isFutureDated(ns, receivedMs)) return;
    const ms = Number(ns / 1_000_000n);
    if (this.stats.newestEventMs === null || ms > this.stats.newestEventMs) this.stats.newestEventMs = ms;
  }
}
