/**
 * What it means when the reader of stdout goes away. For most commands it is the reader's
 * choice (`eqlite scan | head`): exit 0 at once. A service that writes its alerts there has
 * lost where they go; it registers its own answer (say so, stop cleanly, exit 1).
 */
let answer: (() => void) | undefined;
let answered = false;

export function onStdoutClosed(handler: (() => void) | undefined): void {
  answer = handler;
}

/** Called on EPIPE: every later write fails the same way, so only the first one counts. */
export function stdoutClosed(): void {
  if (answered) return;
  answered = true;
  if (answer) answer();
  else process.exit(0);
}
