/**
 * Said when events are to come from a terminal: a command given no file waits for input, which
 * looks like a hang to whoever forgot to name one.
 */
export function sayWhenReadingTerminal(
  paths: readonly string[],
  stdin: { isTTY?: boolean } = process.stdin,
  stderr: { write(text: string): unknown } = process.stderr,
): void {
  if (paths.includes("-") && stdin.isTTY === true)
    stderr.write(
      "eqlite: reading events from the terminal, one JSON object a line; Ctrl-D ends (name files or directories to read them instead)\n",
    );
}
