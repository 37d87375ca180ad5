import { getOwn, isPlainObject, setOwn } from "../engine/json-tree.ts";
import { compileFieldGetter, type Event } from "../eql/field-access.ts";

const readIngested = compileFieldGetter("event.ingested");

/**
 * What Elasticsearch's ingest pipelines would have added on arrival. An integration's
 * pipeline sets `event.ingested` to the time the document was received, and most prebuilt
 * rules take their window from it (`timestamp_override`); shippers never send it. So it is
 * set here when the event lacks it, nested under `event` like the pipelines write it (or as
 * a dotted key when `event` is not an object), through own-property writes only.
 *
 * Returns whether the field was added.
 */
export function stampIngested(event: Event, iso: string): boolean {
  const present = readIngested(event);
  if (present !== undefined && present !== null) return false;
  const nested = getOwn(event, "event");
  if (isPlainObject(nested)) setOwn(nested, "ingested", iso);
  else if (nested === undefined) setOwn(event, "event", { ingested: iso });
  else setOwn(event, "event.ingested", iso);
  return true;
}
