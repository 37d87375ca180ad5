import type { Logger } from "pino";
import type { AlertDocument } from "../engine/alert.ts";
import type { AlertSink } from "../io/sinks/alert-sink.ts";

export interface FanoutOptions {
  /**
   * alerts waiting for one sink at most; beyond, the oldest waiting are set aside by a sink that
   * can (a webhook's dead-letter file), else dropped (counted)
   */
  maxQueuedAlerts: number;
  /** attempts per write before its alerts are dropped (counted) */
  attempts: number;
  /** the first retry's delay; each next one doubles, up to 5 s */
  retryBaseMs?: number;
  /** most alerts handed to one write; what waits is written together after an outage */
  maxWriteAlerts?: number;
  logger: Logger;
}

export interface SinkStats {
  name: string;
  written: number;
  /** writes that failed (each retry counts) */
  failures: number;
  /** alerts given up on: retries exhausted, or pushed out of a full queue by a sink that cannot set them aside */
  dropped: number;
  queued: number;
}

/** How one publish ended: the sinks that gave up on some of its alerts (dropped them). */
export interface PublishOutcome {
  dropped: string[];
}

/**
 * Where the publishes stand, for the write-ahead log's checkpoint: it may pass the
 * events of alerts only once every sink has taken them, and never those of alerts a
 * sink gave up on (a replay after the next start writes them again).
 */
export interface PublishProgress {
  /** publishes that carried alerts so far; each got the next number, from 1 */
  issued: number;
  /** every publish numbered up to this one has been taken by every sink (written, or given up on) */
  settled: number;
  /** the lowest-numbered publish some sink gave up on alerts of, or null */
  firstDropped: number | null;
}

/**
 * Alerts to every sink, each through its own bounded queue and writer, so a sink that
 * is slow or failing is retried and counted while the others go on. A failing write is
 * retried with exponential backoff; after the last attempt its alerts are dropped and
 * counted, and the sink is tried again with the next alerts. Alerts that waited during
 * an outage are written together when the sink comes back.
 */
export class SinkFanout {
  private readonly channels: SinkChannel[];
  private issued = 0;
  private settledThrough = 0;
  /** settled publishes above settledThrough, waiting for the ones before them */
  private readonly settledAhead = new Set<number>();
  private firstDropped: number | null = null;

  constructor(sinks: readonly AlertSink[], options: FanoutOptions) {
    this.channels = sinks.map((sink) => new SinkChannel(sink, options));
  }

  get sinks(): readonly AlertSink[] {
    return this.channels.map((c) => c.sink);
  }

  /**
   * Hands alerts to every sink; resolves once each has written them or given up on them,
   * naming the sinks that gave up.
   */
  publish(alerts: readonly AlertDocument[]): Promise<PublishOutcome> {
    if (alerts.length === 0 || this.channels.length === 0) return Promise.resolve({ dropped: [] });
    const number = ++this.issued;
    return Promise.all(this.channels.map((c) => c.enqueue(alerts))).then((taken) => {
      const dropped = this.channels.filter((_, i) => !taken[i]).map((c) => c.sink.name);
      if (dropped.length > 0 && (this.firstDropped === null || number < this.firstDropped))
        this.firstDropped = number;
      this.settle(number);
      return { dropped };
    });
  }

  get progress(): PublishProgress {
    return { issued: this.issued, settled: this.settledThrough, firstDropped: this.firstDropped };
  }

  stats(): SinkStats[] {
    return this.channels.map((c) => c.stats());
  }

  /** A shutdown has begun: sinks that could keep it waiting bound what is left of their work. */
  stopping(): void {
    for (const c of this.channels) c.sink.stopping?.();
  }

  /** Waits for every sink's queue to empty, then closes the sinks (a failing close is logged). */
  async close(): Promise<void> {
    await Promise.all(this.channels.map((c) => c.idle()));
    await Promise.all(this.channels.map((c) => c.close()));
  }

  /** Sinks work at their own pace, so publishes settle out of order: `settled` moves over runs. */
  private settle(number: number): void {
    this.settledAhead.add(number);
    while (this.settledAhead.delete(this.settledThrough + 1)) this.settledThrough++;
  }
}

