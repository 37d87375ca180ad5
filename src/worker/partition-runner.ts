/**
 * One owned partition, for one ownership epoch: from taking the checkpoint over to a clean
 * handover, or to being fenced out.
 *
 * At takeover (nats-scaleout §2.4): claim the checkpoint (compare-and-set, stamps the epoch);
 * restore the long rules from the checkpoint's snapshot when it was taken for the same rules;
 * create this epoch's durable consumer (`part-<p>-e<epoch>`: a new owner never inherits another's
 * unacknowledged messages, which come back late and out of order) and delete older epochs'
 * consumers; start at the checkpoint's store time minus the rules' look-back.
 *
 * Then every message, in stream order: events up to the checkpoint's seq rebuild state with
 * their alerts suppressed (the former owner published them before it checkpointed), later ones
 * run live and their alerts are published with their ids as message ids. Every interval (or so
 * many events): wait for the alerts' acknowledgements, acknowledge the messages (AckAll), and
 * compare-and-set the checkpoint. A failed compare-and-set, a lease not renewed in time, or the
 * consumer deleted under it means another owner took over: the runner stops at once, without
 * acknowledging or checkpointing anything more, and drops its state.
 *
 * The engines run on the stream's clock, so that a successor replaying the same messages makes
 * the same decisions (idle-tick.ts explains the idle flushes).
 */
import { performance } from "node:perf_hooks";
import { setImmediate as yieldToIo } from "node:timers/promises";
import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JsMsg,
  type StreamInfo,
} from "@nats-io/jetstream";
import { headers as natsHeaders } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { AlertDocument } from "../engine/alert.ts";
import type { KibanaTarget } from "../engine/alert-url.ts";
import { alertsPerInterval, DetectionEngine, intervalMs } from "../engine/detection-engine.ts";
import { eventTimeText } from "../engine/future-dated.ts";
import type { Event } from "../eql/field-access.ts";
import { listConsumers } from "../nats/consumer-list.ts";
import { decodeEventMessage } from "../nats/event-message.ts";
import {
  type CheckpointRecord,
  consumerName,
  encodeRecord,
  GLOBAL_PARTITION,
  type PartitionId,
  partitionKey,
} from "../nats/records.ts";
import { EVENTS_STREAM, EVENTS_SUBJECTS, eventSubject, type Topology } from "../nats/topology.ts";
import type { ExecutableRule, RuleSet } from "../rules/rule-set.ts";
import type { AlertPublisher } from "./alert-publisher.ts";
import { CheckpointFenced, claimCheckpoint } from "./checkpoint-claim.ts";
import { checkpointGap, checkpointPredatesStream } from "./checkpoint-gap.ts";
import { errorText, isCompareAndSetFailure } from "./compare-and-set.ts";
import { HeldEvents, reachesRules } from "./held-events.ts";
import { carriesTickHeader, isTick, TICK_HEADER, tickSubject } from "./idle-tick.ts";
import { type LookbackSettings, replayLookbackMs } from "./lookback.ts";
import { retryUntilDone } from "./retry.ts";
import type { ScopeRules } from "./rule-plan.ts";
import type { RuleTally } from "./rule-tallies.ts";
import type { SignalLedger } from "./signal-ledger.ts";
import { decodeSnapshot, encodeSnapshot, type HeldMessage, type Snapshot, snapshotName } from "./snapshot.ts";
import { snapshotNeeded } from "./snapshot-need.ts";
import { takeoverStep } from "./takeover-step.ts";

export interface RunnerSettings extends LookbackSettings {
  /** the Kibana space the alerts are for, and Kibana's URL for their links */
  kibana?: KibanaTarget;
  /** a rule's stream with no event for this long (stream time) releases what it holds */
  idleFlushMs: number;
  checkpointIntervalMs: number;
  /** a checkpoint after this many messages even within the interval (bounds unacknowledged ones) */
  checkpointEvents: number;
  /** how often the long rules' held events are snapshotted (at a checkpoint) */
  snapshotIntervalMs: number;
  /** bytes of events kept for a snapshot, per partition, at most; beyond, the oldest are dropped (reported) */
  maxHeldBytes: number;
  /** a clean stop gives up on the handovers not done after this (ms): see `abandonStop` */
  stopTimeoutMs: number;
  /** messages pulled at a time */
  pullBatch: number;
  maxAckPending: number;
}

export interface RunnerContext {
  worker: string;
  topology: Topology;
  /** the fleet-wide max_signals */
  ledger: SignalLedger;
  settings: RunnerSettings;
  publisher: AlertPublisher;
  logger: Logger;
  /** whether this partition's lease is surely still ours */
  leaseFresh: () => boolean;
  /** why it is not: for the fence it causes */
  leaseStaleReason: () => string;
}

export type RunnerEnd =
  | { kind: "stopped" }
  | { kind: "fenced"; reason: string }
  | { kind: "failed"; reason: string };

