import { visibleLine } from "../eql/terminal-text.ts";
import { InputPathError } from "../io/event-files.ts";
import { DecodeError, formatProblem } from "../io/event-source.ts";

/**
 * What every command says when reading its input fails: the first malformed line
 * under --strict, or an unreadable file (its name on one line, as a terminal shows it:
 * names come from the walked directories too). Returns false for any other error, which
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
    process.stderr.write(`eqlite: ${visibleLine(error.message)}\n`);
    return true;
  }
  // what the file system refuses to read (no such file, no permission, a link in a circle, a path too long)
  const { code, syscall } = (error ?? {}) as NodeJS.ErrnoException;
  if (
    code === "ENOENT" ||
    code === "EISDIR" ||
    code === "EACCES" ||
    (syscall !== undefined && READS.has(syscall))
  ) {
    process.stderr.write(`eqlite: cannot read input: ${visibleLine((error as Error).message)}\n`);
    return true;
  }
  return false;
}

const READS = new Set(["open", "read", "stat", "lstat", "fstat", "scandir", "realpath", "readlink"]);
