import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../cli/run-cli.ts";
import type { Shipped } from "./attack-traffic.ts";

type Alert = Record<string, unknown>;

/**
 * What `eqlite scan` raises over the events a test shipped to serve: the answer serve must
 * give. The events go to a file in `dir` in the order given (serve may see batches
 * interleaved, which the rules' allowed lateness absorbs: the traffic is in time order).
 */
export function scanOracle(dir: string, shipped: readonly Shipped[], rules?: string): Alert[] {
  const file = join(dir, "shipped.ndjson");
  writeFileSync(file, shipped.map((s) => `${JSON.stringify(s.event)}\n`).join(""));
  const scan = runCli(["scan", "--format", "ndjson", "-q", ...(rules ? ["--rules", rules] : []), file]);
  assert.equal(scan.code, 0, scan.stderr);
  return scan.stdout
    .trim()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Alert);
}
