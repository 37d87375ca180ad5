/**
 * `eqlite worker`: one process of the scale-out. It loads the rules, splits them into host and
 * global ones, heartbeats its membership, works out which partitions it should own (rendezvous
 * hashing over the live members, or `--own`), takes their leases and runs one PartitionRunner
 * per owned partition. It hands partitions over cleanly when another worker should own them or
 * when it stops, takes over those whose owner died (their leases expired), and reloads its rules
 * on SIGHUP or a change of the rule files, keeping unchanged rules' state.
 */

import { hostname } from "node:os";
import { jetstreamManager } from "@nats-io/jetstream";
import { type KvWatchEntry, KvWatchInclude } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { connectNats } from "../nats/connect.ts";
import { logConnectionChanges } from "../nats/connection-log.ts";
import { setUpAtStart } from "../nats/election-wait.ts";
import { GLOBAL_PARTITION, type PartitionId, parsePartitionKey, partitionKey } from "../nats/records.ts";
import { openTopology, type Topology } from "../nats/topology.ts";
import { loadRuleBundle, RuleBundleError } from "../server/rule-bundle.ts";
import type { ReloadCounters } from "../server/rule-metrics.ts";
import { type RulesWatcher, watchRules } from "../server/rules-watcher.ts";
import { AlertPublisher } from "./alert-publisher.ts";
import { errorText } from "./compare-and-set.ts";
import { type Lease, LeaseKeeper } from "./lease-keeper.ts";
import { type MemberRecord, Membership } from "./membership.ts";
import { allPartitions, comparePartitions, formatPartitionList } from "./partition-list.ts";
import { PartitionRunner } from "./partition-runner.ts";
import { rendezvousShare } from "./rendezvous.ts";
import { planRuleList, planRules, type RulePlan, type ScopeRules, summarizePlan } from "./rule-plan.ts";
import { diffRuleSets } from "./rule-set-hash.ts";
import { RuleTallies } from "./rule-tallies.ts";
import { kvSignalLedger, type SignalLedger } from "./signal-ledger.ts";
import { adoptTopologyOptions } from "./topology-options.ts";
import { workerMetrics } from "./worker-metrics.ts";
import type { WorkerSettings } from "./worker-settings.ts";

export interface ReloadOutcome {
  ok: boolean;
  hash: string;
  reason?: string;
}

/** How often a progress line is logged. */
const PROGRESS_EVERY_MS = 60_000;

/** A partition whose takeover failed is left alone this long before this worker tries again. */
const RETRY_AFTER_FAILURE_MS = 5_000;

export class Worker {
  private readonly runners = new Map<string, PartitionRunner>();
  private readonly acquiring = new Set<string>();
  private readonly acquisitions = new Set<Promise<void>>();
  private readonly retryAfter = new Map<string, number>();
  private readonly endings = new Set<Promise<void>>();
  private readonly counters = { fenced: 0, stopped: 0, failed: 0 };
  private readonly totals = { events: 0, alerts: 0, suppressed: 0, bad: 0 };
  /** takeovers that found messages deleted unread past the checkpoint, of runners that ended */
  private readonly endedGaps = { gaps: 0, gapSequences: 0, streamRecreated: 0 };
  private readonly ruleTallies = new RuleTallies();
  private readonly ledger: SignalLedger;
  private readonly reloads: ReloadCounters = { ok: 0, rejected: 0, loadedAt: Date.now() };
  private readonly since = Date.now();
  private lastProgressAt = Date.now();
  private ticking: Promise<void> | undefined;
  private beating: NodeJS.Timeout | undefined;
  private rebalanceAgain = false;
  private timer: NodeJS.Timeout | undefined;
  private watcher: RulesWatcher | undefined;
  private leaseWatch: { stop(): void } | undefined;
  private reloading: Promise<ReloadOutcome> | undefined;
  private closing: Promise<void> | undefined;
  private takeovers = 0;
  private cutShort = 0;
  private readonly takeoverQueue: Array<() => void> = [];
  /** the NATS connection is up (it reconnects forever): for /healthz and /metrics */
  private connected = true;

  private constructor(
    private readonly settings: WorkerSettings,
    private readonly logger: Logger,
    private readonly nc: NatsConnection,
    readonly topology: Topology,
    private plan: RulePlan,
    private readonly ttlMs: number,
    private readonly keeper: LeaseKeeper,
    private readonly membership: Membership,
    private readonly publisher: AlertPublisher,
    private readonly version: string,
  ) {
    this.ledger = kvSignalLedger(topology.signals);
  }

