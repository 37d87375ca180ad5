import type { Problem } from "../eql/error.ts";
import { METADATA } from "./checks/context.ts";
import type { Position } from "./diagnostic.ts";
import { locateJsonKeys, rawOffsetInJsonString } from "./json-positions.ts";
import type { RuleLocator } from "./loaded-rule.ts";
import type { DocumentPath, PositionMap } from "./position-map.ts";

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
      if (!at) return undefined;
      const start = located().positionOf(at.valueOffset + 1);
      return {
        source: { body: query, name: file, lineOffset: start.line, columnOffset: start.column },
        // escapes (`\n`, `\"`) take more characters in the file than in the query
        positionOf: (p: Problem) =>
          located().positionOf(rawOffsetInJsonString(text, at.valueOffset, p.start)),
      };
    },
  };
}
