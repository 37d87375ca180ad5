import { visibleLine, visibleText } from "../eql/terminal-text.ts";

/**
 * What `validate` tells a rule author: one problem at one place. Positions are 1-based,
 * columns in UTF-16 units as editors count them, so `file:line:column` opens at the spot.
 */
export type Severity = "error" | "warning";

export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  severity: Severity;
  message: string;
  /** a stable name for the kind of problem (`toml-syntax`, `schema`, `eql`, `unknown-field`, ...) */
  code: string;
  /** the rule it is about, when known */
  rule_id?: string;
  /** for query errors: the query lines around the problem with a caret, numbered as in the file */
  frame?: string;
}

/**
 * A diagnostic whose message is worked out when first read: a field's nearest known names cost
 * a search of thousands, and `scan` only counts its rules' warnings.
 */
export function lazyMessage(diagnostic: Diagnostic, message: () => string): Diagnostic {
  let text: string | undefined;
  // redefined in place: the message keeps its place among the keys (JSON output)
  return Object.defineProperty(diagnostic, "message", {
    enumerable: true,
    get: () => {
      text ??= message();
      return text;
    },
  }) as Diagnostic;
}

export interface Position {
  line: number;
  column: number;
}

/**
 * `file:line:column: error: message`, the form compilers use and editors link. The file's name is
 * as untrusted as its text: it comes from walking a directory someone else may write to.
 */
/**
 * Warning codes a streaming run (`scan --follow`, serve) says where it is seen rather than only
 * counts: the rule finds less than its text reads (a `maxspan` its window cuts).
 */
export const STREAM_WARNINGS: ReadonlySet<string> = new Set(["maxspan"]);

export function formatDiagnostic(d: Diagnostic): string {
  return `${visibleLine(d.file)}:${d.line}:${d.column}: ${d.severity}: ${visibleText(d.message)}`;
}

/** Files in the order given, then by place in the file: the order an author fixes them in. */
export function sortDiagnostics(diagnostics: Diagnostic[], fileOrder: readonly string[]): Diagnostic[] {
  const rank = new Map(fileOrder.map((f, i) => [f, i]));
  return diagnostics
    .map((d, i) => ({ d, i }))
    .sort(
      (a, b) =>
        (rank.get(a.d.file) ?? Number.MAX_SAFE_INTEGER) - (rank.get(b.d.file) ?? Number.MAX_SAFE_INTEGER) ||
        a.d.line - b.d.line ||
        a.d.column - b.d.column ||
        a.i - b.i,
    )
    .map(({ d }) => d);
}