  /** Loads the rules, connects, and starts taking partitions; rejects on invalid rules (RuleBundleError). */
  static async start(settings: WorkerSettings, logger: Logger, version = "unknown"): Promise<Worker> {
    const bundle = await loadRuleBundle(settings.rules, settings.exceptions);
    for (const warning of bundle.warnings) logger.warn({ warning }, "rule warning");
    const plan = planRules(bundle, settings);
    const nc = await connectNats(settings, `eqlite-worker ${settings.id}`);
    void logConnectionChanges(nc, logger);
    try {
      const requested = {
        partitions: settings.partitions,
        replicas: settings.replicas,
        leaseTtlMs: settings.leaseTtlMs,
      };
      const topology = await setUpAtStart(nc, settings.replicas, logger, async () =>
        openTopology(nc, await adoptTopologyOptions(await jetstreamManager(nc), requested)),
      );
      // the bucket's TTL is what expires leases: whoever created it decided
      const ttlMs = (await topology.leases.status()).ttl || settings.leaseTtlMs;
      if (ttlMs !== settings.leaseTtlMs)
        logger.warn(
          { requested: settings.leaseTtlMs, bucket: ttlMs },
          "the leases bucket exists with another TTL; using the bucket's",
        );
      const membership = new Membership(topology.members, settings.id, ttlMs);
      const publisher = new AlertPublisher(
        topology.js,
        logger,
        settings.alertsInFlight,
        () => nc.info?.max_payload,
      );
      let worker: Worker | undefined;
      const keeper = new LeaseKeeper(topology.leases, settings.id, ttlMs, logger, (lease, reason) =>
        worker?.leaseLost(lease, reason),
      );
      worker = new Worker(
        settings,
        logger,
        nc,
        topology,
        plan,
        ttlMs,
        keeper,
        membership,
        publisher,
        version,
      );
      worker.begin();
      return worker;
    } catch (error) {
      await nc.close().catch(() => undefined);
      throw error;
    }
  }

  get id(): string {
    return this.settings.id;
  }

  /** Partition keys this worker runs now. */
  get owned(): string[] {
    return [...this.runners.values()]
      .map((r) => r.partition)
      .sort(comparePartitions)
      .map(partitionKey);
  }

  get rules(): RulePlan {
    return this.plan;
  }

  runner(partition: PartitionId): PartitionRunner | undefined {
    return this.runners.get(partitionKey(partition));
  }

  private begin(): void {
    const { settings, logger, plan, ttlMs } = this;
    const summary = summarizePlan(plan);
    logger.info(
      {
        servers: settings.servers,
        server: this.nc.info?.version,
        partitions: settings.partitions,
        own: settings.own ? formatPartitionList(settings.own) : "rendezvous",
        leaseTtlMs: ttlMs,
        rules: {
          hash: summary.hash,
          total: summary.rules,
          host: summary.hostRules,
          global: summary.globalRules,
          globalRules: summary.global.map((g) => `${g.name} (${g.reason})`),
          long: summary.long.map((l) => `${l.name} (look-back ${l.lookbackMs} ms)`),
          hostLookbackMs: summary.hostLookbackMs,
          globalLookbackMs: summary.globalLookbackMs,
        },
      },
      `worker started: ${summary.hostRules} rules on host partitions, ${summary.globalRules} on the global partition`,
    );
    this.keeper.start();
    const every = Math.max(100, Math.min(1_000, Math.floor(ttlMs / 3)));
    // the first rebalance waits for the members: alone, a worker would take everything free
    void this.followMembers().then(() => {
      if (this.closing) return;
      this.timer = setInterval(() => void this.tick(), every);
      void this.tick();
    });
    // the heartbeat has its own timer: a slow rebalance must not make this worker look dead
    this.beating = setInterval(() => void this.beat(), every);
    void this.beat();
    void this.watchLeases();
    void this.followConnection();
    if (settings.watchRules) {
      this.watcher = watchRules(
        settings.rules,
        settings.reloadDebounceMs,
        () => void this.reload(),
        (path, error) => logger.warn({ path, err: error }, "cannot watch rules for changes; SIGHUP reloads"),
      );
    }
  }

