import type { Event } from "./field-access.ts";

/**
 * The JSON an event was parsed from, held instead of the event while it waits: a string, or
 * its UTF-8 bytes. Bytes live outside the JavaScript heap, so holding many of them costs the
 * garbage collector nothing; a string costs a copy each time the collector moves it.
 */
export type EventText = string | Uint8Array;

const utf8 = new TextDecoder();

export function parseEventText(text: EventText): Event {
  return JSON.parse(typeof text === "string" ? text : utf8.decode(text)) as Event;
}
