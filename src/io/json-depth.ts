import { MAX_JSON_DEPTH } from "../engine/json-tree.ts";

/**
 * How deep a rule or exception document read from JSON may nest: as deep as an event (see
 * json-tree.ts). Rules nest a few levels (a threat's techniques and their subtechniques);
 * smol-toml stops a TOML file at this depth, and JSON is held to the same: the loaders' passes
 * over a document recurse, and every alert carries its rule.
 */
export const MAX_DOCUMENT_DEPTH = MAX_JSON_DEPTH;

export const tooDeepDocumentMessage = (what: string): string =>
  `${what} nests more than ${MAX_DOCUMENT_DEPTH} levels deep`;
