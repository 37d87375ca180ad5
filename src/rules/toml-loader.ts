import { TomlError } from "smol-toml";
import { makeSource, placeOf, printCodeFrame, type Source } from "../eql/source.ts";
import { writtenOffset } from "../eql/written-text.ts";
import { METADATA } from "./checks/context.ts";
import { detachedSlice } from "./detached-slice.ts";
import type { Diagnostic, Position } from "./diagnostic.ts";
import type { QueryLocation, RuleLocator } from "./loaded-rule.ts";
import type { DocumentPath, PositionMap } from "./position-map.ts";
import type { RuleDocument } from "./rule-document.ts";
import { parseTomlDocument } from "./toml-parse.ts";
import { findTomlValue, locateTomlKeys } from "./toml-positions.ts";

export interface TomlLoad {
  documents: RuleDocument[];
  diagnostics: Diagnostic[];
}

const isTable = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Reads a detection-rules TOML file: `[metadata]`, `[rule]` (with `[[rule.threat]]` and
 * every other sub-table) and `[transform]`. Syntax errors carry smol-toml's line and
 * column; everything else is left to the rule checks, with positions found in the text.
 * With `reread` (the file can be read again) the rule's locator does not hold the text.
 */
export function loadTomlRule(text: string, file: string, reread?: () => string): TomlLoad {
  let doc: Record<string, unknown>;
  try {
    doc = parseTomlDocument(text);
  } catch (error) {
    return { documents: [], diagnostics: [tomlSyntaxDiagnostic(error, text, file)] };
  }

  const located = positionsOf(text);

  if (!isTable(doc.rule)) {
    const where = doc.rule === undefined ? { line: 1, column: 1 } : located().at(["rule"]);
    return {
      documents: [],
      diagnostics: [
        {
          file,
          ...where,
          severity: doc.rule === undefined ? "warning" : "error",
          code: "not-a-rule",
          message:
            doc.rule === undefined
              ? "no [rule] table: not a detection rule, skipped"
              : "[rule] must be a table",
        },
      ],
    };
  }

  const diagnostics: Diagnostic[] = [];
  const rule = flattenNewTerms(doc.rule, file, diagnostics, located);
  const locator = reread ? detachedLocator(text, file, rule, reread) : tomlLocator(text, file, located);
  const start = ruleHeaderLine(text);
  return {
    documents: [
      {
        rule,
        metadata: isTable(doc.metadata) ? doc.metadata : undefined,
        transform: isTable(doc.transform) ? doc.transform : undefined,
        origin: { file, format: "toml", line: start, column: 1 },
        locator,
      },
    ],
    diagnostics,
  };
}

/**
 * What smol-toml threw, as a diagnostic at its line and column with a code frame: anything the
 * parser throws (a TomlError, or a RangeError on absurd nesting) is the file's problem.
 */
export function tomlSyntaxDiagnostic(error: unknown, text: string, file: string): Diagnostic {
  const toml = error instanceof TomlError ? error : undefined;
  const message = (error as Error).message.split("\n")[0].replace(/^Invalid TOML document: /, "");
  return {
    file,
    line: toml?.line ?? 1,
    column: toml?.column ?? 1,
    severity: "error",
    code: "toml-syntax",
    message: `invalid TOML: ${message}`,
    ...(toml && { frame: printCodeFrame(makeSource(text), offsetOf(text, toml.line, toml.column)) }),
  };
}

/** The key positions of a TOML text, found when first asked: most rules never need them. */
function positionsOf(text: string): () => PositionMap {
  let positions: PositionMap | undefined;
  return () => {
    positions ??= locateTomlKeys(text);
    return positions;
  };
}

/** Places paths of the API-shaped rule, and its query, in the TOML text they were read from. */
export function tomlLocator(text: string, file: string, located = positionsOf(text)): RuleLocator {
  return {
    at: (path) => located().at(tomlPath(path)),
    querySource: (query) => querySource(text, file, query),
  };
}

/**
 * A locator that does not hold the file's text, so the text is garbage as soon as the file is
 * parsed. The query's place is found now; any other place in the text read again.
 */
function detachedLocator(
  text: string,
  file: string,
  rule: Record<string, unknown>,
  reread: () => string,
): RuleLocator {
  const query = rule.type === "eql" && typeof rule.query === "string" ? rule.query : undefined;
  const queryLocation = query === undefined ? undefined : querySource(text, file, query);
  const elsewhere = rereadingLocator(file, reread);
  return {
    at: elsewhere.at,
    querySource: (q) => (q === query ? queryLocation : elsewhere.querySource(q)),
  };
}

/** Places paths in a TOML file's text read again the first time one is asked (a diagnostic, rarely). */
export function rereadingLocator(file: string, reread: () => string): RuleLocator {
  let located: RuleLocator | undefined;
  const whole = (): RuleLocator => {
    located ??= tomlLocator(reread(), file);
    return located;
  };
  return {
    at: (path) => whole().at(path),
    querySource: (query) => whole().querySource(query),
  };
}

/**
 * The offset of smol-toml's line and column (TOML ends lines at `\n`). The frame is drawn
 * here rather than taken from smol-toml, which shows whole lines: a rule file may be one line
 * of megabytes.
 */
function offsetOf(text: string, line: number, column: number): number {
  let start = 0;
  for (let n = 1; n < line; n++) {
    const next = text.indexOf("\n", start);
    if (next < 0) break;
    start = next + 1;
  }
  return Math.min(start + column - 1, text.length);
}

