/**
 * A process as the sensor reports it: identity (pid, start, entity id), current image, and its
 * parent, session, group and entry leaders. JSON pieces are rebuilt when the image or the leaders
 * change, so each event only concatenates them.
 */

import type { SimHost } from "./host.ts";
import { entityId } from "./ids.ts";
import { flat, jarr, jstr } from "./json.ts";
import type { SimContainer } from "./pod.ts";

/** `entry_meta.type` values the model produces */
export type EntryType = "container" | "init" | "sshd" | "ssm" | "terminal" | "console" | "unknown";

export interface Tty {
  major: number;
  minor: number;
}

export interface SimProcess {
  readonly host: SimHost;
  readonly pid: number;
  readonly startMs: number;
  readonly startIso: string;
  readonly entityId: string;
  name: string;
  executable: string;
  args: readonly string[];
  cwd: string;
  userId: string;
  groupId: string;
  tty: Tty | undefined;
  container: SimContainer | undefined;
  parent: SimProcess | undefined;
  sessionLeader: SimProcess | undefined;
  groupLeader: SimProcess | undefined;
  entryLeader: SimProcess | undefined;
  /** meaningful when the process is its own entry leader */
  entryType: EntryType | undefined;
  /** `name`, `executable` and `args` as JSON members, built once per exec and shared by forks */
  imageJson: string;
  /** `args_count` and `command_line` as JSON members */
  commandJson: string;
  /** the image before the last exec */
  previous: { executable: string; args: readonly string[]; json: string } | undefined;
  ended: boolean;
  /** JSON members shared by the process object and every parent/leader object that points to it */
  core: string;
  /** members only the process's own events carry */
  own: string;
  /** the process object of file events (entity ids only for the relatives) */
  fileProcess: string;
}

export interface NewProcess {
  host: SimHost;
  pid: number;
  startMs: number;
  startIso: string;
  executable: string;
  args: readonly string[];
  cwd: string;
  userId: string;
  groupId?: string;
  parent?: SimProcess;
}

export function basename(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? path : path.slice(slash + 1);
}

export function createProcess(spec: NewProcess): SimProcess {
  const p: SimProcess = {
    host: spec.host,
    pid: spec.pid,
    startMs: spec.startMs,
    startIso: spec.startIso,
    entityId: entityId(spec.host.pidNsIno, spec.host.bootId, spec.pid, spec.startMs),
    name: basename(spec.executable),
    executable: spec.executable,
    args: spec.args,
    cwd: spec.cwd,
    userId: spec.userId,
    groupId: spec.groupId ?? spec.userId,
    tty: undefined,
    container: undefined,
    parent: spec.parent,
    sessionLeader: undefined,
    groupLeader: undefined,
    entryLeader: undefined,
    entryType: undefined,
    imageJson: "",
    commandJson: "",
    previous: undefined,
    ended: false,
    core: "",
    own: "",
    fileProcess: "",
  };
  setImageJson(p);
  return p;
}

/** Rebuilds the image members after `name`, `executable` or `args` changed (exec). */
export function setImageJson(p: SimProcess): void {
  p.imageJson = `"name":${jstr(p.name)},"executable":${jstr(p.executable)},"args":${jarr(p.args)}`;
  p.commandJson = `,"args_count":${p.args.length},"command_line":${jstr(p.args.join(" "))}`;
}

/** The child of a fork: a copy of the parent's image and relations with a new pid and start. */
export function forkOf(parent: SimProcess, pid: number, startMs: number, startIso: string): SimProcess {
  const child = createProcess({
    host: parent.host,
    pid,
    startMs,
    startIso,
    executable: parent.executable,
    args: parent.args,
    cwd: parent.cwd,
    userId: parent.userId,
    groupId: parent.groupId,
    parent,
  });
  child.name = parent.name;
  child.imageJson = parent.imageJson;
  child.commandJson = parent.commandJson;
  child.tty = parent.tty;
  child.container = parent.container;
  child.sessionLeader = parent.sessionLeader;
  child.groupLeader = parent.groupLeader;
  child.entryLeader = parent.entryLeader;
  refresh(child);
  return child;
}

/** Rebuilds the JSON pieces after the image or a relation changed. */
export function refresh(p: SimProcess): void {
  const interactive = p.tty !== undefined;
  p.core = flat(
    `"pid":${p.pid},"entity_id":"${p.entityId}",${p.imageJson},"start":"${p.startIso}"` +
      `,"working_directory":${jstr(p.cwd)},"interactive":${interactive},"user":{"id":"${p.userId}"}` +
      `,"group":{"id":"${p.groupId}"}`,
  );
  let own = p.commandJson;
  if (p.tty) own += `,"tty":{"char_device":{"major":${p.tty.major},"minor":${p.tty.minor}}}`;
  if (p.previous) own += `,"previous":[${p.previous.json}]`;
  p.own = flat(own);
  let file =
    `"process":{"entity_id":"${p.entityId}","executable":${jstr(p.executable)},"interactive":${interactive}` +
    `,"name":${jstr(p.name)},"pid":${p.pid},"user":{"id":"${p.userId}"}`;
  if (p.parent) file += `,"parent":{"entity_id":"${p.parent.entityId}"}`;
  if (p.sessionLeader) file += `,"session_leader":{"entity_id":"${p.sessionLeader.entityId}"}`;
  if (p.groupLeader) file += `,"group_leader":{"entity_id":"${p.groupLeader.entityId}"}`;
  if (p.entryLeader) file += `,"entry_leader":{"entity_id":"${p.entryLeader.entityId}"}`;
  p.fileProcess = flat(`${file}}`);
}
