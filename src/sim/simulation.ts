/**
 * The simulation: a cluster boots, then background episodes (probes, web traffic, workers, CI,
 * cron jobs, node housekeeping, debug pods) start at random times with the configured shares of
 * events, and attack stories are injected at scheduled points. Scenes produce events ahead of time
 * into a heap; `next()` hands them out in timestamp order.
 */

import { MinHeap } from "../eql/correlate/min-heap.ts";
import { bootHost } from "./boot.ts";
import { IsoClock, parseStart } from "./clock.ts";
import { type Cluster, createCluster } from "./cluster.ts";
import { SIMULATION_DEFAULTS } from "./defaults.ts";
import { Rng } from "./random.ts";
import { Renderer } from "./render.ts";
import { type PendingEvent, Scene, type SceneSink } from "./scene.ts";
import { STORIES } from "./stories/index.ts";
import type { Story, StoryName } from "./story.ts";
import { type StoryRun, type TruthRecord, truthRecord } from "./truth.ts";
import type { Workload, WorkloadKind } from "./workload.ts";
import { WORKLOADS } from "./workloads/index.ts";

export interface SimulationOptions {
  seed?: number;
  /** how many events to produce; 0 or Infinity for an endless stream */
  events?: number;
  /** nodes in the cluster */
  hosts?: number;
  /** the share of events that belong to attack stories; above 0, each chosen story appears at least once */
  attackRate?: number;
  /** which stories to inject (default: all) */
  stories?: readonly StoryName[];
  /** the first timestamp, as milliseconds since the epoch or ISO 8601 */
  start?: number | string;
  /** simulated events per second across the cluster (default 50 per node) */
  eventsPerSecond?: number;
  /** shares of the background events by workload kind; unlisted kinds keep their defaults, 0 turns one off */
  mix?: Partial<Record<WorkloadKind, number>>;
  /** the share of fork+exec pairs the sensor reports as one document */
  squishRate?: number;
}

/** Episodes of a whole run (before time scaling) fit in this window; shorter runs are compressed. */
const NOMINAL_WINDOW_MS = 600_000;

export interface SimulationStats {
  events: number;
  /** bytes of NDJSON, newlines included */
  bytes: number;
  processEvents: number;
  fileEvents: number;
  /** events per workload kind, story name, and "boot" */
  byKind: Record<string, number>;
  stories: number;
}

interface ScheduledStory {
  at: number;
  story: Story;
}

export class Simulation implements SceneSink {
  readonly cluster: Cluster;
  readonly rng: Rng;
  readonly clock = new IsoClock();
  readonly renderer: Renderer;
  readonly squishRate: number;
  readonly timeScale: number;
  /** name of each kind index carried by events: "boot", the workload kinds, then the story names */
  readonly kindNames: readonly string[];
  readonly start: number;

  /** pending events by time, then by creation order (stable) */
  private readonly heap = new MinHeap<PendingEvent>((a, b) => a.t - b.t || a.seq - b.seq);
  private readonly limit: number;
  /** events per millisecond of simulated time */
  private readonly density: number;
  private readonly workloads: readonly Workload[];
  private readonly shares: number[];
  private readonly meanSize: number[];
  private readonly episodes: number[];
  private readonly stories: readonly Story[];
  private readonly storyRng: Rng;
  private readonly attackRate: number;
  private schedule: ScheduledStory[] = [];
  private scheduled = 0;
  private readonly runs: StoryRun[] = [];
  private seq = 0;
  private built = 0;
  private nextEpisodeAt: number;
  private readonly counts: SimulationStats;

  constructor(options: SimulationOptions = {}) {
    const seed = options.seed ?? SIMULATION_DEFAULTS.seed;
    const hosts = options.hosts ?? SIMULATION_DEFAULTS.hosts;
    if (!Number.isInteger(hosts) || hosts < 1) throw new RangeError("hosts must be a whole number >= 1");
    const events = options.events ?? SIMULATION_DEFAULTS.events;
    this.limit = events === 0 ? Number.POSITIVE_INFINITY : events;
    const start = options.start ?? SIMULATION_DEFAULTS.start;
    this.start = typeof start === "number" ? start : parseStart(start);
    const perSecond = options.eventsPerSecond ?? SIMULATION_DEFAULTS.eventsPerHostPerSecond * hosts;
    if (!(perSecond > 0)) throw new RangeError("eventsPerSecond must be > 0");
    this.density = perSecond / 1000;
    this.timeScale = Number.isFinite(this.limit)
      ? Math.min(1, this.limit / this.density / NOMINAL_WINDOW_MS)
      : 1;
    this.squishRate = options.squishRate ?? SIMULATION_DEFAULTS.squishRate;
    this.attackRate = options.attackRate ?? SIMULATION_DEFAULTS.attackRate;
    if (!(this.attackRate >= 0 && this.attackRate < 1)) throw new RangeError("attackRate must be in [0, 1)");

    this.cluster = createCluster(new Rng(seed, "cluster"), hosts);
    this.rng = new Rng(seed, "events");
    this.storyRng = new Rng(seed, "stories");
    this.renderer = new Renderer(this.rng, this.clock, this.cluster.policyId, this.cluster.policyRevision);

    this.workloads = WORKLOADS;
    this.shares = WORKLOADS.map((w) => {
      const share = options.mix?.[w.kind] ?? w.share;
      if (!(share >= 0)) throw new RangeError(`mix share for ${w.kind} must be >= 0`);
      return share;
    });
    if (!this.shares.some((s) => s > 0))
      throw new RangeError("the background mix needs a kind with a share > 0");
    this.meanSize = WORKLOADS.map((w) => w.nominalEvents);
    this.episodes = WORKLOADS.map(() => 3);
    const chosen = options.stories ?? STORIES.map((s) => s.name);
    this.stories = chosen.map((name) => {
      const story = STORIES.find((s) => s.name === name);
      if (!story) throw new RangeError(`unknown story: ${name}`);
      return story;
    });
    this.kindNames = ["boot", ...WORKLOADS.map((w) => w.kind), ...STORIES.map((s) => s.name)];
    this.counts = {
      events: 0,
      bytes: 0,
      processEvents: 0,
      fileEvents: 0,
      byKind: Object.fromEntries(this.kindNames.map((k) => [k, 0])),
      stories: 0,
    };
    this.planStories();

    let bootEnd = this.start;
    let at = this.start;
    for (const host of this.cluster.hosts) {
      const scene = new Scene(this, at, 0);
      bootHost(scene, host);
      bootEnd = Math.max(bootEnd, scene.t);
      at += this.rng.between(20, 400) * this.timeScale;
    }
    this.nextEpisodeAt = bootEnd + 1;
  }

