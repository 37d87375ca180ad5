import type { Event } from "./field-access.ts";

/**
 * Text kept where it was read (a line of a file), read again only when the event is needed:
 * holding it costs a few numbers, whatever the event's size.
 */
export interface StoredText {
  read(): Uint8Array;
}

/**
 * The JSON an event was parsed from, held instead of the event while it waits: a string, its
 * UTF-8 bytes, or where to read them. Bytes live outside the JavaScript heap, so holding many
 * of them costs the garbage collector nothing; a string costs a copy each time the collector
 * moves it.
 */
export type EventText = string | Uint8Array | StoredText;

const utf8 = new TextDecoder();

export function parseEventText(text: EventText): Event {
  return JSON.parse(eventJson(text)) as Event;
}

/** The JSON text itself (bytes decoded as UTF-8, malformed sequences replaced). */
export function eventJson(text: EventText): string {
  if (typeof text === "string") return text;
  return utf8.decode(text instanceof Uint8Array ? text : text.read());
}
