/**
 * The faults a chaos run injects, each one thing an operator's fleet meets: a worker crashing
 * (SIGKILL) and its replacement starting, a clean stop (SIGTERM) that must end within its stop
 * timeout, nats-server crashing and coming back on its kept store, a worker frozen past its
 * lease (SIGSTOP, then SIGCONT), a rule reload (SIGHUP, with the rule files unchanged or with a
 * rule added or removed that matches nothing), and a shipper re-sending events it already sent.
 * What goes wrong is written down as a finding, never thrown: the run goes on to the verdict.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Event } from "../../src/eql/field-access.ts";
import type { Publisher } from "../../src/nats/publisher.ts";
import type { NatsNode } from "../../test/nats/nats-server.ts";
import { publishEvents, type WorkerProcess } from "../../test/nats/worker-harness.ts";
import type { Fleet } from "./fleet.ts";
import type { Random } from "./random.ts";

export const FAULTS = ["kill", "term", "natsRestart", "pause", "reload", "ruleChange", "duplicates"] as const;
export type Fault = (typeof FAULTS)[number];

export interface Finding {
  kind: string;
  detail: string;
}

export interface ChaosContext {
  random: Random;
  fleet: Fleet;
  nats: NatsNode;
  /** a connection of the run's own, for re-sending events */
  nc: NatsConnection;
  partitions: number;
  leaseTtlMs: number;
  stopTimeoutMs: number;
  /** the rules directory the workers read, where ruleChange adds and removes a file */
  ruleDir: string;
  /** the run's one ingest publisher: a shipper's re-sent events go through it too */
  publisher: Publisher;
  /** the events published so far */
  published: () => readonly Event[];
  note: (fault: string, detail: string) => void;
  find: (finding: Finding) => void;
  /** faults that run on in the background (a pause): awaited before the verdict */
  pending: Set<Promise<void>>;
}

/** Injects one fault; those that last (a pause, a restart's delay) may go on after it returns. */
export async function inject(fault: Fault, ctx: ChaosContext): Promise<void> {
  switch (fault) {
    case "kill":
      return kill(ctx);
    case "term":
      return term(ctx);
    case "natsRestart":
      return natsRestart(ctx);
    case "pause":
      return pause(ctx);
    case "reload":
      return reload(ctx, false);
    case "ruleChange":
      return reload(ctx, true);
    case "duplicates":
      return duplicates(ctx);
  }
}

async function kill(ctx: ChaosContext): Promise<void> {
  const victim = pickLive(ctx);
  if (!victim) return;
  ctx.fleet.ending(victim);
  await victim.kill();
  const sameName = ctx.random.next() < 0.5;
  const delay = ctx.random.int(100, 1_500);
  ctx.note(
    "kill",
    `${victim.name} (pid ${victim.child.pid}) SIGKILL; a ${sameName ? "restart under the same name" : "new worker"} in ${delay} ms`,
  );
  background(ctx, async () => {
    await sleep(delay);
    ctx.fleet.start(sameName ? victim.name : undefined);
  });
}

async function term(ctx: ChaosContext): Promise<void> {
  const victim = pickLive(ctx);
  if (!victim) return;
  ctx.note("term", `${victim.name} (pid ${victim.child.pid}) SIGTERM`);
  ctx.fleet.ending(victim);
  // its stop may wait out --stop-timeout (NATS away); anything much longer is a hang
  const allowedMs = ctx.stopTimeoutMs + 15_000;
  const started = Date.now();
  background(ctx, async () => {
    try {
      const code = await victim.stop(allowedMs);
      const tookMs = Date.now() - started;
      // a stop while it starts ends it by the signal, and says so once its log has begun
      const whileStarting = code === null && victim.logs(/worker started/).length === 0;
      if (code !== 0 && !whileStarting) {
        const last = victim.logs(/stop did not finish|worker stopped|failed/).slice(-2);
        ctx.find({
          kind: "exit code after SIGTERM",
          detail: `${victim.name} exited ${code} after ${tookMs} ms: ${JSON.stringify(last)}`,
        });
      }
    } catch (error) {
      ctx.find({ kind: "hang on exit", detail: (error as Error).message.slice(0, 4000) });
    }
    ctx.fleet.start(ctx.random.next() < 0.5 ? victim.name : undefined);
  });
}

