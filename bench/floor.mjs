/**
 * The floor of issue 6: read an NDJSON file, split it into lines on the newline byte and
 * `JSON.parse` each one, nothing else. Plain JavaScript so that it starts as fast as
 * `node dist/cli/entry.js` does. Prints one JSON line: { events, bytes, ms }.
 *
 *   node bench/floor.mjs FILE
 */
import { createReadStream } from "node:fs";

const file = process.argv[2];
if (!file) throw new Error("usage: node bench/floor.mjs FILE");
const started = process.hrtime.bigint();
let events = 0;
let bytes = 0;
let keys = 0;
let rest = Buffer.alloc(0);
const parse = (buf, start, end) => {
  if (end > start) {
    const event = JSON.parse(buf.toString("utf8", start, end));
    if (event !== null && typeof event === "object") keys++;
    events++;
  }
};
for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
  bytes += chunk.length;
  const buf = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
  let start = 0;
  for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
    parse(buf, start, nl);
    start = nl + 1;
  }
  rest = buf.subarray(start);
}
parse(rest, 0, rest.length);
const ms = Number(process.hrtime.bigint() - started) / 1e6;
process.stdout.write(`${JSON.stringify({ events, objects: keys, bytes, ms })}\n`);
