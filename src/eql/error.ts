import { getLocation, placeOf, printCodeFrame, type Source } from "./source.ts";

/**
 * `syntax` and `verification` mirror Elasticsearch's parsing_exception and
 * verification_exception; `evaluation` is a failure while running (overflow,
 * division by zero, an unparsable number).
 */
export type EqlErrorKind = "syntax" | "verification" | "evaluation";

export interface Problem {
  message: string;
  /** offset into the query text */
  start: number;
  end: number;
  line: number;
  column: number;
}

/** Every error about a query: positions, the Elasticsearch-style message, and a code frame. */
export class EqlError extends Error {
  readonly kind: EqlErrorKind;
  readonly problems: readonly Problem[];
  readonly line: number;
  readonly column: number;
  readonly source: Source;

  constructor(kind: EqlErrorKind, source: Source, problems: Problem[]) {
    super(formatMessage(source, problems));
    this.name =
      kind === "syntax"
        ? "EqlSyntaxError"
        : kind === "verification"
          ? "EqlVerificationError"
          : "EqlEvaluationError";
    this.kind = kind;
    this.source = source;
    this.problems = problems;
    this.line = problems[0].line;
    this.column = problems[0].column;
  }

  /** The message followed by a code frame per problem, for people. */
  pretty(): string {
    return this.problems
      .map(
        (p) =>
          `${where(this.source, p)}: ${p.message}\n${printCodeFrame(this.source, p.start, p.end - p.start)}`,
      )
      .join("\n\n");
  }
}

function where(source: Source, p: Problem): string {
  const { line, column } = placeOf(source, p.start);
  return source.name ? `${source.name}:${line}:${column}` : `line ${line}:${column}`;
}

function formatMessage(source: Source, problems: Problem[]): string {
  const lines = problems.map((p) => `${where(source, p)}: ${p.message}`);
  return problems.length === 1 ? lines[0] : `Found ${problems.length} problems\n${lines.join("\n")}`;
}

export function problemAt(source: Source, start: number, end: number, message: string): Problem {
  const { line, column } = getLocation(source, start);
  return { message, start, end: Math.max(end, start + 1), line, column };
}

export function syntaxError(source: Source, start: number, end: number, message: string): EqlError {
  return new EqlError("syntax", source, [problemAt(source, start, end, message)]);
}
