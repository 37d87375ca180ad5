/** The process entry: run the command line, report crashes, set the exit code. */
// first, so that it is evaluated before the modules below are
import "./early-hangup.ts";
import { lostWithTerminal } from "./hang-up.ts";
import { EXIT_USAGE, main } from "./main.ts";
import { stdoutClosed } from "./stdout-closed.ts";

process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (lostWithTerminal(error)) return;
  if (error.code === "EPIPE") stdoutClosed();
  else {
    // a full disk or a broken device under a redirect: what is written from here on is lost
    process.stderr.write(`eqlite: cannot write to stdout: ${error.message}\n`);
    process.exit(EXIT_USAGE);
  }
});
// left unhandled, as before, unless it is only the terminal's going after a SIGHUP
process.stderr.on("error", (error: NodeJS.ErrnoException) => {
  if (!lostWithTerminal(error)) throw error;
});

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(
    `eqlite: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = EXIT_USAGE;
}