  private async followConnection(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === "disconnect") this.connected = false;
      else if (status.type === "reconnect") this.connected = true;
    }
  }

  private async followMembers(): Promise<void> {
    for (let attempt = 0; !this.closing; attempt++) {
      try {
        await this.membership.follow(
          () => void this.tick(),
          (error) => {
            if (this.closing) return;
            this.logger.error({ err: errorText(error) }, "watching the members failed; following them again");
            void this.followMembers();
          },
        );
        return;
      } catch (error) {
        if (attempt % 10 === 0)
          this.logger.warn({ err: errorText(error) }, "cannot read the members yet; retrying");
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  /** A deleted lease (a clean handover elsewhere) may be ours to take now: look without waiting for the tick. */
  private async watchLeases(): Promise<void> {
    try {
      const entries = await this.topology.leases.watch({ include: KvWatchInclude.UpdatesOnly });
      this.leaseWatch = entries;
      for await (const entry of entries as AsyncIterable<KvWatchEntry>) {
        if (entry.operation !== "PUT" && !this.closing) void this.tick();
      }
    } catch (error) {
      if (!this.closing)
        this.logger.warn(
          { err: errorText(error) },
          "watching the leases failed; rebalancing on the timer only",
        );
    }
  }

  /** A rebalance; one round at a time (a request during one runs another after it). */
  private tick(): Promise<void> {
    if (this.ticking) {
      this.rebalanceAgain = true;
      return this.ticking;
    }
    this.ticking = (async () => {
      do {
        this.rebalanceAgain = false;
        try {
          await this.rebalance();
        } catch (error) {
          if (!this.closing) this.logger.warn({ err: errorText(error) }, "rebalancing failed; retrying");
        }
      } while (this.rebalanceAgain && !this.closing);
    })().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  private async beat(): Promise<void> {
    if (this.closing) return;
    const record = this.record();
    try {
      await this.membership.beat(record);
    } catch (error) {
      this.logger.warn({ err: errorText(error) }, "the membership heartbeat failed; retrying");
    }
    if (Date.now() - this.lastProgressAt >= PROGRESS_EVERY_MS) {
      this.lastProgressAt = Date.now();
      this.logger.info(
        {
          owned: record.owned.length,
          pending: this.pending(),
          ...record.counters,
          alertsPublished: this.publisher.stats,
        },
        "progress",
      );
    }
  }

  /** events stored for the owned partitions and not yet delivered, as of each one's last message */
  private pending(): number {
    let pending = 0;
    for (const runner of this.runners.values()) pending += runner.stats.pending;
    return pending;
  }

  /** The worker's state for Prometheus (`--metrics`). */
  metrics(): string {
    const runners = [...this.runners.values()];
    return workerMetrics(this.record(), {
      pending: runners.map((r) => ({ partition: r.key, events: r.stats.pending })),
      publisher: this.publisher.stats,
      deletedUnread: {
        gaps: runners.reduce((sum, r) => sum + r.stats.gaps, this.endedGaps.gaps),
        sequences: runners.reduce((sum, r) => sum + r.stats.gapSequences, this.endedGaps.gapSequences),
        streamRecreated: runners.reduce(
          (sum, r) => sum + r.stats.streamRecreated,
          this.endedGaps.streamRecreated,
        ),
      },
      connected: this.connected,
      partitionEnds: this.counters,
      reloads: this.reloads,
      rules: this.ruleTallies.tally(
        planRuleList(this.plan),
        runners.map((r) => r.rules),
      ),
    });
  }

  /** Why the worker is not doing its work, for `/healthz`; undefined while it is. */
  unhealthy(): string | undefined {
    if (this.closing) return "stopping: handing the partitions over";
    if (!this.connected) return "not connected to NATS: reconnecting";
    return undefined;
  }

  /** What this worker tells the others and `eqlite status`. */
  record(): MemberRecord {
    const counters = { ...this.totals, fenced: this.counters.fenced };
    const holding = { buffered: 0, openSequences: 0 };
    for (const runner of this.runners.values()) {
      counters.events += runner.stats.events;
      counters.alerts += runner.stats.alerts;
      counters.suppressed += runner.stats.suppressed;
      counters.bad += runner.stats.bad;
      const held = runner.holding;
      holding.buffered += held.buffered;
      holding.openSequences += held.openSequences;
    }
    const record: MemberRecord = {
      worker: this.settings.id,
      since: this.since,
      beatAt: Date.now(),
      pid: process.pid,
      hostname: hostname(),
      version: this.version,
      partitions: this.settings.partitions,
      owned: this.owned,
      rules: summarizePlan(this.plan),
      holding,
      counters,
    };
    if (this.settings.own) record.own = formatPartitionList(this.settings.own);
    return record;
  }

  /** The partitions this worker should own now. */
  private async targets(): Promise<string[]> {
    const withGlobal = this.plan.global.short !== undefined || this.plan.global.long !== undefined;
    const all = (this.settings.own ?? allPartitions(this.settings.partitions))
      .filter((p) => p !== GLOBAL_PARTITION || withGlobal)
      .map(partitionKey);
    if (this.settings.own) return all;
    const live = this.membership.live();
    return rendezvousShare(this.settings.id, all, live);
  }

  private async rebalance(): Promise<void> {
    if (this.closing) return;
    const targets = new Set(await this.targets());
    if (this.closing) return;
    for (const [key, runner] of this.runners) {
      if (!targets.has(key) && !runner.stopping) {
        this.logger.info({ partition: key }, "handing the partition over: another worker should own it");
        void runner.stop();
      }
    }
    const now = Date.now();
    const wanted = [...targets].filter(
      (key) => !this.runners.has(key) && !this.acquiring.has(key) && (this.retryAfter.get(key) ?? 0) <= now,
    );
    // takeovers run on their own (a few at a time): the next round must not wait for them
    for (const key of wanted) void this.acquire(key);
  }

  private acquire(key: string): Promise<void> {
    const acquisition = this.acquireOnce(key);
    this.acquisitions.add(acquisition);
    void acquisition.finally(() => this.acquisitions.delete(acquisition));
    return acquisition;
  }

  private async acquireOnce(key: string): Promise<void> {
    const partition = parsePartitionKey(key);
    if (partition === undefined) return;
    this.acquiring.add(key);
    try {
      const lease = await this.keeper.acquire(partition);
      if (!lease || this.closing) {
        if (lease) await this.keeper.release(partition);
        return;
      }
      await this.startRunner(lease);
    } catch (error) {
      this.logger.warn({ partition: key, err: errorText(error) }, "taking the lease failed");
    } finally {
      this.acquiring.delete(key);
    }
  }

  private async startRunner(lease: Lease): Promise<void> {
    const runner = new PartitionRunner(lease.partition, lease.epoch, this.scopeOf(lease.partition), {
      worker: this.settings.id,
      topology: this.topology,
      ledger: this.ledger,
      settings: this.settings,
      publisher: this.publisher,
      logger: this.logger,
      leaseFresh: () => this.keeper.fresh(lease.partition),
      leaseStaleReason: () => this.keeper.staleReason(lease.partition),
    });
    this.runners.set(lease.key, runner);
    const ending = runner.ended.then((end) => this.runnerEnded(runner, lease, end));
    this.endings.add(ending);
    void ending.finally(() => this.endings.delete(ending));
    await this.takeoverSlot();
    try {
      void runner.run();
      await runner.takenOver;
    } finally {
      this.releaseTakeoverSlot();
    }
  }

  private async runnerEnded(
    runner: PartitionRunner,
    lease: Lease,
    end: Awaited<PartitionRunner["ended"]>,
  ): Promise<void> {
    if (this.runners.get(lease.key) === runner) this.runners.delete(lease.key);
    for (const k of ["events", "alerts", "suppressed", "bad"] as const) this.totals[k] += runner.stats[k];
    for (const k of ["gaps", "gapSequences", "streamRecreated"] as const)
      this.endedGaps[k] += runner.stats[k];
    this.ruleTallies.retire(runner.rules);
    const stats = { ...runner.stats };
    if (end.kind === "stopped") {
      this.counters.stopped++;
      await this.keeper.release(lease.partition);
      this.logger.info(
        // handed over before its takeover finished: no "partition taken over" line came before
        {
          partition: lease.key,
          epoch: lease.epoch,
          stats,
          ...(!runner.tookOver && { beforeTakeover: true }),
        },
        "partition handed over",
      );
    } else if (end.kind === "fenced") {
      this.counters.fenced++;
      await this.keeper.settle(lease.partition);
      this.logger.warn(
        { partition: lease.key, epoch: lease.epoch, reason: end.reason, stats },
        `partition fenced, stopped without acknowledging: ${end.reason}`,
      );
    } else {
      this.counters.failed++;
      this.retryAfter.set(lease.key, Date.now() + RETRY_AFTER_FAILURE_MS);
      await this.keeper.release(lease.partition);
      this.logger.error(
        { partition: lease.key, epoch: lease.epoch, reason: end.reason, stats },
        "partition failed",
      );
    }
  }

  private leaseLost(lease: Lease, reason: string): void {
    const runner = this.runners.get(lease.key);
    this.logger.warn({ partition: lease.key, epoch: lease.epoch, reason }, "lease lost");
    if (runner && runner.epoch === lease.epoch) runner.fence(reason);
  }

  private scopeOf(partition: PartitionId): ScopeRules {
    return partition === GLOBAL_PARTITION ? this.plan.global : this.plan.host;
  }

  private takeoverSlot(): Promise<void> {
    if (this.takeovers < this.settings.takeoverConcurrency) {
      this.takeovers++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.takeoverQueue.push(resolve));
  }

  private releaseTakeoverSlot(): void {
    const next = this.takeoverQueue.shift();
    if (next) next();
    else this.takeovers--;
  }

  /**
   * Loads the rules again and swaps them into every partition between two messages: unchanged
   * rules keep their state. An invalid set is refused whole and the running one kept.
   */
  reload(): Promise<ReloadOutcome> {
    if (this.reloading) return this.reloading;
    this.reloading = this.reloadOnce().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  private async reloadOnce(): Promise<ReloadOutcome> {
    let plan: RulePlan;
    let before = this.plan;
    try {
      const bundle = await loadRuleBundle(this.settings.rules, this.settings.exceptions);
      plan = planRules(bundle, this.settings);
      before = this.plan;
      const diff = diffRuleSets(planRuleList(before), bundle.ruleSet.rules);
      this.plan = plan;
      this.reloads.ok++;
      this.reloads.loadedAt = Date.now();
      for (const runner of this.runners.values()) runner.reload(this.scopeOf(runner.partition));
      const summary = summarizePlan(plan);
      this.logger.info(
        {
          hash: plan.hash,
          previous: before.hash,
          kept: diff.kept.length,
          added: diff.added,
          changed: diff.changed,
          removed: diff.removed,
          host: summary.hostRules,
          global: summary.globalRules,
        },
        "rules reloaded",
      );
    } catch (error) {
      const reason = error instanceof RuleBundleError ? error.message : errorText(error);
      this.reloads.rejected++;
      this.logger.error(
        { problems: error instanceof RuleBundleError ? error.problems : undefined },
        `rule reload refused, the running rules are kept: ${reason}`,
      );
      return { ok: false, hash: this.plan.hash, reason };
    }
    void this.tick();
    return { ok: true, hash: plan.hash };
  }

  /**
   * A clean stop: leave the membership (the others start taking this worker's partitions), hand
   * every partition over (process what was delivered, publish, checkpoint, delete the lease),
   * then disconnect.
   */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  /** Partitions whose handover the stop deadline cut short (`--stop-timeout`): a stop not clean. */
  get stopCutShort(): number {
    return this.cutShort;
  }

  /** Whether `work` settles within `ms`; it goes on either way. */
  private async within(work: Promise<unknown>, ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    try {
      return await Promise.race([work.then(() => true), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async closeOnce(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.beating) clearInterval(this.beating);
    this.watcher?.close();
    this.leaseWatch?.stop();
    this.membership.stop();
    await this.ticking?.catch(() => undefined);
    await this.membership
      .leave()
      .catch((error) => this.logger.warn({ err: errorText(error) }, "leaving the membership failed"));
    const runners = [...this.runners.values()];
    if (!(await this.within(Promise.all(runners.map((r) => r.stop())), this.settings.stopTimeoutMs))) {
      const late = runners.filter((r) => r.abandonStop(this.settings.stopTimeoutMs)).map((r) => r.key);
      this.cutShort = late.length;
      this.logger.warn(
        { timeoutMs: this.settings.stopTimeoutMs, partitions: late },
        `the stop did not finish in time: ${late.length} partitions were left without their final checkpoint, for their next owners to replay`,
      );
    }
    await Promise.all([...this.endings]);
    this.keeper.stop();
    await this.nc.drain().catch(() => undefined);
    this.logger.info(
      {
        handedOver: this.counters.stopped,
        fenced: this.counters.fenced,
        cutShort: this.cutShort,
        alerts: this.publisher.stats,
      },
      "worker stopped",
    );
  }
}