  /** SceneSink: scenes hand over their events here */
  push(event: PendingEvent): void {
    event.seq = this.seq++;
    this.heap.push(event);
    this.built++;
  }

  /** the next event in timestamp order, or undefined when the requested number has been produced */
  next(): PendingEvent | undefined {
    if (this.counts.events >= this.limit) return undefined;
    for (;;) {
      const top = this.heap.peek();
      if (top && top.t <= this.nextEpisodeAt) break;
      this.playEpisode();
    }
    const event = this.heap.pop() as PendingEvent;
    const c = this.counts;
    c.events++;
    c.bytes += event.line.length + 1;
    if (event.file) c.fileEvents++;
    else c.processEvents++;
    c.byKind[this.kindNames[event.kind]]++;
    const run = event.story;
    if (run) {
      run.eventIds.push(event.id);
      if (event.key) run.keyEventIds.push(event.id);
    }
    return event;
  }

  /** ground truth for the stories that produced at least one event so far */
  truth(): TruthRecord[] {
    return this.runs.filter((run) => run.eventIds.length > 0).map(truthRecord);
  }

  stats(): SimulationStats {
    return {
      ...this.counts,
      byKind: { ...this.counts.byKind },
      stories: this.runs.filter((run) => run.eventIds.length > 0).length,
    };
  }

  private playEpisode(): void {
    const at = this.nextEpisodeAt;
    const before = this.built;
    const due = this.schedule[0];
    if (due && this.built >= due.at) {
      this.schedule.shift();
      if (!this.schedule.length && !Number.isFinite(this.limit)) this.planStories();
      this.playStory(due.story, at);
    } else {
      const i = this.chooseWorkload();
      const scene = new Scene(this, at, 1 + i);
      this.workloads[i].play(scene, this.cluster);
      const size = this.built - before;
      this.meanSize[i] = (this.meanSize[i] * this.episodes[i] + size) / (this.episodes[i] + 1);
      this.episodes[i]++;
    }
    const size = Math.max(1, this.built - before);
    this.nextEpisodeAt = at + Math.max(1, Math.round(this.rng.exp(size / this.density)));
  }

  private playStory(story: Story, at: number): void {
    const run: StoryRun = {
      story: story.name,
      instance: this.runs.length + 1,
      host: "",
      containerId: undefined,
      pod: undefined,
      start: this.clock.format(at),
      eventIds: [],
      keyEventIds: [],
    };
    this.runs.push(run);
    const kind = 1 + this.workloads.length + STORIES.indexOf(story);
    story.play(new Scene(this, at, kind, run), this.cluster, run);
  }

  /** a workload with probability proportional to its share over its mean episode size */
  private chooseWorkload(): number {
    const weights = this.shares.map((share, i) => share / this.meanSize[i]);
    return this.rng.weighted(
      this.workloads.map((_, i) => i),
      weights,
    );
  }

  /**
   * Where stories start, counted in events produced: for a finite run, spread over 10–70 % of it
   * (each chosen story at least once); for an endless one, the next round of stories.
   */
  private planStories(): void {
    if (this.attackRate <= 0 || !this.stories.length) return;
    const rng = this.storyRng;
    const mean = this.stories.reduce((sum, s) => sum + s.nominalEvents, 0) / this.stories.length;
    if (Number.isFinite(this.limit)) {
      const count = Math.max(this.stories.length, Math.round((this.attackRate * this.limit) / mean));
      const ordered: Story[] = [];
      while (ordered.length < count) ordered.push(...rng.shuffle(this.stories));
      for (let i = 0; i < count; i++) {
        const at = Math.floor(this.limit * (0.1 + (0.6 * (i + rng.float())) / count));
        this.schedule.push({ at, story: ordered[i] });
      }
      return;
    }
    const interval = mean / this.attackRate;
    for (const story of rng.shuffle(this.stories)) {
      this.scheduled++;
      this.schedule.push({ at: Math.floor(interval * (this.scheduled - 1 + rng.float())), story });
    }
  }
}

export function createSimulation(options: SimulationOptions = {}): Simulation {
  return new Simulation(options);
}

/** The events as NDJSON lines (without newlines), in timestamp order. */
export function* simulate(options: SimulationOptions = {}): Generator<string> {
  const sim = new Simulation(options);
  for (let e = sim.next(); e; e = sim.next()) yield e.line;
}
