/** The process entry: run the command line, report crashes, set the exit code. */
import { EXIT_USAGE, main } from "./main.ts";
import { stdoutClosed } from "./stdout-closed.ts";

process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") stdoutClosed();
  else {
    // a full disk or a broken device under a redirect: what is written from here on is lost
    process.stderr.write(`eqlite: cannot write to stdout: ${error.message}\n`);
    process.exit(EXIT_USAGE);
  }
});

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(
    `eqlite: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = EXIT_USAGE;
}
