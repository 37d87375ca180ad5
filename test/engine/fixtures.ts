import type { AlertRule } from "../../src/engine/alert-rule.ts";
import type { Event } from "../../src/eql/field-access.ts";

/** A rule written for these tests, shaped like a detection-rules EQL rule after loading. */
export function shellInPodRule(overrides: Partial<AlertRule> = {}): AlertRule {
  return {
    rule_id: "0b6f3c1e-5d2a-4e8b-9a7c-1f2e3d4c5b6a",
    name: "Shell Spawned In Pod By Runtime",
    description: "A shell started as the entry process of a container through the runtime.",
    severity: "medium",
    risk_score: 47,
    type: "eql",
    language: "eql",
    index: ["logs-cloud_defend*"],
    query: 'process where event.type == "start" and process.name in ("sh", "bash")',
    author: ["eqlite tests"],
    license: "Apache-2.0",
    tags: ["Domain: Container", "Tactic: Execution"],
    references: ["https://example.test/shell-in-pod"],
    false_positives: ["Debugging sessions."],
    from: "now-9m",
    interval: "5m",
    timestamp_override: "event.ingested",
    threat: [
      {
        framework: "MITRE ATT&CK",
        tactic: { id: "TA0002", name: "Execution", reference: "https://attack.mitre.org/tactics/TA0002/" },
        technique: [
          {
            id: "T1609",
            name: "Container Administration Command",
            reference: "https://attack.mitre.org/techniques/T1609/",
          },
        ],
      },
    ],
    ...overrides,
  };
}

/** A process exec event in the shape Defend for Containers writes (values made up for these tests). */
export function execEvent(overrides: Record<string, unknown> = {}): Event {
  return {
    "@timestamp": "2026-03-02T09:41:07.250Z",
    agent: { id: "b1d2c3e4-0000-4000-8000-000000000001", type: "cloud-defend", version: "9.3.0" },
    container: { id: "c0ffee00aa11bb22cc33dd44ee55ff66", image: { name: "alpine", tag: ["3.20"] } },
    data_stream: { dataset: "cloud_defend.process", namespace: "staging", type: "logs" },
    event: {
      kind: "event",
      category: ["process"],
      type: ["start"],
      action: "exec",
      module: "cloud_defend",
      dataset: "cloud_defend.process",
      created: "2026-03-02T09:41:07.250Z",
      ingested: "2026-03-02T09:41:09Z",
      id: "7f3a9c",
    },
    host: { name: "node-a.cluster.test", os: { type: "linux" } },
    orchestrator: { namespace: "payments", resource: { name: "api-6c9f-xk2p", type: "pod" } },
    process: {
      pid: 4242,
      name: "sh",
      executable: "/bin/sh",
      args: ["sh", "-i"],
      interactive: true,
      parent: { pid: 4200, name: "runc", executable: "/usr/bin/runc" },
      entry_leader: { pid: 4242, same_as_process: true, entry_meta: { type: "container" } },
    },
    user: { id: "0" },
    ...overrides,
  };
}

export const NOW = new Date("2026-03-02T09:45:00.000Z");
export const LATER = new Date("2026-03-02T09:50:00.000Z");

/** The least an EQL rule in Kibana's export shape needs, numbered `n` (its rule_id and name follow). */
export function minimalEqlRule(n: number, query: string, extra: Record<string, unknown> = {}) {
  return {
    rule_id: `5b0a3c36-2c1e-4f4e-9a55-0d6c1f7e2a${String(n).padStart(2, "0")}`,
    name: `Rule ${n}`,
    description: "d",
    risk_score: 21,
    severity: "low",
    type: "eql",
    language: "eql",
    query,
    ...extra,
  };
}