export interface RunnerStats {
  /** messages processed (events, bad ones and ticks) */
  messages: number;
  /** event messages (not ticks), parsed or skipped by the prefilter */
  events: number;
  /** events at or before the claimed checkpoint: state rebuilt, alerts suppressed */
  replayed: number;
  /** events restored from a snapshot into the long rules */
  restored: number;
  suppressed: number;
  alerts: number;
  /** messages that are not an event (counted, logged, skipped) */
  bad: number;
  /** messages at or before one already processed (a redelivery), skipped */
  redelivered: number;
  ticks: number;
  /** messages with the idle-tick header and a body: run as events (idle-tick.ts) */
  tickHeaderEvents: number;
  /** events no rule of the partition can match, by the raw-text prefilter: not parsed */
  skipped: number;
  checkpoints: number;
  snapshots: number;
  /** takeovers that found messages deleted past the checkpoint, unread (checkpoint-gap.ts) */
  gaps: number;
  /** the stream sequences those deletions spanned */
  gapSequences: number;
  /** takeovers whose checkpoint counted an earlier events stream (checkpoint-gap.ts) */
  streamRecreated: number;
  /** messages the consumer still had to deliver, as of the last one */
  pending: number;
  checkpointSeq: number;
  lastSeq: number;
}

const NS_PER_MS = 1_000_000;
/** Between two yields to the event loop, at most this long (ms): lease renewals must run. */
const MAX_SLICE_MS = 20;
/** A consumer left behind by a crashed owner that nobody took over is removed after this. */
const INACTIVE_CONSUMER_MS = 3_600_000;
const ACK_WAIT_MS = 120_000;
/**
 * Replays start this much earlier than the look-back says. A message stored after the checkpoint
 * by a new stream leader whose clock is behind may carry an earlier store time; replaying a few
 * seconds more (with alerts suppressed) costs little.
 */
const STORE_CLOCK_MARGIN_MS = 5_000;

export class PartitionRunner {
  readonly key: string;
  readonly stats: RunnerStats = {
    messages: 0,
    events: 0,
    replayed: 0,
    restored: 0,
    suppressed: 0,
    alerts: 0,
    bad: 0,
    redelivered: 0,
    ticks: 0,
    tickHeaderEvents: 0,
    skipped: 0,
    checkpoints: 0,
    snapshots: 0,
    gaps: 0,
    gapSequences: 0,
    streamRecreated: 0,
    pending: 0,
    checkpointSeq: 0,
    lastSeq: 0,
  };
  readonly ended: Promise<RunnerEnd>;
  /** resolves once the takeover is done (consuming) or has failed */
  readonly takenOver: Promise<void>;
  /** whether the takeover finished (a partition may be handed over while it is taken over) */
  tookOver = false;
  private resolveEnd!: (end: RunnerEnd) => void;
  private resolveTakenOver!: () => void;
  private phase: "starting" | "running" | "stopping" | "ended" = "starting";
  private fencedBy: string | undefined;
  private finalRules: RuleTally | undefined;
  private rulesById: Map<string, ExecutableRule> | undefined;
  /** per rule: matches the fleet-wide max_signals refused (each engine counted them as alerts) */
  private readonly overLimit = new Map<string, number>();

  private scope: ScopeRules;
  private short: DetectionEngine | undefined;
  private long: DetectionEngine | undefined;
  private held: HeldEvents | undefined;
  private emitted: AlertDocument[] = [];
  /** the stream's clock: the newest store time seen (ms) */
  private clockMs = 0;
  private flushBucket = -1;

  /** the claimed checkpoint's seq: alerts of events up to it are already published */
  private replayUntil = 0;
  /** the long rules were restored from a snapshot taken at this seq: they skip messages up to it */
  private snapshotSeq = 0;
  private lastSeq = 0;
  private lastStoredAtMs = 0;
  private lastMessage: JsMsg | undefined;
  private lastMessageAt = 0;

  private checkpoint: CheckpointRecord;
  private checkpointRevision = 0;
  private checkpointedSeq = 0;
  /** the last message acknowledged (AckAll): during a replay, ahead of the checkpoint */
  private ackedSeq = 0;
  private sinceCheckpoint = 0;
  private lastCheckpointAt = 0;
  private lastSnapshotAt = 0;
  private checkpointing: Promise<void> | undefined;
  private unsettled: Array<Promise<boolean>> = [];
  /** alerts sent and not yet settled (stored, or given up) */
  private publishing = 0;
  /** inside one message's processing: a checkpoint must wait for its alerts to be queued */
  private busy = false;

  private messages: ConsumerMessages | undefined;
  private timer: NodeJS.Timeout | undefined;
  private tickSentAt = 0;
  /** the last idle tick was refused (said once, until one is stored again) */
  private tickRefused = false;
  private readonly consumer: string;
  private readonly source: string;
  private readonly log: Logger;
  private badLogged = 0;

  constructor(
    readonly partition: PartitionId,
    readonly epoch: number,
    scope: ScopeRules,
    private readonly ctx: RunnerContext,
  ) {
    this.key = partitionKey(partition);
    this.scope = scope;
    this.consumer = consumerName(partition, epoch);
    this.source = `nats:${this.key}`;
    this.log = ctx.logger.child({ partition: this.key, epoch });
    this.checkpoint = { seq: 0, storedAtMs: 0, epoch, worker: ctx.worker };
    this.ended = new Promise((resolve) => {
      this.resolveEnd = resolve;
    });
    this.takenOver = new Promise((resolve) => {
      this.resolveTakenOver = resolve;
    });
  }

