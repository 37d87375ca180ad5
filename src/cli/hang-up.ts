/**
 * A SIGHUP says the terminal is gone: stdout and stderr, when they were it, fail every write
 * from then on (EIO on a terminal, EPIPE on a pipe whose reader went with it). A command that
 * stops cleanly on it still has work to finish, such as alerts to an --output file, which a
 * summary it can no longer show must not cut short.
 */
let hungUp = false;

export function hangUp(): void {
  hungUp = true;
}

/** Whether a failed write to stdout or stderr is only the terminal's going: nothing to answer. */
export function lostWithTerminal(error: NodeJS.ErrnoException): boolean {
  return hungUp && (error.code === "EIO" || error.code === "EPIPE");
}
