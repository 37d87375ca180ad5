import type { Event } from "../eql/field-access.ts";
import { formatTimestamp, parseTimestamp } from "../eql/timestamp.ts";
import { dropNonEcsFields } from "./ecs-compliance.ts";
import {
  cloneJson,
  flattenInto,
  getOwn,
  isPlainObject,
  type JsonObject,
  keysNestedFirst,
  setOwn,
  TwinJoin,
} from "./json-tree.ts";

/**
 * The part of an alert that comes from its source event: the event's own fields that
 * the alerts index can hold (ecs-compliance.ts), with `event.kind` turned into "signal",
 * and queryable copies of what the alert overwrites or the alerts index maps differently
 * (`event.*`, `data_stream.*`).
 */

/**
 * Elasticsearch metadata fields. A document body cannot hold them (indexing
 * `{"_id": ...}` fails), so when an input kept them next to the event they are
 * identity (source-identity.ts), not fields to copy into the alert.
 */
const METADATA_KEYS: ReadonlySet<string> = new Set([
  "_id",
  "_index",
  "_version",
  "_seq_no",
  "_primary_term",
  "_routing",
  "_score",
  "_ignored",
]);

/**
 * Fields of a source that is itself an alert (or a legacy signal) which describe that alert,
 * not the event: Kibana drops them, nested or dotted, before building an alert on it, so an
 * alert on an alert carries no stale link, suppression or rule fields of its parent. Its
 * ancestry is read from the source (ancestors.ts), not from these copies.
 */
const ALERT_NAMESPACES: ReadonlySet<string> = new Set(["kibana", "signal", "threshold_result"]);

export function alertSourceFields(event: Event, onFieldsLeftOut?: (paths: string[]) => void): JsonObject {
  const doc: JsonObject = {};
  for (const key of Object.keys(event)) {
    if (METADATA_KEYS.has(key) || ALERT_NAMESPACES.has(key.split(".", 1)[0])) continue;
    const copy = cloneJson(event[key]);
    if (copy !== undefined) setOwn(doc, key, copy);
  }
  const leftOut = dropNonEcsFields(doc);
  if (leftOut.length > 0) onFieldsLeftOut?.([...new Set(leftOut)]);
  // The copies are of what the alert keeps, the source's own event.kind included.
  const copies: JsonObject = {};
  copyFlattened(copies, doc, "event", "kibana.alert.original_event");
  // data_stream.* is a constant_keyword in ECS, which cannot hold the mixed values of an alerts index.
  copyFlattened(copies, doc, "data_stream", "kibana.alert.original_data_stream");
  // The alert is the signal now; the source's kind survives in original_event.kind.
  delete doc["event.kind"];
  const nested = doc.event;
  if (isPlainObject(nested)) {
    delete nested.kind;
    if (Object.keys(nested).length === 0) delete doc.event;
  }
  setOwn(doc, "event.kind", "signal");
  for (const key of Object.keys(copies)) setOwn(doc, key, copies[key]);
  return doc;
}

/**
 * Copies every leaf under `field` — nested (`{"event": {"action": …}}`) or dotted (`"event.action"`) —
 * to `prefix.*`. A leaf written both ways gets both values, nested first, as matching sees them
 * (Kibana keeps whichever its walk of the source meets last, so one of them is lost there).
 */
function copyFlattened(doc: JsonObject, event: JsonObject, field: string, prefix: string): void {
  const twins = new TwinJoin();
  const dotted = `${field}.`;
  for (const key of keysNestedFirst(event)) {
    if (key === field) {
      if (isPlainObject(event[key])) flattenInto(doc, prefix, event[key], 0, twins);
    } else if (key.startsWith(dotted) && key.length > dotted.length) {
      flattenInto(doc, `${prefix}.${key.slice(dotted.length)}`, event[key], 0, twins);
    }
  }
}

/**
 * `kibana.alert.original_time`: the source's `@timestamp` as an ISO-8601 UTC
 * instant with milliseconds, as Kibana writes it, or undefined when it is not a
 * date (epoch milliseconds, as number or digits, are dates).
 */
export function originalTimeOf(event: Event): string | undefined {
  const raw = getOwn(event, "@timestamp");
  if (typeof raw !== "string" && typeof raw !== "number") return undefined;
  const ns = parseTimestamp(raw);
  return ns === null ? undefined : formatTimestamp(ns, "ms");
}