  /** Takes the partition over and processes it until stopped or fenced; `ended` says how it ended. */
  async run(): Promise<void> {
    if (this.phase !== "starting") {
      // handed over before its turn to take over came: nothing was claimed
      this.finish({ kind: "stopped" });
      this.resolveTakenOver();
      return;
    }
    try {
      await this.takeOver();
    } catch (error) {
      if (error instanceof CheckpointFenced) this.fence(error.message);
      else this.finish({ kind: "failed", reason: `taking ${this.key} over failed: ${errorText(error)}` });
      return;
    } finally {
      this.resolveTakenOver();
    }
    if (this.over()) return;
    if (this.phase === "starting") this.phase = "running";
    const tick = Math.max(50, Math.min(250, Math.floor(this.ctx.settings.idleFlushMs / 2)));
    this.timer = setInterval(() => this.onTimer(), tick);
    try {
      await this.consume();
    } catch (error) {
      if (this.over()) return;
      const reason = errorText(error);
      if (/consumer (not found|deleted)/i.test(reason))
        this.fence(`its consumer ${this.consumer} was deleted (${reason})`);
      else this.finish({ kind: "failed", reason: `consuming ${this.key} failed: ${reason}` });
      return;
    }
    if (this.over()) return;
    if ((this.phase as string) !== "stopping") {
      this.finish({ kind: "failed", reason: `the consumer ${this.consumer} stopped delivering` });
      return;
    }
    try {
      await this.checkpointNow(true);
      if (this.over()) return;
      await this.ctx.topology.jsm.consumers.delete(EVENTS_STREAM, this.consumer).catch(() => false);
      this.finish({ kind: "stopped" });
    } catch (error) {
      this.finish({
        kind: "failed",
        reason: `the final checkpoint of ${this.key} failed: ${errorText(error)}`,
      });
    }
  }

  /**
   * A clean handover: stop pulling, process what was already delivered, publish its alerts,
   * checkpoint (with a snapshot of the long rules). The caller then deletes the lease.
   */
  async stop(): Promise<RunnerEnd> {
    if (this.phase === "running" || this.phase === "starting") {
      this.phase = "stopping";
      this.messages?.stop();
    }
    return this.ended;
  }

  /**
   * A clean handover that did not finish in time, for the alerts stream refusing alerts (no
   * leader, a limit with discard-new) or NATS not answering: ends now, as failed, and says what
   * it leaves. Nothing more is acknowledged or checkpointed, so the events whose alerts are not
   * stored stay past the checkpoint and the next owner replays them, publishing their alerts
   * under the same ids (stored once). Its alerts still in flight are given up.
   */
  abandonStop(timeoutMs: number): boolean {
    if (this.over()) return false;
    const left =
      this.lastSeq > this.checkpointedSeq
        ? `events of seq ${this.checkpointedSeq + 1}-${this.lastSeq} stay past the checkpoint (seq ${this.checkpointedSeq}) for the next owner to replay`
        : `the checkpoint stays at seq ${this.checkpointedSeq}`;
    this.finish({
      kind: "failed",
      reason: `the stop did not finish within ${timeoutMs} ms (${this.publishing} alerts not stored yet): ${left}`,
    });
    return true;
  }

  /** Another owner has the partition: stop now, acknowledge nothing more, drop the state. */
  fence(reason: string): void {
    if (this.over()) return;
    this.fencedBy = reason;
    this.finish({ kind: "fenced", reason });
  }

  /** Swaps in a reloaded rule set between two messages; unchanged rules keep their state. */
  reload(scope: ScopeRules): void {
    if (this.over()) return;
    const longChanged = scope.longHash !== this.scope.longHash;
    this.scope = scope;
    this.rulesById = undefined;
    this.short = this.swap(this.short, scope.short);
    this.long = this.swap(this.long, scope.long);
    if (longChanged) {
      // the long rules kept across the reload still need what was held for them; rules new to
      // the set start afresh (as in the engine), so nothing older is needed for them
      const previous = this.held?.messages() ?? [];
      this.held = scope.long ? this.newHeldEvents(scope) : undefined;
      for (const message of this.held ? previous : []) {
        try {
          this.held?.note(message, JSON.parse(message.body) as Event);
        } catch {
          // it was an event when it was first kept
        }
      }
      this.lastSnapshotAt = 0;
    }
  }

  /** What the engines hold, for metrics and the status record. */
  get holding(): { openSequences: number; buffered: number } {
    let openSequences = 0;
    let buffered = 0;
    for (const engine of [this.short, this.long]) {
      for (const a of engine?.activity() ?? []) {
        openSequences += a.openSequences;
        buffered += a.buffered;
      }
    }
    return { openSequences, buffered };
  }

  /**
   * The engines' per-rule statistics, for metrics; once the runner has ended, what they were
   * when it ended (a fenced or failed runner drops its engines).
   */
  get rules(): RuleTally {
    if (this.finalRules) return this.finalRules;
    const engines = [this.short, this.long].filter((e) => e !== undefined);
    const stats = engines.flatMap((e) => e.ruleStats.map((s) => ({ ...s })));
    for (const s of stats) {
      const refused = this.overLimit.get(s.rule_id) ?? 0;
      s.alerts -= refused;
      s.overLimit += refused;
    }
    return { stats, activity: engines.flatMap((e) => e.activity()) };
  }

  /** Whether a clean handover was asked for (or the runner has ended). */
  get stopping(): boolean {
    return this.phase === "stopping" || this.phase === "ended";
  }

  /** Whether the runner has ended (checked after every await: a fence can come at any time). */
  private over(): boolean {
    return this.phase === "ended";
  }

  get isFenced(): boolean {
    return this.fencedBy !== undefined;
  }

