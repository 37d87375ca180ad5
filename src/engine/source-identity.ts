import { createHash } from "node:crypto";
import { compileFieldGetter, type Event } from "../eql/field-access.ts";
import { canonicalJson, getOwn } from "./json-tree.ts";

/**
 * Which document an alert was raised on: Elasticsearch's `_index`, `_id` and
 * `_version` of the source hit. Alert ids are hashes of these (alert-id.ts) and
 * ancestors list them, so they must be the same every time the same document is
 * seen — in overlapping windows, a replay, after a restart, on another machine.
 */
export interface SourceIdentity {
  index: string;
  id: string;
  version: string;
}

/** What the input knows for certain, e.g. `_index`/`_id` of an Elasticsearch `_bulk` action line. */
export interface IdentityHint {
  index?: string;
  id?: string;
  version?: string | number;
}

/** The index of a document that has neither a known index nor a data stream. */
export const DEFAULT_SOURCE_INDEX = "events";

const readDataStream = {
  type: compileFieldGetter("data_stream.type"),
  dataset: compileFieldGetter("data_stream.dataset"),
  namespace: compileFieldGetter("data_stream.namespace"),
};
const readAlertUuid = compileFieldGetter("kibana.alert.uuid");
const readSpaceIds = compileFieldGetter("kibana.space_ids");

/**
 * The identity of an event read from a file, stdin or a stream.
 *
 * - id: the hint's, else the event's own `_id` (exports that kept the metadata),
 *   else — for an alert read back in — its `kibana.alert.uuid`, which is its `_id`
 *   in the alerts index; else the SHA-256 of the event's canonical JSON (keys
 *   sorted). A content hash is the only id that a replay, a restart or another
 *   machine reproduces without knowing where the event came from. The trade-off:
 *   two byte-for-byte identical documents count as one (a re-delivery is not a
 *   new alert, which is what at-least-once inputs need), and any change to a
 *   document — an enrichment, a re-encoding — makes it a new document, as a new
 *   `_id` does in Elasticsearch. `event.id` is deliberately not used: sensors
 *   reuse it for different documents (the cloud_defend fixtures encode one exec
 *   twice under the same `event.id`, and Kibana alerts on both documents), so
 *   trusting it would silently merge distinct alerts.
 * - index: the hint's, else `_index`, else the alerts index for an alert, else the
 *   data stream the event would have been written to (`logs-cloud_defend.process-default`
 *   from `data_stream.*`), else "events". Never the file name: the same event in
 *   a rotated or renamed file must keep its id.
 * - version: the hint's, else `_version`, else "1" (documents are written once).
 */
export function sourceIdentity(event: Event, hint: IdentityHint = {}): SourceIdentity {
  return {
    index: hint.index ?? indexOf(event),
    id: hint.id ?? idOf(event),
    version: hint.version !== undefined ? String(hint.version) : (metadataString(event, "_version") ?? "1"),
  };
}

/** SHA-256 (hex) of the event's canonical JSON: equal for equal content, whatever the key order. */
export function contentId(event: Event): string {
  return createHash("sha256").update(canonicalJson(event), "utf8").digest("hex");
}

function idOf(event: Event): string {
  const own = metadataString(event, "_id");
  if (own !== undefined && own !== "") return own;
  const alertUuid = readAlertUuid(event);
  if (typeof alertUuid === "string" && alertUuid !== "") return alertUuid;
  return contentId(event);
}

function indexOf(event: Event): string {
  const own = metadataString(event, "_index");
  if (own !== undefined && own !== "") return own;
  if (typeof readAlertUuid(event) === "string") {
    const spaces = readSpaceIds(event);
    const space = Array.isArray(spaces) ? spaces[0] : spaces;
    return `.alerts-security.alerts-${typeof space === "string" ? space : "default"}`;
  }
  const type = readDataStream.type(event);
  const dataset = readDataStream.dataset(event);
  const namespace = readDataStream.namespace(event);
  if (typeof type === "string" && typeof dataset === "string" && typeof namespace === "string") {
    return `${type}-${dataset}-${namespace}`;
  }
  return DEFAULT_SOURCE_INDEX;
}

function metadataString(event: Event, key: string): string | undefined {
  const value = getOwn(event, key);
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}
