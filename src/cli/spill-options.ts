import { type Command, InvalidArgumentError } from "commander";
import { type SpillBudget, SpillError } from "../eql/correlate/spill.ts";

/**
 * Sequence events a batch holds in memory before it writes them to disk: in a scan about 1 KB
 * each (the event's place or bytes, its join keys and order), so some 250 MB.
 */
export const DEFAULT_SPILL_AFTER = 250_000;

/**
 * `--spill-after` and `--spill-dir`, as scan and query take them: `held` says which events
 * count against the limit.
 */
export function addSpillOptions(command: Command, held: string): Command {
  return command
    .option(
      "--spill-after <events>",
      `${held} held in memory before they are written to disk in sorted runs and merged at the end of the input (default ${DEFAULT_SPILL_AFTER}; a batch holds each such event until the end, to put them in time order)`,
      (value: string) => {
        if (!/^[1-9]\d*$/.test(value))
          throw new InvalidArgumentError("--spill-after takes a whole number from 1");
        return Number(value);
      },
    )
    .option(
      "--spill-dir <dir>",
      "where those runs are written (default: the temporary directory); removed at the end",
    );
}

/**
 * A batch stopped by SIGINT, SIGTERM or SIGHUP still removes its runs from disk, then dies of
 * the signal. Returns what puts the signals back as they were.
 */
export function removeRunsOnSignals(budget: SpillBudget): () => void {
  const dieRemovingRuns = (signal: NodeJS.Signals) => {
    budget.close();
    process.kill(process.pid, signal);
  };
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  for (const signal of signals) process.once(signal, dieRemovingRuns);
  return () => {
    for (const signal of signals) process.off(signal, dieRemovingRuns);
  };
}

/** A spill that failed, as the commands say it (exit 2); false for any other error. */
export function reportSpillError(error: unknown, err: (line: string) => void): boolean {
  if (!(error instanceof SpillError)) return false;
  err(`eqlite: ${error.message} (--spill-dir names another place)`);
  return true;
}
