/**
 * The signals of a long-running command (`serve`, `worker`): SIGTERM and SIGINT stop it,
 * SIGHUP reloads its rules. Node's default for each of them ends the process at once, so they
 * are heard from the start, and once a stop has begun a SIGHUP (systemd's ExecReload racing a
 * restart, a reload sent to every process of a fleet) is said and ignored rather than let cut
 * the drain short; a second SIGTERM or SIGINT is Node's again, and ends the process.
 */
import { ignoreEarlyHangup } from "./early-hangup.ts";

export interface LifecycleSignals {
  /** A stop has begun. */
  stopping(): void;
  /** The command is over: nothing is listened for. */
  unlisten(): void;
}

export function listenForLifecycleSignals(handlers: {
  stop: (signal: NodeJS.Signals) => void;
  hangup: () => void;
  hangupWhileStopping: () => void;
}): LifecycleSignals {
  const { stop, hangup, hangupWhileStopping } = handlers;
  let stopping = false;
  // One SIGHUP listener for the whole run, which asks what to do when the signal comes: Node
  // closes a signal's handle when its last listener goes, and a SIGHUP already caught but not
  // yet dispatched went with it, neither reloaded nor said (seen when one came within a
  // millisecond of a SIGTERM).
  const onHangup = () => (stopping ? hangupWhileStopping() : hangup());
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.on("SIGHUP", onHangup);
  // after the listener above: the SIGHUP handle stays open throughout
  process.off("SIGHUP", ignoreEarlyHangup);
  const unlistenStop = () => {
    process.off("SIGTERM", stop);
    process.off("SIGINT", stop);
  };
  return {
    stopping() {
      stopping = true;
      unlistenStop();
    },
    unlisten() {
      unlistenStop();
      process.off("SIGHUP", onHangup);
    },
  };
}
