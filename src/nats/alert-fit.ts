/**
 * An alert too large for a NATS message. An alert carries its source event's fields, so an event
 * near the server's `max_payload` (which ingest lets through) makes an alert past it, and
 * JetStream can never store it: retried for ever, it would hold its partition's checkpoint, and
 * with it every later event of that partition, for good. Whoever can pad an event (a long
 * command line) could blind the rules that way. So the alert goes out without the largest of its
 * source event's fields, named in `eqlite.omitted_fields`: the detection, its rule, its id and
 * everything eqlite wrote about it survive; the bulk of the event is in the events stream.
 */
import type { AlertDocument } from "../engine/alert.ts";
import { cloneJson, isPlainObject, type JsonObject } from "../engine/json-tree.ts";

export const OMITTED_FIELDS = "eqlite.omitted_fields";

/** Room left in a message for its headers (the alert id, the rule id). */
export const ALERT_HEADROOM_BYTES = 2048;

/** The omitted fields named in the alert, at most; more are counted in the last entry. */
const NAMED_OMISSIONS = 32;

export interface FittedAlert {
  alert: AlertDocument;
  /** the paths of the source fields left out, largest first */
  omitted: string[];
}

interface Field {
  parent: JsonObject;
  key: string;
  path: string;
  bytes: number;
}

/**
 * The alert written in at most `maxBytes` of JSON, left as it is when it fits; otherwise a copy
 * without its largest source fields. Undefined when even that does not fit (what eqlite wrote
 * itself is larger: a rule's description of a megabyte).
 */
export function fitAlert(alert: AlertDocument, maxBytes: number): FittedAlert | undefined {
  let bytes = jsonBytes(alert);
  if (bytes <= maxBytes) return { alert, omitted: [] };
  const copy = cloneJson(alert) as AlertDocument;
  const fields = sourceFields(copy).sort((a, b) => b.bytes - a.bytes);
  const omitted: string[] = [];
  // the list of omissions grows the alert too: it is room kept while fields are taken out
  const listRoom = (count: number) => 64 + Math.min(count, NAMED_OMISSIONS) * 64;
  for (const field of fields) {
    delete field.parent[field.key];
    omitted.push(field.path);
    bytes -= field.bytes + Buffer.byteLength(JSON.stringify(field.key)) + 2;
    if (bytes + listRoom(omitted.length) > maxBytes) continue;
    copy[OMITTED_FIELDS] = namedOmissions(omitted);
    bytes = jsonBytes(copy);
    if (bytes <= maxBytes) return { alert: copy, omitted };
    delete copy[OMITTED_FIELDS];
  }
  return undefined;
}

/**
 * The leaves that came from the source event, each with its size: values other than objects
 * (an array is one field), under every key but what eqlite wrote (`kibana.*`, bar the copies of
 * the event's own `event.*` and `data_stream.*`) and the alert's time.
 */
function sourceFields(alert: AlertDocument): Field[] {
  const fields: Field[] = [];
  const walk = (object: JsonObject, prefix: string) => {
    for (const key of Object.keys(object)) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (!prefix && !fromSource(key)) continue;
      const value = object[key];
      if (isPlainObject(value)) walk(value, path);
      else fields.push({ parent: object, key, path, bytes: jsonBytes(value) });
    }
  };
  walk(alert, "");
  return fields;
}

function fromSource(key: string): boolean {
  if (key === "@timestamp" || key === "event.kind") return false;
  if (!key.startsWith("kibana.")) return true;
  return (
    key.startsWith("kibana.alert.original_event.") || key.startsWith("kibana.alert.original_data_stream.")
  );
}

function namedOmissions(omitted: readonly string[]): string[] {
  if (omitted.length <= NAMED_OMISSIONS) return [...omitted];
  const named = omitted.slice(0, NAMED_OMISSIONS - 1);
  named.push(`… and ${omitted.length - named.length} more`);
  return named;
}

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? "null");
