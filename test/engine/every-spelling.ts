/**
 * For alert.test.ts: `event.p0.….p{n-1}` written every way a document can cut it into dotted
 * keys and nested objects (2^n ways), each spelling with its own value, then the alert's
 * `original_event` copy and a sequence shell of it. Prints the values and
 * what each kept of that field. A script of its own, so that the test can stop it.
 */
import { alertSourceFields } from "../../src/engine/alert-source.ts";
import { intersectDocuments } from "../../src/engine/field-intersection.ts";

const parts = Number(process.argv[2]);
const event: Record<string, unknown> = {};
const values: string[] = [];
for (let cuts = 0; cuts < 1 << parts; cuts++) {
  const keys: string[] = [];
  let key = "event";
  for (let i = 0; i < parts; i++) {
    // bit i set: part i joins the key before it with a dot; else it starts a nested object
    if (cuts & (1 << i)) key += `.p${i}`;
    else {
      keys.push(key);
      key = `p${i}`;
    }
  }
  let object = event;
  for (const k of keys) {
    object[k] ??= {};
    object = object[k] as Record<string, unknown>;
  }
  object[key] = `v${cuts}`;
  values.push(`v${cuts}`);
}
const field = Array.from({ length: parts }, (_, i) => `p${i}`).join(".");
const originalEvent = alertSourceFields(event)[`kibana.alert.original_event.${field}`];
// a field some document writes dotted keeps its dotted key in the shell
const shell = (intersectDocuments([event, event]) as Record<string, unknown>)[`event.${field}`];
process.stdout.write(JSON.stringify({ values, originalEvent, shell }));
