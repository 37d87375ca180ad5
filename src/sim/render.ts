/**
 * Event documents in the cloud_defend shape, as NDJSON lines. Every piece that does not change per
 * event (host, cloud, container, orchestrator, process and leader objects) is a prebuilt JSON string;
 * an event concatenates them with its timestamp, id and action.
 */
import type { IsoClock } from "./clock.ts";
import { jstr } from "./json.ts";
import type { SimProcess } from "./process.ts";
import type { Rng } from "./random.ts";

export type ProcessAction = "fork" | "exec" | "end" | "fork-exec";
export type FileAction = "creation" | "modification" | "deletion" | "rename" | "link" | "open";

interface ActionShape {
  /** `"event":{"action":…,"category":[…],"created":"` (the timestamp follows) */
  head: string;
  /** `","kind":…,"module":…,"type":[…]},` (closes the ingested string) */
  tail: string;
  hooks: string;
}

const PROCESS_DATASET = `"data_stream":{"dataset":"cloud_defend.process","namespace":"default","type":"logs"},"ecs":{"version":"8.7.0"},`;
const FILE_DATASET = `"data_stream":{"dataset":"cloud_defend.file","namespace":"default","type":"logs"},"ecs":{"version":"8.7.0"},`;

function shape(action: string, category: string, type: string, hooks: string[]): ActionShape {
  return {
    head: `"event":{"action":${action},"agent_id_status":"verified","category":["${category}"],"created":"`,
    tail: `","kind":"event","module":"cloud_defend","type":${type}},`,
    hooks: JSON.stringify(hooks),
  };
}

const PROCESS_SHAPES: Record<ProcessAction, ActionShape> = {
  fork: shape('"fork"', "process", '["start"]', ["tracepoint__sched_process_fork"]),
  exec: shape('"exec"', "process", '["start"]', ["tracepoint__sched_process_exec"]),
  end: shape('"end"', "process", '["end"]', ["kprobe__taskstats_exit"]),
  "fork-exec": shape('["fork","exec"]', "process", '["start"]', [
    "tracepoint__sched_process_fork",
    "tracepoint__sched_process_exec",
  ]),
};

const FILE_SHAPES: Record<FileAction, ActionShape> = {
  creation: shape('"creation"', "file", '["creation"]', ["lsm__path_mknod"]),
  modification: shape('"modification"', "file", '["change"]', ["lsm__file_open"]),
  deletion: shape('"deletion"', "file", '["deletion"]', ["lsm__path_unlink"]),
  rename: shape('"rename"', "file", '["change"]', ["lsm__path_rename"]),
  link: shape('"link"', "file", '["creation"]', ["lsm__path_link"]),
  open: shape('"open"', "file", '["access"]', ["lsm__file_open"]),
};

const CHMOD_HOOKS = '["lsm__path_chmod"]';

export class Renderer {
  /** `event.id` of the last rendered event */
  lastId = "";
  private readonly policy: string;

  constructor(
    private readonly rng: Rng,
    private readonly clock: IsoClock,
    policyId: string,
    policyRevision: number,
  ) {
    this.policy = `,"package_policy_id":"${policyId}","package_policy_revision":${policyRevision}},`;
  }

  /** `process.*` for the process's own events: full objects for the process, parent and leaders. */
  private processObject(parts: string[], p: SimProcess, tail: string): void {
    parts.push('"process":{', p.core, p.own, tail);
    const parent = p.parent;
    if (parent) parts.push(',"parent":{', parent.core, ',"same_as_process":false}');
    const session = p.sessionLeader;
    if (session) parts.push(',"session_leader":{', session.core, session === p ? SAME : NOT_SAME);
    const group = p.groupLeader;
    if (group) parts.push(',"group_leader":{', group.core, group === p ? SAME : NOT_SAME);
    const entry = p.entryLeader;
    if (entry) {
      parts.push(
        ',"entry_leader":{',
        entry.core,
        entry === p ? ',"same_as_process":true' : ',"same_as_process":false',
      );
      parts.push(',"entry_meta":{"type":"', entry.entryType as string, '"}}');
    }
    parts.push("}");
  }

  /** Everything up to and including `event`, which all events share. */
  private head(
    p: SimProcess,
    t: number,
    shape: ActionShape,
    hooks: string,
    selectors: string,
    dataset: string,
  ): string[] {
    const id = this.rng.hex32();
    this.lastId = id;
    const ts = this.clock.format(t);
    const ingested = this.clock.format(t + 600 + this.rng.int(2400));
    const container = p.container;
    return [
      '{"@timestamp":"',
      ts,
      '",',
      p.host.agentCloud,
      '"cloud_defend":{"hook_point":',
      hooks,
      ',"matched_selectors":',
      selectors,
      this.policy,
      container ? container.json : "",
      shape.head,
      ts,
      '","dataset":"',
      dataset,
      '","id":"',
      id,
      '","ingested":"',
      ingested,
      shape.tail,
    ];
  }

  processEvent(p: SimProcess, action: ProcessAction, t: number, exitCode = 0): string {
    const s = PROCESS_SHAPES[action];
    const selectors = p.tty ? INTERACTIVE_SELECTORS : PROCESS_SELECTORS;
    const tail = action === "end" ? `,"end":"${this.clock.format(t)}","exit_code":${exitCode}` : "";
    const host = p.host;
    const parts = this.head(p, t, s, s.hooks, selectors, "cloud_defend.process");
    parts.push(
      PROCESS_DATASET,
      '"group":{"id":"',
      p.groupId,
      '"},',
      host.hostJson,
      p.container ? p.container.pod.orchestratorJson : host.clusterOrchestrator,
    );
    this.processObject(parts, p, tail);
    parts.push(',"user":{"id":"', p.userId, '"}}');
    return parts.join("");
  }

  /** `chmod` is reported as a modification through the path_chmod hook. */
  fileEvent(p: SimProcess, action: FileAction | "chmod", path: string, t: number): string {
    const s = FILE_SHAPES[action === "chmod" ? "modification" : action];
    const hooks = action === "chmod" ? CHMOD_HOOKS : s.hooks;
    const host = p.host;
    const parts = this.head(p, t, s, hooks, FILE_SELECTORS, "cloud_defend.file");
    parts.push(
      FILE_DATASET,
      fileObject(path),
      '"group":{"id":"',
      p.groupId,
      '"},',
      host.hostJson,
      p.container ? p.container.pod.orchestratorJson : host.clusterOrchestrator,
      p.fileProcess,
      ',"user":{"id":"',
      p.userId,
      '"}}',
    );
    return parts.join("");
  }
}

const SAME = ',"same_as_process":true}';
const NOT_SAME = ',"same_as_process":false}';
const PROCESS_SELECTORS = '["allProcesses"]';
const INTERACTIVE_SELECTORS = '["allProcesses","interactiveSessions"]';
const FILE_SELECTORS = '["allFiles"]';

/** `"file":{…},` with the extension when the name has one (not for dot files). */
export function fileObject(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  const extension = dot > 0 && dot < name.length - 1 ? `"extension":${jstr(name.slice(dot + 1))},` : "";
  return `"file":{${extension}"name":${jstr(name)},"path":${jstr(path)}},`;
}