async function natsRestart(ctx: ChaosContext): Promise<void> {
  const downMs = ctx.random.int(300, 4_000);
  ctx.note("natsRestart", `nats-server SIGKILL, store kept, back after ${downMs} ms`);
  await ctx.nats.kill();
  await sleep(downMs);
  await ctx.nats.start();
}

async function pause(ctx: ChaosContext): Promise<void> {
  const victim = pickLive(ctx);
  if (!victim) return;
  const forMs = ctx.random.int(Math.floor(ctx.leaseTtlMs * 1.2), ctx.leaseTtlMs * 3);
  ctx.note(
    "pause",
    `${victim.name} (pid ${victim.child.pid}) SIGSTOP for ${forMs} ms (lease TTL ${ctx.leaseTtlMs})`,
  );
  ctx.fleet.paused.add(victim);
  victim.signal("SIGSTOP");
  background(ctx, async () => {
    await sleep(forMs);
    victim.signal("SIGCONT");
    ctx.fleet.paused.delete(victim);
  });
}

/** A rule no event matches: adding or removing it changes the rule set, not the alerts. */
const NEVER_MATCHES = `[metadata]
creation_date = "2026/12/01"
integration = ["cloud_defend"]
maturity = "production"
updated_date = "2026/12/01"

[rule]
author = ["eqlite chaos"]
description = "A long sequence no simulated event matches: a reload that changes the rule set."
from = "now-9m"
index = ["logs-cloud_defend*"]
interval = "5m"
language = "eql"
license = "Apache-2.0"
name = "Chaos: Never Matches"
risk_score = 21
rule_id = "c4a05000-0000-4000-8000-00000000c4a0"
severity = "low"
type = "eql"

query = '''
sequence by host.id with maxspan=2h
  [process where process.name == "chaos-never-one"]
  [process where process.name == "chaos-never-two"]
'''
`;

let neverMatchesLoaded = false;

async function reload(ctx: ChaosContext, change: boolean): Promise<void> {
  if (change) {
    const file = join(ctx.ruleDir, "chaos_never_matches.toml");
    if (neverMatchesLoaded) rmSync(file, { force: true });
    else writeFileSync(file, NEVER_MATCHES);
    neverMatchesLoaded = !neverMatchesLoaded;
  }
  // a worker without a log yet may not hear signals yet (Node's defaults end it): it reads the
  // rule files as they are now anyway
  const targets = change
    ? ctx.fleet.running.filter((w) => w.lines.length > 0)
    : [pickLive(ctx)].filter((w) => w !== undefined);
  ctx.note(
    change ? "ruleChange" : "reload",
    `${change ? (neverMatchesLoaded ? "added" : "removed") + " a rule that matches nothing; " : ""}SIGHUP to ${targets.map((w) => w.name).join(", ")}`,
  );
  // a paused worker gets the signal when it resumes
  for (const worker of targets) worker.signal("SIGHUP");
}

async function duplicates(ctx: ChaosContext): Promise<void> {
  const sent = ctx.published();
  if (sent.length < 10) return;
  const count = ctx.random.int(1, Math.min(500, sent.length));
  const from = ctx.random.int(0, sent.length - count);
  ctx.note("duplicates", `events ${from + 1}-${from + count} sent again with their ids`);
  background(ctx, () =>
    publishEvents(ctx.nc, sent.slice(from, from + count), ctx.partitions, {
      window: 64,
      publisher: ctx.publisher,
    }),
  );
}

function pickLive(ctx: ChaosContext): WorkerProcess | undefined {
  const live = ctx.fleet.live;
  return live.length === 0 ? undefined : ctx.random.pick(live);
}

function background(ctx: ChaosContext, work: () => Promise<void>): void {
  const running: Promise<void> = work()
    .catch((error: unknown) => ctx.find({ kind: "chaos harness", detail: String(error) }))
    .finally(() => ctx.pending.delete(running));
  ctx.pending.add(running);
}
