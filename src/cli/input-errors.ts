import { InputPathError } from "../io/event-files.ts";
import { DecodeError, formatProblem } from "../io/event-source.ts";

/**
 * What every command says when reading its input fails: the first malformed line
 * under --strict, or an unreadable file. Returns false for any other error, which
 * the caller rethrows.
 */
export function reportInputError(error: unknown): boolean {
  if (error instanceof DecodeError) {
    process.stderr.write(
      `${formatProblem(error.problem)}\neqlite: stopped at the first malformed input (--strict)\n`,
    );
    return true;
  }
  if (error instanceof InputPathError) {
    process.stderr.write(`eqlite: ${error.message}\n`);
    return true;
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT" || code === "EISDIR" || code === "EACCES") {
    process.stderr.write(`eqlite: cannot read input: ${(error as Error).message}\n`);
    return true;
  }
  return false;
}