  private finish(end: RunnerEnd): void {
    if (this.over()) return;
    this.phase = "ended";
    this.finalRules = this.rules;
    if (this.timer) clearInterval(this.timer);
    this.messages?.stop();
    if (end.kind !== "stopped") {
      this.short = undefined;
      this.long = undefined;
      this.held = undefined;
      this.unsettled = [];
    }
    this.resolveEnd(end);
  }

  private async takeOver(): Promise<void> {
    const { topology, settings } = this.ctx;
    const claim = await takeoverStep("claiming its checkpoint", () =>
      claimCheckpoint(topology.checkpoints, this.key, this.epoch, this.ctx.worker),
    );
    if (this.over()) return;
    this.checkpoint = claim.record;
    this.checkpointRevision = claim.revision;
    const stream = await takeoverStep("reading the events stream's state", () =>
      topology.jsm.streams.info(EVENTS_STREAM),
    );
    if (this.over()) return;
    const previous = this.againstThisStream(claim.previous, stream);
    if (previous && previous !== claim.previous) {
      // written at once, so that the checkpoint no longer claims the old stream's sequences
      await takeoverStep("writing its checkpoint's new start", () =>
        this.restart({ seq: 0, storedAtMs: previous.storedAtMs }),
      );
      if (this.over()) return;
    }
    // A global partition that has never passed an event starts at its first run, less its
    // look-back, as a rule enabled in Kibana looks back over its window: a global rule added to
    // a running deployment must not alert on everything the stream still holds. The start is
    // written at once (seq 0, its store time), so that a successor resumes from it.
    const firstRun =
      this.partition === GLOBAL_PARTITION && (previous?.seq ?? 0) === 0
        ? (previous?.storedAtMs ?? 0) ||
          Date.now() - replayLookbackMs(this.scope.lookbacks, settings, false) - STORE_CLOCK_MARGIN_MS
        : undefined;
    if (firstRun !== undefined && firstRun !== previous?.storedAtMs) {
      await takeoverStep("writing its first run's start", () =>
        this.restart({ seq: 0, storedAtMs: firstRun }),
      );
      if (this.over()) return;
    }
    this.replayUntil = previous?.seq ?? 0;
    this.checkpointedSeq = this.replayUntil;
    this.stats.checkpointSeq = this.replayUntil;
    this.noteDeletedUnread(stream.state.first_seq);

    this.short = this.scope.short ? this.newEngine(this.scope.short) : undefined;
    this.long = this.scope.long ? this.newEngine(this.scope.long) : undefined;
    this.held = this.scope.long ? this.newHeldEvents(this.scope) : undefined;
    const snapshot = previous ? await this.loadSnapshot(previous, stream) : undefined;
    if (this.over()) return;

    const lookbackMs = replayLookbackMs(this.scope.lookbacks, settings, snapshot !== undefined);
    // store times come from whichever node led the stream: a margin covers their clocks' skew
    let startMs =
      firstRun !== undefined
        ? firstRun
        : previous
          ? previous.storedAtMs - lookbackMs - STORE_CLOCK_MARGIN_MS
          : undefined;
    if (snapshot && startMs !== undefined) startMs = Math.min(startMs, snapshot.storedAtMs);
    const start =
      startMs === undefined
        ? { deliver_policy: DeliverPolicy.All }
        : {
            deliver_policy: DeliverPolicy.StartTime,
            opt_start_time: new Date(Math.max(0, startMs)).toISOString(),
          };
    const consumer = {
      durable_name: this.consumer,
      filter_subject: this.partition === GLOBAL_PARTITION ? EVENTS_SUBJECTS : eventSubject(this.partition),
      ack_policy: AckPolicy.All,
      max_ack_pending: settings.maxAckPending,
      ack_wait: ACK_WAIT_MS * NS_PER_MS,
      inactive_threshold: INACTIVE_CONSUMER_MS * NS_PER_MS,
      ...start,
    };
    await takeoverStep(`creating its consumer ${this.consumer}`, () =>
      topology.jsm.consumers.add(EVENTS_STREAM, consumer),
    );
    if (this.over()) return;
    await takeoverStep("deleting the consumers of older epochs", () => this.deleteOlderConsumers());
    if (snapshot) this.restore(snapshot);
    this.log.info(
      {
        checkpointSeq: this.replayUntil,
        lookbackMs,
        start: "opt_start_time" in start ? start.opt_start_time : "all",
        ...(firstRun !== undefined && { firstRun: true }),
        snapshot: snapshot ? { seq: snapshot.seq, messages: snapshot.messages.length } : undefined,
        rules: { short: this.scope.short?.rules.length ?? 0, long: this.scope.long?.rules.length ?? 0 },
      },
      "partition taken over",
    );
    this.tookOver = true;
  }

  /**
   * Says so when the stream deleted messages past the checkpoint before any worker read them
   * (checkpoint-gap.ts): the consumer would start at the first one left without a word.
   */
  private noteDeletedUnread(firstSeq: number): void {
    const gap = checkpointGap(this.replayUntil, firstSeq);
    if (!gap) return;
    this.stats.gaps++;
    this.stats.gapSequences += gap.sequences;
    const global = this.partition === GLOBAL_PARTITION;
    this.log.warn(
      { checkpointSeq: this.replayUntil, firstSeq, deleted: gap },
      global
        ? `the events stream deleted ${gap.sequences} messages (seq ${gap.from}-${gap.to}) after this partition's checkpoint before any worker read them (its max age or limits): they were not evaluated`
        : `the events stream deleted ${gap.sequences} messages (seq ${gap.from}-${gap.to}) after this partition's checkpoint before any worker read them (its max age or limits): this partition's events among them, if any, were not evaluated`,
    );
  }

