import { placeOf, type Source } from "../eql/source.ts";
import { METADATA } from "./checks/context.ts";
import { detachedSlice } from "./detached-slice.ts";
import type { Position } from "./diagnostic.ts";
import { endOfJsonString, locateJsonKeys } from "./json-positions.ts";
import type { RuleLocator } from "./loaded-rule.ts";
import type { DocumentPath, PositionMap } from "./position-map.ts";

const QUOTE = 34;

/**
 * Positions for a rule written as JSON (a line of a Kibana export, or a `.json` file),
 * found only when a diagnostic asks: most rules never need them. `prefix` is the rule's
 * path inside the JSON value (its index in an array file).
 */
export function jsonRuleLocator(
  text: string,
  valueOffset: number,
  documentStart: Position,
  lineStarts: readonly number[],
  file: string,
  prefix: DocumentPath = [],
): RuleLocator {
  let positions: PositionMap | undefined;
  const located = (): PositionMap => {
    positions ??= locateJsonKeys(text, valueOffset, documentStart, lineStarts);
    return positions;
  };
  return {
    // a JSON rule has no [metadata]: its paths point at the rule itself
    at: (path) => located().at([...prefix, ...(path[0] === METADATA ? [] : path)]),
    querySource: (query) => {
      const at = located().get([...prefix, "query"]);
      if (!at || text.charCodeAt(at.valueOffset) !== QUOTE) return undefined;
      const contentStart = at.valueOffset + 1;
      const start = located().positionOf(contentStart);
      const source: Source = { body: query, name: file, lineOffset: start.line, columnOffset: start.column };
      // escapes (`\n`, `\"`) take more characters in the file than in the query
      const contentEnd = endOfJsonString(text, at.valueOffset) - 1;
      if (contentEnd - contentStart !== query.length)
        source.written = { text: detachedSlice(text, contentStart, contentEnd), escapes: "json" };
      return { source, positionOf: (p) => placeOf(source, p.start) };
    },
  };
}
