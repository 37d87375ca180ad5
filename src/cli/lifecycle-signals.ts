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
  const listened: Array<[NodeJS.Signals, (signal: NodeJS.Signals) => void]> = [
    ["SIGTERM", stop],
    ["SIGINT", stop],
    ["SIGHUP", hangup],
  ];
  for (const [signal, handler] of listened) process.on(signal, handler);
  process.off("SIGHUP", ignoreEarlyHangup);
  const unlisten = () => {
    for (const [signal, handler] of listened) process.off(signal, handler);
    process.off("SIGHUP", hangupWhileStopping);
  };
  return {
    stopping() {
      unlisten();
      process.on("SIGHUP", hangupWhileStopping);
    },
    unlisten,
  };
}