  /** Writes the claimed checkpoint over with a start of this owner's choosing (no snapshot). */
  private async restart(start: Pick<CheckpointRecord, "seq" | "storedAtMs">): Promise<void> {
    const record: CheckpointRecord = { ...start, epoch: this.epoch, worker: this.ctx.worker };
    this.checkpointRevision = await this.ctx.topology.checkpoints.update(
      this.key,
      encodeRecord(record),
      this.checkpointRevision,
    );
    this.checkpoint = record;
  }

  /**
   * The former owner's checkpoint, unless it counted another events stream than this one
   * (checkpoint-gap.ts): then the partition starts again at the checkpoint's time, with no
   * sequence to replay up to and no snapshot (its events' sequences are the old stream's), and
   * says so. Its alerts published again have the ids they had.
   */
  private againstThisStream(
    previous: CheckpointRecord | undefined,
    stream: StreamInfo,
  ): CheckpointRecord | undefined {
    if (!previous) return undefined;
    const now = { lastSeq: stream.state.last_seq, createdMs: Date.parse(stream.created) };
    if (!checkpointPredatesStream(previous, now, STORE_CLOCK_MARGIN_MS)) return previous;
    this.stats.streamRecreated++;
    this.log.warn(
      {
        checkpoint: { seq: previous.seq, storedAt: new Date(previous.storedAtMs).toISOString() },
        stream: now,
      },
      "this partition's checkpoint counted an earlier events stream (deleted and created again?): starting again from the checkpoint's time, alerts on, without its sequence or snapshot",
    );
    return { ...previous, seq: 0, snapshot: undefined, ruleSetHash: undefined };
  }

  /** The former owner's snapshot, when it was taken for these long rules and can be read. */
  private async loadSnapshot(previous: CheckpointRecord, stream: StreamInfo): Promise<Snapshot | undefined> {
    if (!this.scope.long) return undefined;
    const names = this.scope.long.rules.map((r) => r.rule.name);
    if (!previous.snapshot || previous.ruleSetHash !== this.scope.longHash) {
      const replayStartMs =
        previous.storedAtMs -
        replayLookbackMs(this.scope.lookbacks, this.ctx.settings, false) -
        STORE_CLOCK_MARGIN_MS;
      const needed = snapshotNeeded(previous, replayStartMs, {
        messages: stream.state.messages,
        firstMs: Date.parse(stream.state.first_ts),
      });
      this.log[needed ? "warn" : "info"](
        {
          rules: names,
          snapshot: previous.snapshot,
          ruleSetHash: previous.ruleSetHash,
          expected: this.scope.longHash,
          replayStart: new Date(Math.max(0, replayStartMs)).toISOString(),
          streamFirst: stream.state.messages > 0 ? stream.state.first_ts : undefined,
        },
        needed
          ? "no snapshot for these long-window rules: they are rebuilt from the replay limit only, and what they held from before it is lost"
          : "no snapshot for these long-window rules, none needed: the replay reads every event they can have held",
      );
      return undefined;
    }
    try {
      const bytes = await this.ctx.topology.snapshots.getBlob(previous.snapshot);
      if (!bytes) throw new Error("it is not in the object store");
      const snapshot = await decodeSnapshot(bytes, previous.snapshot);
      if (snapshot.partition !== this.key || snapshot.seq > previous.seq)
        throw new Error(`it was taken for ${snapshot.partition} at seq ${snapshot.seq}`);
      return snapshot;
    } catch (error) {
      this.log.warn(
        { rules: names, snapshot: previous.snapshot, err: errorText(error) },
        "the snapshot cannot be used: the long-window rules are rebuilt from the replay limit only",
      );
      return undefined;
    }
  }

  /** The long rules' held events, replayed in order; every alert they give was published already. */
  private restore(snapshot: Snapshot): void {
    const long = this.long;
    if (!long) return;
    for (const message of snapshot.messages) {
      let event: Event;
      try {
        event = JSON.parse(message.body) as Event;
        if (event === null || typeof event !== "object" || Array.isArray(event))
          throw new Error("not a JSON object");
      } catch (error) {
        this.stats.bad++;
        this.log.warn(
          { seq: message.seq, err: errorText(error) },
          "a snapshot message is not an event; skipped",
        );
        continue;
      }
      this.clockMs = Math.max(this.clockMs, message.storedAtMs);
      this.flushOnSchedule();
      this.held?.note(message, event);
      long.push(event, { source: this.source, line: message.seq, index: message.index, id: message.id });
      this.stats.restored++;
    }
    this.stats.suppressed += this.emitted.length;
    this.emitted = [];
    this.snapshotSeq = snapshot.seq;
  }