interface Pending {
  alerts: readonly AlertDocument[];
  /** `taken`: written (true), or given up on (false) */
  done: (taken: boolean) => void;
}

class SinkChannel {
  private queue: Pending[] = [];
  private queuedAlerts = 0;
  private running = false;
  private idleWaiters: Array<() => void> = [];
  private written = 0;
  private failures = 0;
  private dropped = 0;

  constructor(
    readonly sink: AlertSink,
    private readonly options: FanoutOptions,
  ) {}

  /** Resolves true once the alerts are written, false when they were given up on. */
  enqueue(alerts: readonly AlertDocument[]): Promise<boolean> {
    return new Promise((resolve) => {
      this.queue.push({ alerts, done: resolve });
      this.queuedAlerts += alerts.length;
      this.shed();
      if (!this.running) void this.run();
    });
  }

  stats(): SinkStats {
    return {
      name: this.sink.name,
      written: this.written,
      failures: this.failures,
      dropped: this.dropped,
      queued: this.queuedAlerts,
    };
  }

  idle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    try {
      await this.sink.close();
    } catch (error) {
      this.options.logger.error({ sink: this.sink.name, err: error }, "alert sink failed to close");
    }
  }

  /**
   * Over the bound, the oldest waiting alerts go — the newest say most about what happens now —
   * to where the sink sets such alerts aside (a webhook's dead letters), else they are dropped.
   */
  private shed(): void {
    let shed = 0;
    while (this.queuedAlerts > this.options.maxQueuedAlerts && this.queue.length > 1) {
      const oldest = this.queue.shift()!;
      this.queuedAlerts -= oldest.alerts.length;
      if (this.sink.setAside) {
        this.setAside(oldest);
        continue;
      }
      this.dropped += oldest.alerts.length;
      shed += oldest.alerts.length;
      oldest.done(false);
    }
    if (shed)
      this.options.logger.warn(
        { sink: this.sink.name, dropped: shed },
        "alert sink queue full; dropped the oldest alerts",
      );
  }

  /** Set aside, they are handled for good: written, as far as the checkpoint is concerned. */
  private setAside(pending: Pending): void {
    const count = pending.alerts.length;
    const reason = `alert sink queue full (${this.options.maxQueuedAlerts} alerts waiting)`;
    this.sink.setAside!(pending.alerts, reason).then(
      () => {
        this.written += count;
        pending.done(true);
      },
      (error: Error) => {
        this.dropped += count;
        this.options.logger.error(
          { sink: this.sink.name, err: error, alerts: count },
          "alert sink queue full, and the alerts it pushed out could not be set aside; alerts dropped",
        );
        pending.done(false);
      },
    );
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length) {
        const taken = this.takeWrite();
        const alerts = taken.flatMap((p) => p.alerts);
        const written = await this.deliver(alerts);
        this.queuedAlerts -= alerts.length;
        for (const p of taken) p.done(written);
      }
    } finally {
      this.running = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private takeWrite(): Pending[] {
    const max = this.options.maxWriteAlerts ?? 10_000;
    const taken: Pending[] = [this.queue.shift()!];
    let n = taken[0].alerts.length;
    while (this.queue.length && n + this.queue[0].alerts.length <= max) {
      const next = this.queue.shift()!;
      n += next.alerts.length;
      taken.push(next);
    }
    return taken;
  }

  /** Writes with retries; false when the alerts were dropped. */
  private async deliver(alerts: readonly AlertDocument[]): Promise<boolean> {
    const { attempts, logger } = this.options;
    const base = this.options.retryBaseMs ?? 200;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.sink.write(alerts);
        this.written += alerts.length;
        return true;
      } catch (error) {
        this.failures++;
        if (attempt >= attempts) {
          this.dropped += alerts.length;
          logger.error(
            { sink: this.sink.name, err: error, alerts: alerts.length, attempts },
            "alert sink write failed; alerts dropped",
          );
          return false;
        }
        const delay = Math.min(5000, base * 2 ** (attempt - 1));
        logger.warn(
          { sink: this.sink.name, err: error, attempt, retryInMs: delay },
          "alert sink write failed",
        );
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}
