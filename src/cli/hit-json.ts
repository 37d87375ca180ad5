/**
 * JSON of search results whose events are written as they were read.
 *
 * Parsing an event and writing it back is not the identity: an integer past 2^53 comes back
 * rounded (`9007199254740993` → `…992`), `1e400` comes back `null`, and of two equal keys one is
 * lost. Elasticsearch returns `_source` as it was indexed, and a responder greps the printed
 * event back to the evidence, so each hit's `_source` that carries its text (EVENT_TEXT, set
 * by the search) is written as that text. It is never passed to JSON.stringify, which also
 * spares an event nesting deeper than JSON.stringify can go.
 */

import { randomUUID } from "node:crypto";
import { EVENT_TEXT, type EventWithText } from "../eql/search.ts";

/**
 * `JSON.stringify(value, null, space)`, with each `_source` holding its text written as that
 * text, on one line.
 */
export function hitJson(value: unknown, space?: number): string {
  const texts: string[] = [];
  // A placeholder no event can forge: join keys and sample keys are event values, and pass through JSON.stringify.
  const mark = `eqlite-source-${randomUUID()}-`;
  const json = JSON.stringify(
    value,
    function (this: unknown, key: string, v: unknown) {
      if (key !== "_source" || v === null || typeof v !== "object") return v;
      const text = (v as EventWithText)[EVENT_TEXT];
      if (text === undefined) return v;
      texts.push(text);
      return `${mark}${texts.length - 1}`;
    },
    space,
  );
  if (texts.length === 0) return json;
  const placeholder = new RegExp(`"${mark}(\\d+)"`, "g");
  return json.replace(placeholder, (_, i: string) => oneLine(texts[Number(i)]));
}

/** An event as one line of JSON: its text when it carries it. */
export function eventJson(event: object): string {
  const text = (event as EventWithText)[EVENT_TEXT];
  return text === undefined ? JSON.stringify(event) : oneLine(text);
}

/**
 * Line breaks in JSON text that parsed stand between tokens (inside a string they must be
 * escaped), so removing them changes nothing: an element of a JSON array file may span lines.
 */
const oneLine = (text: string): string => text.replace(/[\r\n]+/g, "").trim();
