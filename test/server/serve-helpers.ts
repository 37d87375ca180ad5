import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import type { AlertDocument } from "../../src/engine/alert.ts";
import type { AlertSink } from "../../src/io/sinks/alert-sink.ts";
import { type AppPlugin, buildApp } from "../../src/server/app.ts";
import { resolveConfig, type ServeConfig } from "../../src/server/config.ts";
import { emptyCounters, type IngestContext } from "../../src/server/ingest-context.ts";
import { IngestQueue } from "../../src/server/ingest-queue.ts";
import { Intake } from "../../src/server/intake.ts";
import { createLogger } from "../../src/server/logger.ts";
import { RecentIds } from "../../src/server/recent-ids.ts";
import { type ServiceOptions, startService } from "../../src/server/service.ts";

export const BUNDLED_RULES = fileURLToPath(new URL("../../rules", import.meta.url));
export const quiet = () => createLogger("silent");

/** A sink that keeps what it is given, and lets a test wait for it. */
export class CaptureSink implements AlertSink {
  readonly alerts: AlertDocument[] = [];
  private waiters: Array<() => void> = [];
  constructor(readonly name = "capture") {}

  async write(alerts: readonly AlertDocument[]): Promise<void> {
    this.alerts.push(...alerts);
    for (const w of this.waiters.splice(0)) w();
  }

  async close(): Promise<void> {}

  /** Shell and single-event alerts (no building blocks). */
  get shells(): AlertDocument[] {
    return this.alerts.filter((a) => a["kibana.alert.building_block_type"] === undefined);
  }

  async waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50).unref();
      });
    }
  }
}

export function testConfig(overrides: Partial<ServeConfig> = {}): ServeConfig {
  return {
    ...resolveConfig({ env: {}, flags: {}, defaultRules: [BUNDLED_RULES] }),
    port: 0,
    watchRules: false,
    logLevel: "silent",
    ...overrides,
  };
}

/** A running service on a free loopback port, alerts captured. */
export async function startTestService(overrides: Partial<ServeConfig> = {}, options: ServiceOptions = {}) {
  const sink = new CaptureSink();
  const service = await startService(testConfig(overrides), {
    logger: quiet(),
    stdoutSink: sink,
    ...options,
  });
  return { service, sink };
}

/**
 * The HTTP app alone, over a queue nothing drains: for what the app answers (429 when
 * the queue is full, 413, 401), without a pipeline.
 */
export function appOnly(
  options: {
    queueEvents?: number;
    maxBodyBytes?: number;
    auth?: ServeConfig["auth"];
    pathPrefix?: string;
    logger?: Logger;
    plugins?: AppPlugin[];
  } = {},
) {
  const queue = new IngestQueue(options.queueEvents ?? 1000);
  const ingest: IngestContext = {
    intake: new Intake(queue, async () => {}),
    counters: emptyCounters(),
    recentIds: new RecentIds(1000),
    defaultIndex: "logs-eqlite-default",
    setIngested: true,
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    clock: Date.now,
    nextSeqNo: 0,
  };
  const app = buildApp({
    logger: options.logger ?? quiet(),
    auth: options.auth ?? { apiKeys: [], tokens: [], users: [] },
    ingest,
    es: { esVersion: "8.19.0", name: "eqlite", publishAddress: () => "127.0.0.1:9200" },
    ops: { metrics: () => "", readiness: () => ({ ready: true }) },
    pathPrefix: options.pathPrefix,
    plugins: options.plugins,
  });
  return { app, queue, ingest };
}

/** An interactive `kubectl exec` shell entering a container: the bundled rule "Interactive Shell Started by kubectl exec in a Container" alerts on it. */
export function interactiveExec(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    "@timestamp": new Date().toISOString(),
    event: { category: ["process"], type: ["start"], action: "exec" },
    container: { id: "c0ffee01" },
    process: {
      pid: 4242,
      name: "bash",
      executable: "/bin/bash",
      args: ["bash"],
      interactive: true,
      entry_leader: { same_as_process: true, entry_meta: { type: "container" } },
    },
    ...overrides,
  };
}

export const INTERACTIVE_RULE_ID = "b0ddccf7-2626-4414-8602-a808c33d4b0c";
export const CLOUD_DEFEND_PROCESS = "logs-cloud_defend.process-default";

export function ndjson(lines: unknown[]): string {
  return `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`;
}

export function bulkBody(events: unknown[], index = CLOUD_DEFEND_PROCESS, action = "create"): string {
  return ndjson(events.flatMap((e) => [{ [action]: { _index: index } }, e]));
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A detection-rules TOML rule written for these tests. */
export function ruleToml(ruleId: string, name: string, query: string, extra = ""): string {
  return `[metadata]
creation_date = "2026/11/28"
maturity = "production"
updated_date = "2026/11/28"

[rule]
author = ["eqlite tests"]
description = "A rule for the serve tests."
index = ["logs-cloud_defend*"]
interval = "5m"
language = "eql"
license = "Apache-2.0"
name = "${name}"
risk_score = 47
rule_id = "${ruleId}"
severity = "medium"
type = "eql"
${extra}
query = '''
${query}
'''
`;
}

export function writeRule(dir: string, file: string, text: string): string {
  const path = join(dir, file);
  writeFileSync(path, text);
  return path;
}
