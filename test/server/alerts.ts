import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { type AlertDocument, buildEventAlert } from "../../src/engine/alert.ts";
import { buildSequenceAlerts } from "../../src/engine/sequence-alerts.ts";
import { sourceIdentity } from "../../src/engine/source-identity.ts";
import { execEvent, NOW, shellInPodRule } from "../engine/fixtures.ts";

/** Alerts built by the engine's own builders, for the store, API and sink tests. */

export interface AlertSpec {
  host?: string;
  time?: string;
  ruleId?: string;
  ruleName?: string;
  severity?: "low" | "medium" | "high" | "critical";
  pid?: number;
}

export function eventAlert(spec: AlertSpec = {}): AlertDocument {
  const rule = shellInPodRule({
    ...(spec.ruleId && { rule_id: spec.ruleId }),
    ...(spec.ruleName && { name: spec.ruleName }),
    ...(spec.severity && { severity: spec.severity }),
  });
  const event = execEvent({
    "@timestamp": spec.time ?? "2026-03-02T09:41:07.250Z",
    host: { name: spec.host ?? "node-a.cluster.test" },
    process: { pid: spec.pid ?? 4242, name: "sh", args: ["sh", "-i"] },
  });
  return buildEventAlert(rule, event, sourceIdentity(event), { now: NOW });
}

/** A sequence's building blocks and shell (two events on one host). */
export function sequenceAlerts(host = "node-b.cluster.test"): AlertDocument[] {
  const rule = shellInPodRule({
    rule_id: "seq-rule",
    name: "Shell Then Curl",
    query: "sequence [any where true]",
  });
  const first = execEvent({ host: { name: host }, "@timestamp": "2026-03-02T09:42:00.000Z" });
  const second = execEvent({
    host: { name: host },
    "@timestamp": "2026-03-02T09:42:05.000Z",
    process: { pid: 5000, name: "curl" },
  });
  const { buildingBlocks, shell } = buildSequenceAlerts(
    rule,
    [first, second].map((event) => ({ event, source: sourceIdentity(event) })),
    { now: NOW },
  );
  return [...buildingBlocks, shell];
}

export const idOf = (alert: AlertDocument): string => alert["kibana.alert.uuid"] as string;

/**
 * A fresh directory under the system's temp dir, removed when the test ends. node:test runs a
 * test's `after` hooks in the order they were added, so a service started on the directory is
 * still running while it is removed, and may write into it meanwhile (a checkpoint): the removal
 * is retried, and never throws, since a hook that throws skips the later ones, that service's
 * close among them, and its test file then never ends.
 */
export async function tempDir(t: TestContext, prefix = "eqlite-test-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() =>
    rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 }).catch((error: Error) =>
      process.emitWarning(`test directory ${dir} not removed: ${error.message}`),
    ),
  );
  return dir;
}
