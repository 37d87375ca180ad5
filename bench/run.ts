/**
 * `npm run bench`: every performance target of DESIGN.md (P1–P4) in one run, on one input.
 * Benchmarks measure; they never assert.
 *
 * - Input: simulated cloud_defend events (src/sim), written once to a temp file.
 * - Floor: bench/floor.mjs, a child process that reads the file, splits lines and
 *   `JSON.parse`s each one. Each of P1 and P2 is measured in `--pairs` pairs (3 by default):
 *   the floor, then eqlite right after it; a pair's ratio is taken against its own floor, and
 *   the target's ratio is the median pair's (the lower middle one for an even count). The
 *   machine is shared and noisy: a neighbour busy during one run moved a single pair's ratio
 *   by a third.
 * - P1 / P2: the real CLI (`eqlite scan -q --format summary`), wall time of the child process,
 *   startup included, as for the floor. eqlite keeps loaded rule files in a cache (see
 *   `eqlite scan --help`, --no-rule-cache): the bench gives it a cache of its own, empty at
 *   first. P2 is measured twice: the first scan of the corpus, which fills the cache, and
 *   the next one (the target), as every later scan of the same rules runs.
 * - P3: bench/rules-load.ts in a child; P4: bench/sequence-memory.ts in a child.
 * - Peak RSS of every child through `/usr/bin/time -f %M` when it exists.
 *
 * eqlite runs from dist/ when it exists (as bin/eqlite.js does), else from src/ through tsx;
 * `--src` forces src/.
 *
 *   npm run bench [-- --events N] [--seed N] [--memory-events N] [--pairs N] [--src] [--keep]
 */
import { spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { simulate } from "../src/sim/index.ts";
import { markdownTable, writeResults } from "./report.ts";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "200000" },
    seed: { type: "string", default: "1" },
    "memory-events": { type: "string", default: "2000000" },
    pairs: { type: "string", default: "3" },
    keep: { type: "boolean", default: false },
    src: { type: "boolean", default: false },
  },
});
const eventCount = Number(values.events);
const pairs = Number(values.pairs);
if (!Number.isInteger(pairs) || pairs < 1)
  throw new Error(`--pairs must be a whole number ≥ 1, not ${values.pairs}`);
const root = fileURLToPath(new URL("..", import.meta.url));
const shared = join(root, "..", "shared");
const at = (p: string) => join(root, p);

const k = (n: number) => `${(n / 1000).toFixed(1)}k ev/s`;
const mbs = (n: number) => `${n.toFixed(0)} MB/s`;
const mb = (n?: number) => (n === undefined ? "–" : `${n.toFixed(0)} MB`);
const timeBin = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
const useDist = !values.src && existsSync(at("dist/cli/entry.js"));
const cli = useDist ? [at("dist/cli/entry.js")] : ["--import", "tsx", at("src/cli/entry.ts")];
const cliLabel = useDist ? "node dist/cli/entry.js" : "node --import tsx src/cli/entry.ts";

interface Child {
  ok: boolean;
  ms: number;
  peakRssMB?: number;
  stdout: string;
  stderr: string;
  status: number | null;
}