/** The API's flat `new_terms_fields` / `history_window_start` are a `[rule.new_terms]` table in TOML. */
function flattenNewTerms(
  rule: Record<string, unknown>,
  file: string,
  diagnostics: Diagnostic[],
  located: () => PositionMap,
): Record<string, unknown> {
  if (!("new_terms" in rule)) return rule;
  const { new_terms: table, ...rest } = rule;
  const window =
    isTable(table) && Array.isArray(table.history_window_start) ? table.history_window_start[0] : undefined;
  if (!isTable(table) || table.field !== "new_terms_fields" || (window !== undefined && !isTable(window))) {
    diagnostics.push({
      file,
      ...located().at(["rule", "new_terms"]),
      severity: "error",
      code: "schema",
      message:
        'new_terms must be a table with field = "new_terms_fields", value = [fields] and [[rule.new_terms.history_window_start]]',
    });
    return rest;
  }
  return {
    ...rest,
    new_terms_fields: table.value,
    history_window_start: isTable(window) ? window.value : undefined,
  };
}

/** The line of `[rule]`, found without locating every key: most rules never need positions. */
function ruleHeaderLine(text: string): number {
  const at = text.search(/^[ \t]*\[[ \t]*rule[ \t]*\]/m);
  return at < 0 ? 1 : lineColumnAt(text, at).line;
}

/** A path of the API-shaped rule, as written in the TOML file. */
function tomlPath(path: DocumentPath): DocumentPath {
  if (path[0] === METADATA) return ["metadata", ...path.slice(1)];
  if (path[0] === "[transform]") return ["transform", ...path.slice(1)];
  if (path[0] === "new_terms_fields") return ["rule", "new_terms", "value", ...path.slice(1)];
  if (path[0] === "history_window_start") return ["rule", "new_terms", "history_window_start", 0, "value"];
  return ["rule", ...path];
}

/**
 * Where the query's text starts: after `'''` (and the newline TOML drops right after it),
 * or after a single quote. Literal strings (`'''`, as detection-rules writes queries) are the
 * query as written; a basic string with escapes in it keeps its written text, so that
 * positions after an escape still land on the file's characters.
 */
function querySource(text: string, file: string, query: string): QueryLocation | undefined {
  const valueOffset = verbatimQueryLine(text, query) ?? findTomlValue(text, "rule", "query");
  if (valueOffset === undefined) return undefined;
  const contentStart = contentOffset(text, valueOffset);
  const start: Position = lineColumnAt(text, contentStart);
  const source: Source = { body: query, name: file, lineOffset: start.line, columnOffset: start.column };
  if (text[valueOffset] === '"') {
    const contentEnd =
      contentStart + writtenOffset({ text: text.slice(contentStart), escapes: "toml" }, query.length);
    if (contentEnd - contentStart !== query.length)
      source.written = { text: detachedSlice(text, contentStart, contentEnd), escapes: "toml" };
  }
  return { source, positionOf: (p) => placeOf(source, p.start) };
}

/** Where a string value's content starts: after its delimiter, and the newline TOML drops after `'''`. */
function contentOffset(text: string, valueOffset: number): number {
  let offset = valueOffset;
  const triple = text.startsWith("'''", offset) || text.startsWith('"""', offset);
  offset += triple ? 3 : 1;
  if (triple && text.startsWith("\r\n", offset)) offset += 2;
  else if (triple && text[offset] === "\n") offset += 1;
  return offset;
}

/**
 * The value offset of the one line starting with `query =` whose string holds the parsed query
 * exactly, if one does: how detection-rules writes a rule's query (another table's `query`, an
 * osquery transform's, holds other text; a second line holding the same text leaves the
 * choice to the scanner). Scanning every key before it costs more than the rest of placing
 * the query, since the notes above it are long (and so does a multi-line regular expression).
 */
function verbatimQueryLine(text: string, query: string): number | undefined {
  let found: number | undefined;
  for (let at = text.indexOf("query"); at >= 0; at = text.indexOf("query", at + 1)) {
    if (at > 0 && text.charCodeAt(at - 1) !== LF) continue;
    const offset = afterAssignment(text, at + "query".length);
    if (offset === undefined || !verbatimAt(text, offset, query)) continue;
    if (found !== undefined) return undefined;
    found = offset;
  }
  return found;
}

const LF = 10;
const EQUALS = 61;
const isBlank = (c: number) => c === 32 || c === 9;

/** The offset after `[ \t]*=[ \t]*` at `offset`, if that is what is written there. */
function afterAssignment(text: string, offset: number): number | undefined {
  let i = offset;
  while (isBlank(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== EQUALS) return undefined;
  i++;
  while (isBlank(text.charCodeAt(i))) i++;
  return i;
}

/**
 * Whether the string at `valueOffset` holds exactly the parsed query, written as is. A basic
 * string matches only when the query has no backslash, so no escape sits in the text; one
 * that has is left to the scanner.
 */
function verbatimAt(text: string, valueOffset: number, query: string): boolean {
  const quote = text[valueOffset];
  if (quote !== "'" && (quote !== '"' || query.includes("\\"))) return false;
  const delimiter = text.startsWith(quote.repeat(3), valueOffset) ? quote.repeat(3) : quote;
  const start = contentOffset(text, valueOffset);
  return text.startsWith(query, start) && text.startsWith(delimiter, start + query.length);
}

function lineColumnAt(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