  private async deleteOlderConsumers(): Promise<void> {
    const prefix = this.consumer.slice(0, this.consumer.lastIndexOf("-e") + 2);
    const stale: string[] = [];
    for (const info of await listConsumers(this.ctx.topology.jsm, EVENTS_STREAM)) {
      const name = info.name;
      if (name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)) && name !== this.consumer)
        stale.push(name);
    }
    for (const name of stale) {
      await this.ctx.topology.jsm.consumers.delete(EVENTS_STREAM, name).catch(() => false);
    }
    if (stale.length) this.log.info({ consumers: stale }, "deleted the consumers of older epochs");
  }

  private async consume(): Promise<void> {
    const consumer = await this.ctx.topology.js.consumers.get(EVENTS_STREAM, this.consumer);
    if (this.over()) return;
    this.messages = await consumer.consume({
      max_messages: this.ctx.settings.pullBatch,
      abort_on_missing_resource: true,
    });
    if (this.phase !== "running") this.messages.stop();
    let sliceStart = performance.now();
    let count = 0;
    for await (const m of this.messages) {
      if (this.over()) break;
      if (this.checkpointing) await this.checkpointing;
      if (this.over()) break;
      if (!this.ctx.leaseFresh()) {
        this.fence(this.ctx.leaseStaleReason());
        break;
      }
      if (m.seq <= this.lastSeq) {
        this.stats.redelivered++;
        continue;
      }
      this.busy = true;
      try {
        this.handle(m);
        await this.publishEmitted(m.seq);
      } finally {
        this.busy = false;
      }
      if (this.over()) break;
      if (
        ++this.sinceCheckpoint >= this.ctx.settings.checkpointEvents ||
        Date.now() - this.lastCheckpointAt >= this.ctx.settings.checkpointIntervalMs
      )
        await this.checkpointNow(false);
      if ((++count & 63) === 0 && performance.now() - sliceStart > MAX_SLICE_MS) {
        await yieldToIo();
        sliceStart = performance.now();
      }
    }
  }

  /** Runs one message through the engines; synchronous, so nothing else sees half of it. */
  private handle(m: JsMsg): void {
    const storedAtMs = Number(m.timestampNanos / 1_000_000n);
    if (storedAtMs > this.clockMs) this.clockMs = storedAtMs;
    this.flushOnSchedule();
    this.stats.messages++;
    if (isTick(m.headers, m.data)) {
      this.stats.ticks++;
      this.flushIdle();
    } else {
      if (carriesTickHeader(m.headers)) this.eventWithTickHeader(m.seq);
      this.evaluate(m, storedAtMs);
    }
    this.lastSeq = m.seq;
    this.lastStoredAtMs = storedAtMs;
    this.lastMessage = m;
    this.lastMessageAt = Date.now();
    this.stats.pending = m.info.pending;
    this.stats.lastSeq = m.seq;
  }

  private evaluate(m: JsMsg, storedAtMs: number): void {
    this.stats.events++;
    if (m.seq <= this.replayUntil) this.stats.replayed++;
    if (!this.short && !this.long) return;
    const prefilter = this.scope.prefilter;
    if (prefilter) {
      const raw = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
      prefilter.reset();
      if (raw[0] === 0x7b && !prefilter.accepts(raw, 0, raw.length)) {
        this.stats.skipped++;
        return;
      }
    }
    let event: Event;
    let origin: ReturnType<typeof decodeEventMessage>["origin"];
    try {
      ({ event, origin } = decodeEventMessage(m, this.source));
    } catch (error) {
      this.bad(m.seq, error);
      return;
    }
    try {
      this.short?.push(event, origin);
      if (this.long && m.seq > this.snapshotSeq) {
        if (this.held && reachesRules(this.long.rules, event, origin.index)) {
          const held: HeldMessage = { seq: m.seq, storedAtMs, body: m.string() };
          if (origin.index !== undefined) held.index = origin.index;
          if (origin.id !== undefined) held.id = origin.id;
          this.held.note(held, event);
        }
        this.long.push(event, origin);
      }
    } catch (error) {
      // the engine contains rule errors itself: anything here is a bug, and must not stop the partition
      this.bad(m.seq, error);
    }
  }

  private bad(seq: number, error: unknown): void {
    this.stats.bad++;
    if (this.badLogged < 10 || this.stats.bad % 1000 === 0) {
      this.badLogged++;
      this.log.warn(
        {
          seq,
          bad: this.stats.bad,
          err: errorText(error),
          stack: error instanceof TypeError ? error.stack : undefined,
        },
        "a message is not an event; skipped",
      );
    }
  }

  /** Run as an event, not a tick (idle-tick.ts says why); said like a bad message, not at every one. */
  private eventWithTickHeader(seq: number): void {
    this.stats.tickHeaderEvents++;
    const count = this.stats.tickHeaderEvents;
    if (count <= 10 || count % 1000 === 0)
      this.log.warn(
        { seq, count, header: TICK_HEADER },
        "a message carries the idle-tick header and a body: run as an event, not as a tick (only workers write ticks, with no body)",
      );
  }

  /**
   * Idle flushes on a schedule of the stream's clock: at the first message of every quarter of
   * the idle period. The schedule is absolute (multiples of the period), so a successor that
   * starts its replay anywhere checks at the same messages as the owner it replaces.
   */
  private flushOnSchedule(): void {
    const period = Math.max(1, Math.floor(this.ctx.settings.idleFlushMs / 4));
    const bucket = Math.floor(this.clockMs / period);
    if (bucket === this.flushBucket) return;
    this.flushBucket = bucket;
    this.flushIdle();
  }

  private flushIdle(): number {
    let flushed = 0;
    for (const engine of [this.short, this.long])
      flushed += engine?.flushIdle(this.ctx.settings.idleFlushMs) ?? 0;
    return flushed;
  }

  /** The message's alerts: suppressed while replaying, published (bounded in flight) once live. */
  private async publishEmitted(seq: number): Promise<void> {
    if (this.emitted.length === 0) return;
    const alerts = this.emitted;
    this.emitted = [];
    if (seq <= this.replayUntil) {
      this.stats.suppressed += alerts.length;
      return;
    }
    const publisher = this.ctx.publisher;
    for (const match of alertsByMatch(alerts)) {
      const admitted = await this.admit(match);
      if (this.over()) return;
      if (!admitted) continue;
      for (const alert of match) {
        if (publisher.full) await publisher.room();
        if (this.over()) return;
        // undefined: it cannot be published, ever (counted and logged by the publisher)
        const message = publisher.encode(alert);
        if (!message) continue;
        this.publishing++;
        const sent = publisher.send(message, () => this.over());
        void sent.finally(() => this.publishing--);
        this.unsettled.push(sent);
        this.stats.alerts++;
      }
    }
  }

  /**
   * A match's place under its rule's `max_signals` in this `interval` window of the stream's
   * clock, across every partition (signal-ledger.ts). NATS not answering holds the partition
   * here, retried, as a full alert publisher does; a fence ends the wait.
   */
  private async admit(match: readonly AlertDocument[]): Promise<boolean> {
    const alert = match[match.length - 1];
    const ruleId = alert["kibana.alert.rule.rule_id"] as string;
    const rule = this.ruleById().get(ruleId);
    if (!rule) return true;
    const window = Math.floor(this.clockMs / intervalMs(rule));
    const matchId = alert["kibana.alert.uuid"] as string;
    const admitted = await retryUntilDone(
      () => this.ctx.ledger.admit(ruleId, window, matchId, alertsPerInterval(rule)),
      {
        abandoned: () => this.over(),
        failed: (error, attempt, loud) => {
          if (loud)
            this.log.warn(
              { rule_id: ruleId, attempt, err: errorText(error) },
              "the max_signals ledger could not be read or written; retrying",
            );
        },
      },
    );
    if (admitted === false) this.overLimit.set(ruleId, (this.overLimit.get(ruleId) ?? 0) + 1);
    return admitted === true;
  }

  private ruleById(): Map<string, ExecutableRule> {
    if (!this.rulesById) {
      this.rulesById = new Map();
      for (const set of [this.scope.short, this.scope.long])
        for (const rule of set?.rules ?? []) this.rulesById.set(rule.rule.rule_id, rule);
    }
    return this.rulesById;
  }

  private checkpointNow(final: boolean): Promise<void> {
    this.checkpointing ??= this.writeCheckpoint(final).finally(() => {
      this.checkpointing = undefined;
    });
    return this.checkpointing;
  }

  /**
   * Alerts acknowledged, then the messages (AckAll), then the checkpoint by compare-and-set: the
   * checkpoint never passes an event whose alerts are not stored.
   */
  private async writeCheckpoint(final: boolean): Promise<void> {
    const seq = this.lastSeq;
    const storedAtMs = this.lastStoredAtMs;
    const message = this.lastMessage;
    this.sinceCheckpoint = 0;
    this.lastCheckpointAt = Date.now();
    if (!message || (seq <= this.ackedSeq && seq <= this.checkpointedSeq)) return;
    const settled = this.unsettled;
    this.unsettled = [];
    const held = this.held && this.snapshotDue(final) ? this.held.messages() : undefined;
    // the rules those events were kept for: a reload while the snapshot is written must not
    // label them with the new rules' hash
    const heldFor = this.scope.longHash;
    const stored = await Promise.all(settled);
    if (this.over()) return;
    if (stored.includes(false)) return;
    if (!this.ctx.leaseFresh()) {
      this.fence(this.ctx.leaseStaleReason());
      return;
    }
    if (seq <= this.replayUntil) {
      // still rebuilding: the checkpoint stays where the former owner left it, but the
      // consumer must hear of the progress (it stops delivering at max_ack_pending)
      message.ack();
      this.ackedSeq = seq;
      return;
    }
    const record: CheckpointRecord = { seq, storedAtMs, epoch: this.epoch, worker: this.ctx.worker };
    const replaced = this.checkpoint.snapshot;
    if (held) {
      const name = snapshotName(this.key, seq);
      const bytes = await encodeSnapshot({
        partition: this.key,
        seq,
        storedAtMs,
        ruleSetHash: heldFor,
        messages: held,
      });
      try {
        await this.ctx.topology.snapshots.putBlob({ name }, bytes);
        record.snapshot = name;
        record.ruleSetHash = heldFor;
        this.lastSnapshotAt = Date.now();
        this.stats.snapshots++;
        if (this.held?.overflowed)
          this.log.warn(
            { dropped: this.held.overflowed },
            "the snapshot misses events: the held-events log was full",
          );
      } catch (error) {
        this.log.warn({ err: errorText(error) }, "writing the snapshot failed; the last one stays");
      }
      if (this.over()) return;
    }
    if (!record.snapshot && this.checkpoint.snapshot && this.checkpoint.ruleSetHash === this.scope.longHash) {
      record.snapshot = this.checkpoint.snapshot;
      record.ruleSetHash = this.checkpoint.ruleSetHash;
    }
    message.ack();
    this.ackedSeq = seq;
    try {
      this.checkpointRevision = await this.ctx.topology.checkpoints.update(
        this.key,
        encodeRecord(record),
        this.checkpointRevision,
      );
    } catch (error) {
      if (isCompareAndSetFailure(error)) {
        this.fence(`the checkpoint's compare-and-set failed (${errorText(error)})`);
        return;
      }
      this.log.warn(
        { seq, err: errorText(error) },
        "writing the checkpoint failed; retrying at the next one",
      );
      return;
    }
    this.checkpoint = record;
    this.checkpointedSeq = seq;
    this.stats.checkpoints++;
    this.stats.checkpointSeq = seq;
    if (replaced && replaced !== record.snapshot)
      void this.ctx.topology.snapshots.delete(replaced).catch(() => undefined);
  }

  private snapshotDue(final: boolean): boolean {
    if (this.lastSeq <= this.replayUntil) return false;
    return (
      final ||
      this.lastSnapshotAt === 0 ||
      Date.now() - this.lastSnapshotAt >= this.ctx.settings.snapshotIntervalMs
    );
  }

  /**
   * Wall-clock chores: a checkpoint when messages stopped coming, and an idle tick when the
   * partition is quiet but its rules hold events that only a flush releases.
   */
  private onTimer(): void {
    if (this.phase !== "running" || this.busy || this.checkpointing) return;
    const now = Date.now();
    const { checkpointIntervalMs, idleFlushMs } = this.ctx.settings;
    const behind = this.lastSeq > this.ackedSeq || this.lastSeq > this.checkpointedSeq;
    if (behind && now - this.lastCheckpointAt >= checkpointIntervalMs) {
      void this.checkpointNow(false);
      return;
    }
    if (
      this.lastSeq > 0 &&
      this.stats.pending === 0 &&
      now - this.lastMessageAt >= idleFlushMs &&
      now - this.tickSentAt >= 4 * idleFlushMs &&
      this.holding.buffered > 0
    ) {
      this.tickSentAt = now;
      const headers = natsHeaders();
      headers.set(TICK_HEADER, this.ctx.worker);
      this.ctx.topology.js.publish(tickSubject(this.partition), new Uint8Array(0), { headers }).then(
        () => {
          this.tickRefused = false;
        },
        (error) => {
          // a full events stream refuses ticks as it refuses events: what the rules hold (a
          // sequence's last event, and its alert) waits until the stream takes messages again
          if (!this.tickRefused)
            this.log.warn(
              { buffered: this.holding.buffered, err: errorText(error) },
              "an idle tick was not stored: the events this partition's rules hold, and their alerts, wait for its next message (is the events stream full?)",
            );
          else this.log.debug({ err: errorText(error) }, "an idle tick was not stored");
          this.tickRefused = true;
        },
      );
    }
  }

  private newEngine(rules: RuleSet): DetectionEngine {
    return new DetectionEngine(rules, {
      mode: "follow",
      allowedLatenessMs: this.ctx.settings.allowedLatenessMs,
      kibana: this.ctx.settings.kibana,
      clock: () => this.clockMs,
      now: () => new Date(),
      exceptionsFor: this.scope.exceptionsFor,
      onAlert: (alert) => {
        this.emitted.push(alert);
      },
      onRuleError: (rule, error, origin) => {
        this.log.error(
          { rule_id: rule.rule.rule_id, rule: rule.rule.name, seq: origin?.line, err: errorText(error) },
          "rule failed and is disabled",
        );
      },
      onAlertError: (rule, error, origins) => {
        this.log.warn(
          {
            rule_id: rule.rule.rule_id,
            rule: rule.rule.name,
            seqs: origins.map((o) => o.line),
            err: errorText(error),
          },
          "alert could not be built: counted, not alerted",
        );
      },
      onAlertFieldsLeftOut: (rule, paths, origins) => {
        this.log.warn(
          {
            rule_id: rule.rule.rule_id,
            rule: rule.rule.name,
            seqs: origins.map((o) => o.line),
            fields: paths,
          },
          "alert leaves out source fields the ECS mapping cannot hold, as Kibana does (said once per rule and field)",
        );
      },
      onFutureEvent: (rule, time, origin) => {
        this.log.warn(
          { rule_id: rule.rule.rule_id, rule: rule.rule.name, seq: origin?.line, time: eventTimeText(time) },
          "event dated more than a minute ahead of the stream's clock left out of the rule's sequences and samples: check the sender's clock (said once per rule and partition; eqlite_rule_future_events_total counts them)",
        );
      },
    });
  }

  private newHeldEvents(scope: ScopeRules): HeldEvents {
    const latenessNs = BigInt(Math.round(this.ctx.settings.allowedLatenessMs)) * 1_000_000n;
    return new HeldEvents(scope.longReach, latenessNs, this.ctx.settings.maxHeldBytes, () => this.clockMs);
  }

  private swap(engine: DetectionEngine | undefined, rules: RuleSet | undefined): DetectionEngine | undefined {
    if (!rules) return undefined;
    if (!engine) return this.newEngine(rules);
    engine.reload(rules, { exceptionsFor: this.scope.exceptionsFor });
    return engine;
  }
}

/** A run of emitted alerts by match: a sequence's building blocks come before its shell. */
function alertsByMatch(alerts: readonly AlertDocument[]): AlertDocument[][] {
  const matches: AlertDocument[][] = [];
  let blocks: AlertDocument[] = [];
  for (const alert of alerts) {
    blocks.push(alert);
    if (alert["kibana.alert.building_block_type"] === undefined) {
      matches.push(blocks);
      blocks = [];
    }
  }
  return matches;
}
