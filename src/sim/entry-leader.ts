/**
 * Entry leaders as the ECS Linux event model assigns them (see the session-metadata algorithm
 * summarised in shared/reference/cloud-defend.md §4): a session leader whose parent is a container
 * runtime (containerd-shim, runc, conmon) entered through a container, one whose parent is init was
 * started by init, one under sshd entered through ssh; everything else inherits the entry leader of
 * its parent.
 */
import type { EntryType, SimProcess, Tty } from "./process.ts";

const RUNTIME_HELPERS = ["runc", "containerd-shim", "calico-node", "check-status", "conmon"];

function isRuntimeHelper(name: string): boolean {
  return RUNTIME_HELPERS.some((helper) => name.startsWith(helper));
}

function isPts(tty: Tty | undefined): boolean {
  return tty !== undefined && tty.major >= 136 && tty.major <= 143;
}

/** The entry mechanism of a session leader, or undefined when it should inherit one. */
export function sessionEntryType(p: SimProcess): EntryType | undefined {
  const tty = p.tty;
  if (tty && tty.major === 4 && tty.minor >= 64) return "terminal";
  if (tty && tty.major === 4 && p.name === "login") return "console";
  const parent = p.parent;
  if (!parent) return undefined;
  if (parent.pid === 1) return "init";
  if (isRuntimeHelper(p.name)) return undefined;
  if (parent.name === "ssm-session-worker" && isPts(tty)) return "ssm";
  if (parent.name === "sshd" && p.name !== "sshd") return "sshd";
  if (parent.name.startsWith("containerd-shim") || parent.name === "runc" || parent.name === "conmon") {
    return "container";
  }
  return undefined;
}

/** Sets `entryLeader` (and `entryType` when the process enters by itself). */
export function assignEntryLeader(p: SimProcess): void {
  if (p.pid === 1 || p.pid === 2 || p.parent?.pid === 2) {
    p.entryLeader = undefined;
    return;
  }
  if (p.sessionLeader === p) {
    const type = sessionEntryType(p);
    if (type) {
      p.entryLeader = p;
      p.entryType = type;
      return;
    }
  }
  const inherited = p.parent?.entryLeader ?? p.sessionLeader?.entryLeader;
  if (inherited && inherited !== p) {
    p.entryLeader = inherited;
    return;
  }
  if (p.sessionLeader === p) {
    p.entryLeader = p;
    p.entryType = "unknown";
  } else {
    p.entryLeader = undefined;
  }
}