/** Runs `node ARGS` in a child process: wall time, and peak RSS when /usr/bin/time exists. */
function runNode(args: string[], cacheDir = ruleCache): Child {
  const rssFile = join(work, `rss-${Math.random().toString(36).slice(2)}`);
  const [cmd, argv] = timeBin
    ? [timeBin, ["-f", "%M", "-o", rssFile, process.execPath, ...args]]
    : [process.execPath, args];
  const started = process.hrtime.bigint();
  const child = spawnSync(cmd, argv, {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 << 20,
    env: { ...process.env, EQLITE_CACHE_DIR: cacheDir },
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  let peakRssMB: number | undefined;
  if (timeBin && existsSync(rssFile)) {
    const kb = Number(readFileSync(rssFile, "utf8").trim().split("\n").at(-1));
    if (Number.isFinite(kb)) peakRssMB = kb / 1024;
    rmSync(rssFile, { force: true });
  }
  return {
    ok: child.status === 0,
    ms,
    peakRssMB,
    stdout: child.stdout ?? "",
    stderr: child.stderr ?? "",
    status: child.status,
  };
}

const firstError = (c: Child) =>
  c.stderr
    .split("\n")
    .find((l) => /error|eqlite:/i.test(l) && !l.startsWith("warning:"))
    ?.trim() ??
  c.stderr.trim().split("\n").at(-1) ??
  `exit ${c.status}`;

// --- input ---------------------------------------------------------------------------
const work = mkdtempSync(join(tmpdir(), "eqlite-bench-"));
const input = join(work, "events.ndjson");
const ruleCache = join(work, "rule-cache");
{
  const started = Date.now();
  const fd = openSync(input, "w");
  let batch: string[] = [];
  for (const line of simulate({ events: eventCount, seed: Number(values.seed) })) {
    batch.push(line);
    if (batch.length === 2000) {
      writeSync(fd, `${batch.join("\n")}\n`);
      batch = [];
    }
  }
  if (batch.length > 0) writeSync(fd, `${batch.join("\n")}\n`);
  closeSync(fd);
  console.log(
    `input: ${eventCount.toLocaleString()} simulated cloud_defend events (seed ${values.seed}), ${(statSync(input).size / 2 ** 20).toFixed(0)} MB, generated in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}
const inputBytes = statSync(input).size;
const inputMB = inputBytes / 2 ** 20;
console.log(`eqlite measured through: ${cliLabel}`);
if (useDist) warnIfStale();
console.log(
  `machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(1)} GB, Node ${process.version}; peak RSS ${timeBin ? "by /usr/bin/time" : "not measured (no /usr/bin/time)"}`,
);

interface Throughput {
  ms: number;
  eventsPerSecond: number;
  mbPerSecond: number;
  peakRssMB?: number;
}
const throughput = (c: Child): Throughput => ({
  ms: c.ms,
  eventsPerSecond: (eventCount / c.ms) * 1000,
  mbPerSecond: (inputMB / c.ms) * 1000,
  peakRssMB: c.peakRssMB,
});

function floor(): Throughput & { parseMs?: number } {
  const c = runNode([at("bench/floor.mjs"), input]);
  if (!c.ok) throw new Error(`floor failed: ${c.stderr}`);
  const reported = JSON.parse(c.stdout.trim()) as { events: number; ms: number };
  if (reported.events !== eventCount)
    throw new Error(`floor read ${reported.events} events, expected ${eventCount}`);
  return { ...throughput(c), parseMs: reported.ms };
}

/** One floor run and the eqlite run right after it. */
interface Pair {
  floor: Throughput & { parseMs?: number };
  eqlite?: Throughput;
  ratio?: number;
}

interface ScanResult extends Pair {
  target: string;
  command: string;
  targetRatio: number;
  /** every pair measured, in order; the fields above are the median pair's */
  pairs: Pair[];
  summary?: string;
  error?: string;
}

/**
 * `eqlite scan` against the floor, in `count` pairs. With `freshCache`, every eqlite run starts
 * with an empty rule cache of its own (a first scan); otherwise they share the bench's.
 */
function scan(
  target: string,
  rules: string,
  targetRatio: number,
  {
    extra = [],
    count = pairs,
    freshCache = false,
  }: { extra?: string[]; count?: number; freshCache?: boolean } = {},
): ScanResult {
  const args = [...cli, "scan", "-q", "--format", "summary", ...extra, "--rules", rules, input];
  const command = `${cliLabel} scan -q --format summary ${extra.map((a) => `${a} `).join("")}--rules ${rules} <input>`;
  const measured: Pair[] = [];
  let summary: string | undefined;
  for (let i = 0; i < count; i++) {
    const fl = floor();
    // the first pair fills the bench's cache for the scans after it (no corpus file is in it yet)
    const cacheDir =
      freshCache && i > 0 ? join(work, `rule-cache-${target.replace(/\W+/g, "-")}-${i}`) : ruleCache;
    const c = runNode(args, cacheDir);
    if (!c.ok) return { target, command, floor: fl, targetRatio, pairs: measured, error: firstError(c) };
    const eq = throughput(c);
    measured.push({ floor: fl, eqlite: eq, ratio: eq.eventsPerSecond / fl.eventsPerSecond });
    summary = c.stdout.trim();
  }
  const median = [...measured].sort((a, b) => (a.ratio ?? 0) - (b.ratio ?? 0))[Math.floor((count - 1) / 2)];
  return { target, command, ...median, targetRatio, pairs: measured, summary };
}

// --- P1 ------------------------------------------------------------------------------
const seedRule = existsSync(join(shared, "seed/interactive_exec_container.toml"))
  ? join(shared, "seed/interactive_exec_container.toml")
  : at("rules/container/execution_interactive_exec_into_container.toml");
console.log(`\nP1: seed rule alone (${seedRule})`);
const p1 = scan("P1", seedRule, 2);
report(p1);
// Not a target: what the prefilter is worth, every line parsed and matched.
console.log("\nP1 with --no-prefilter (for comparison)");
const p1Unfiltered = scan("P1 --no-prefilter", seedRule, 2, { extra: ["--no-prefilter"], count: 1 });
report(p1Unfiltered);

// --- P2 ------------------------------------------------------------------------------
const corpus = join(shared, "corpus/detection-rules");
let p2: ScanResult | { target: "P2"; skipped: string };
let p2FirstScan: ScanResult | undefined;
if (existsSync(corpus)) {
  console.log(`\nP2, first scan of the corpus: the rule cache is empty and filled (for comparison)`);
  p2FirstScan = scan("P2 first scan", corpus, 0.5, { freshCache: true });
  report(p2FirstScan);
  console.log(`\nP2: every rule of ${corpus}`);
  p2 = scan("P2", corpus, 0.5);
  report(p2);
} else {
  p2 = { target: "P2", skipped: `${corpus} is absent` };
  console.log(`\nP2: skipped, ${corpus} is absent`);
}

// --- P3 ------------------------------------------------------------------------------
let p3: Record<string, unknown>;
if (existsSync(corpus)) {
  console.log("\nP3: load and compile every EQL rule of the corpus (bench/rules-load.ts)");
  const c = runNode([
    "--import",
    "tsx",
    at("bench/rules-load.ts"),
    "--corpus",
    corpus,
    "--runs",
    "3",
    ...(useDist ? ["--built"] : []),
  ]);
  const num = (re: RegExp) => {
    const m = re.exec(c.stdout);
    return m ? Number(m[1]) : undefined;
  };
  p3 = {
    target: "P3",
    ok: c.ok,
    measured: useDist ? "dist" : "src (tsx)",
    eqlFiles: num(/EQL rule files: (\d+)/),
    compiled: num(/\((\d+) compiled/),
    errors: num(/compiled, (\d+) errors/),
    coldMs: num(/cold process: (\d+) ms/),
    coldPredicatesMs: num(/every rule's predicates compiled too: (\d+) ms/),
    coldCachedMs: num(/rule cache filled by an earlier run: (\d+) ms/),
    warmMedianMs: num(/warm \(median of \d+\): (\d+) ms/),
    targetMs: 1000,
    peakRssMB: c.peakRssMB,
    ...(c.ok ? {} : { error: firstError(c) }),
  };
  process.stdout.write(
    c.ok
      ? c.stdout
          .split("\n")
          .filter((l) => l && !l.startsWith("→"))
          .map((l) => `  ${l}\n`)
          .join("")
      : `  failed: ${p3.error}\n`,
  );
} else {
  p3 = { target: "P3", skipped: `${corpus} is absent` };
  console.log(`\nP3: skipped, ${corpus} is absent`);
}

// --- P4 ------------------------------------------------------------------------------
console.log(
  `\nP4: sequence state (bench/sequence-memory.ts --events ${Number(values["memory-events"]).toLocaleString()})`,
);
const p4child = runNode([
  "--expose-gc",
  "--import",
  "tsx",
  at("bench/sequence-memory.ts"),
  "--events",
  values["memory-events"],
]);
const p4num = (re: RegExp) => {
  const m = re.exec(p4child.stdout);
  return m ? Number(m[1].replace(/,/g, "")) : undefined;
};
const p4 = {
  target: "P4",
  ok: p4child.ok,
  events: Number(values["memory-events"]),
  bytesPerPartial: p4num(/memory per open partial sequence: (\d+) bytes/),
  heapGrowthMB: p4num(/growth (-?[\d.]+) MB/),
  heapFirstMB: p4num(/heap first\/last sample: ([\d.]+) \//),
  heapLastMB: p4num(/heap first\/last sample: [\d.]+ \/ ([\d.]+) MB/),
  eventsPerSecond: p4num(/; ([\d,]+) events\/s/),
  peakRssMB: p4child.peakRssMB,
  ...(p4child.ok ? {} : { error: firstError(p4child) }),
};
process.stdout.write(
  p4child.ok
    ? p4child.stdout
        .split("\n")
        .filter((l) => l && !l.startsWith("written"))
        .map((l) => `  ${l}\n`)
        .join("")
    : `  failed: ${p4.error}\n`,
);

// --- table ---------------------------------------------------------------------------
const rows: string[][] = [
  [
    "target",
    "eqlite (median pair)",
    "floor (same pair)",
    "ratio (range over pairs)",
    "target ratio",
    "peak RSS (eqlite / floor)",
  ],
];
for (const r of [p1, ...(p2FirstScan ? [p2FirstScan] : []), p2]) {
  if ("skipped" in r) {
    rows.push([r.target, "skipped", "", "", "≥ 0.5×", ""]);
    continue;
  }
  rows.push([
    r.target,
    r.eqlite ? `${k(r.eqlite.eventsPerSecond)}, ${mbs(r.eqlite.mbPerSecond)}` : "failed",
    `${k(r.floor.eventsPerSecond)}, ${mbs(r.floor.mbPerSecond)}`,
    r.ratio === undefined ? "–" : `${r.ratio.toFixed(2)}×${pairRange(r)}`,
    `≥ ${r.targetRatio}×`,
    `${mb(r.eqlite?.peakRssMB)} / ${mb(r.floor.peakRssMB)}`,
  ]);
}
if ("skipped" in p3) rows.push(["P3", "skipped", "", "", "< 1000 ms", ""]);
else
  rows.push([
    "P3",
    p3.ok
      ? `${p3.coldMs} ms cold (${p3.coldPredicatesMs} ms with every predicate compiled), ${p3.coldCachedMs} ms cold with the rule cache, ${p3.warmMedianMs} ms warm (${p3.compiled} rules)`
      : "failed",
    "–",
    "–",
    "< 1000 ms",
    mb(p3.peakRssMB as number | undefined),
  ]);
rows.push([
  "P4",
  p4.ok
    ? `${p4.bytesPerPartial} B/partial; heap growth ${p4.heapGrowthMB} MB over ${p4.events.toLocaleString()} events`
    : "failed",
  "–",
  "–",
  "flat heap",
  mb(p4.peakRssMB),
]);
console.log(`\n${markdownTable(rows)}`);

const out = writeResults("bench", {
  eqlite: cliLabel,
  input: { events: eventCount, seed: Number(values.seed), bytes: inputBytes },
  results: { P1: p1, P1NoPrefilter: p1Unfiltered, P2: p2, P2FirstScan: p2FirstScan, P3: p3, P4: p4 },
});
console.log(`\n→ ${out}`);
if (!values.keep) rmSync(work, { recursive: true, force: true });
else console.log(`input kept: ${input}`);

/** The spread of a target's pair ratios, when it had more than one pair. */
function pairRange(r: ScanResult): string {
  if (r.pairs.length < 2) return "";
  const ratios = r.pairs.map((p) => p.ratio ?? 0);
  return ` (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`;
}

function report(r: ScanResult) {
  r.pairs.forEach((pair, i) => {
    const f = pair.floor;
    const e = pair.eqlite;
    const label = r.pairs.length > 1 ? `  pair ${i + 1}: ` : "  ";
    console.log(
      `${label}floor ${(f.ms / 1000).toFixed(2)} s wall (${((f.parseMs ?? 0) / 1000).toFixed(2)} s in the loop), ${k(f.eventsPerSecond)}, peak RSS ${mb(f.peakRssMB)}` +
        (e
          ? `; eqlite ${(e.ms / 1000).toFixed(2)} s wall, ${k(e.eventsPerSecond)}, peak RSS ${mb(e.peakRssMB)}; ratio ${pair.ratio?.toFixed(2)}×`
          : ""),
    );
  });
  if (!r.eqlite) {
    console.log(`  floor: ${(r.floor.ms / 1000).toFixed(2)} s wall; eqlite: failed: ${r.error}`);
    return;
  }
  console.log(
    `  ${r.pairs.length > 1 ? "median pair" : "result"}: eqlite ${k(r.eqlite.eventsPerSecond)}, ${mbs(r.eqlite.mbPerSecond)}; floor ${k(r.floor.eventsPerSecond)}, ${mbs(r.floor.mbPerSecond)}; ratio ${r.ratio?.toFixed(2)}×${pairRange(r)} (target ≥ ${r.targetRatio}×)`,
  );
  if (r.summary) for (const l of r.summary.split("\n").slice(0, 5)) console.log(`    ${l}`);
}

/** dist/ is what `bin/eqlite.js` runs; say so when src/ has changed since it was built. */
function warnIfStale() {
  const built = statSync(at("dist/cli/entry.js")).mtimeMs;
  const ls = spawnSync("find", [at("src"), "-name", "*.ts", "-newer", at("dist/cli/entry.js")], {
    encoding: "utf8",
  });
  const newer = ls.stdout.split("\n").filter(Boolean).length;
  if (newer > 0)
    console.log(
      `  note: ${newer} file(s) of src/ are newer than dist/ (built ${new Date(built).toISOString()}); run \`npm run build\` to measure the current code`,
    );
}
