import { closeSync, existsSync, openSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { finished } from "node:stream/promises";
import { type Command, InvalidArgumentError, Option } from "commander";
import type { AlertDocument } from "../engine/alert.ts";
import { KIBANA_MAX_ALERTS_PER_RUN } from "../engine/alerts-per-run.ts";
import { parseDateMath } from "../engine/date-math.ts";
import { DetectionEngine, type RuleActivity, type RuleStats } from "../engine/detection-engine.ts";
import { eventTimeText } from "../engine/future-dated.ts";
import { lineFilterOf } from "../engine/line-prefilter.ts";
import { eventsThroughWorkers, type InputEvent } from "../engine/match-workers.ts";
import { replayRuns, ruleRun, type WindowSettings } from "../engine/window.ts";
import { SpillBudget } from "../eql/correlate/spill.ts";
import { jsonDocument, visibleLine } from "../eql/terminal-text.ts";
import { attachExceptions } from "../exceptions/attach.ts";
import { exceptionFiltersByRule } from "../exceptions/compile.ts";
import { loadExceptionFiles, mergeExceptions } from "../exceptions/load.ts";
import { formatDiagnostic as formatExceptionDiagnostic } from "../exceptions/model.ts";
import { eventFilesOf } from "../io/event-files.ts";
import {
  createEventReader,
  type DecodeProblem,
  formatProblem,
  type ReadOptions,
  type ReadStats,
  readEventsFromStream,
  STDIN_NAME,
} from "../io/event-source.ts";
import { FILE_STARTS, followFile } from "../io/follow-file.ts";
import { readAhead } from "../io/read-ahead.ts";
import {
  type AlertFormat,
  CSV_HEADER,
  formatCsv,
  formatNdjson,
  formatPretty,
  formatSummary,
} from "../io/sinks/alert-formats.ts";
import { LineFileStream } from "../io/sinks/line-file-stream.ts";
import { SarifReport } from "../io/sinks/sarif.ts";
import { storedLineCodec } from "../io/stored-lines.ts";
import { type Diagnostic, formatDiagnostic, STREAM_WARNINGS } from "../rules/diagnostic.ts";
import { loadRulesAtStart } from "../rules/load-at-start.ts";
import { defaultCacheDir, RuleCache } from "../rules/rule-cache.ts";
import { MISSING_EXCEPTION_LIST } from "../rules/rule-references.ts";
import { buildRuleSet, type RuleSet } from "../rules/rule-set.ts";
import { BUNDLED_RULES } from "./bundled-rules.ts";
import { hangUp } from "./hang-up.ts";
import { reportInputError } from "./input-errors.ts";
import { type KibanaFlags, kibanaTargetOf, withKibanaFlags } from "./kibana-flags.ts";
import {
  addSpillOptions,
  DEFAULT_SPILL_AFTER,
  removeRunsOnSignals,
  reportSpillError,
} from "./spill-options.ts";
import { sayWhenReadingTerminal } from "./terminal-input.ts";

export interface ScanOptions extends KibanaFlags {
  rules?: string[];
  exceptions?: string[];
  format?: AlertFormat | "sarif";
  output?: string;
  follow?: boolean;
  allowedLateness: number;
  now?: string;
  from?: string;
  to?: string;
  strict?: boolean;
  prefilter?: boolean;
  workers?: number;
  failOnAlert?: boolean;
  quiet?: boolean;
  ruleCache?: boolean;
  includeDisabled?: boolean;
  maxAlertsPerRun?: number;
  spillAfter?: number;
  spillDir?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];
const milliseconds = (value: string) => {
  if (!/^\d+$/.test(value))
    throw new InvalidArgumentError("--allowed-lateness takes milliseconds, a whole number");
  return Number(value);
};

export function registerScanCommand(program: Command): void {
  const scan = program
    .command("scan")
    .description("run detection rules over events and write Kibana-shaped alerts")
    .argument(
      "[files...]",
      "event files (NDJSON, JSON, .gz, .zst) or directories of them; '-' or none reads stdin",
    )
    .option("--rules <path>", "rule file or directory, repeatable (default: the bundled rules/)", collect)
    .option(
      "--exceptions <file>",
      "exceptions for all rules (plain TOML or a Kibana export), repeatable",
      collect,
    )
    .addOption(
      new Option(
        "--format <format>",
        "pretty (default on a terminal), ndjson (default otherwise), csv, summary, sarif",
      ).choices(["pretty", "ndjson", "csv", "summary", "sarif"]),
    )
    .option("--output <file>", "write alerts to a file instead of stdout")
    .option("--follow", "alert as events arrive — from stdin, or from a file as it grows (Ctrl-C ends)")
    .option(
      "--allowed-lateness <ms>",
      "with --follow: how late an event may arrive and still be ordered",
      milliseconds,
      2000,
    )
    .option(
      "--now <datemath>",
      "run each rule once, as Kibana would at this instant: only events in its [from, to] window",
    )
    .option(
      "--from <datemath>",
      "replay the rules' scheduled runs from this time (every interval, windows overlapping)",
    )
    .option("--to <datemath>", "with --from: replay until this time (default: --now, else now)")
    .option("--strict", "a malformed input line is fatal instead of reported and skipped (parses every line)")
    .option(
      "--no-prefilter",
      "parse every line: without it, lines that no loaded rule can match are skipped unparsed (with many rules, as long as the input's first 2048 lines show that at least 85% can be)",
    )
    .option(
      "--workers <n>",
      "threads that decode and match (0: all on one thread; default for inputs over 32 MiB, stdin included: CPUs - 1, or with 2 CPUs 2 for more than 48 rules and none for fewer)",
      (value: string) => {
        if (!/^\d+$/.test(value) || Number(value) > 64)
          throw new InvalidArgumentError("--workers takes a whole number from 0 to 64");
        return Number(value);
      },
    )
    .option(
      "--max-alerts-per-run <n>",
      `the most alerts one run of a rule writes, whatever its max_signals (Kibana's xpack.alerting.rules.run.alerts.max; default ${KIBANA_MAX_ALERTS_PER_RUN})`,
      (value: string) => {
        if (!/^[1-9]\d{0,8}$/.test(value))
          throw new InvalidArgumentError("--max-alerts-per-run takes a whole number from 1");
        return Number(value);
      },
    )
    .option(
      "--include-disabled",
      "also run the rules whose file says enabled = false (left out by default, as Kibana does)",
    )
    .option(
      "--no-rule-cache",
      "load every rule file afresh: without it, TOML rule files unchanged since an earlier scan are taken from a cache ($EQLITE_CACHE_DIR, else $XDG_CACHE_HOME/eqlite or ~/.cache/eqlite)",
    );
  withKibanaFlags(scan, "flags");
  addSpillOptions(scan, "sequence events, over all rules,")
    .option("--fail-on-alert", "exit 1 when there is any alert")
    .option("-q, --quiet", "no summary on stderr")
    .action(async (files: string[], options: ScanOptions, command: Command) => {
      command.parent?.setOptionValue("exitCode", await runScan(files, options));
    });
}

/** Reads rules and events, writes alerts; returns the exit code. */
export async function runScan(
  files: string[],
  options: ScanOptions,
  events?: AsyncIterable<InputEvent>,
): Promise<number> {
  const err = (line: string) => process.stderr.write(`${line}\n`);
  // of a rule and its events: names, paths and messages from untrusted files, one line each
  const said = (line: string) => err(visibleLine(line));
  const rulePaths = options.rules?.length ? options.rules : [BUNDLED_RULES];
  for (const p of rulePaths) {
    if (!existsSync(p)) {
      err(`eqlite: rules not found: ${visibleLine(p)}`);
      return 2;
    }
  }
  const clock = BigInt(Date.now()) * 1_000_000n;
  let nowNs: bigint;
  let replay: { from: bigint; to: bigint } | undefined;
  try {
    nowNs = parseDateMath(options.now ?? "now", clock);
    if (options.from) {
      replay = {
        from: parseDateMath(options.from, nowNs),
        to: parseDateMath(options.to ?? "now", nowNs, true),
      };
    } else if (options.to) {
      err("eqlite: --to needs --from (the start of the replayed range)");
      return 2;
    }
  } catch (error) {
    err(`eqlite: ${(error as Error).message}`);
    return 2;
  }
  const now = new Date(Number(nowNs / 1_000_000n));
  const windowed = replay !== undefined || options.now !== undefined;

  const ruleCache = options.ruleCache === false ? undefined : RuleCache.open(defaultCacheDir(), "scan");
  const loaded = await loadRulesAtStart(rulePaths, { cache: ruleCache });
  // saved before anything else reads the rules: the cache holds them as loading left them
  ruleCache?.save();
  const ruleErrors = loaded.diagnostics.filter((d) => d.severity === "error");
  for (const d of ruleErrors) err(formatDiagnostic(d));
  // --follow: what makes a stream find less than the rule reads is said, not only counted
  const toSay = (d: Diagnostic) => options.follow === true && STREAM_WARNINGS.has(d.code);
  for (const d of loaded.diagnostics) if (d.severity === "warning" && toSay(d)) err(formatDiagnostic(d));
  // a missing exception list is said once the --exceptions files are read too (attachExceptions)
  const warnings = loaded.diagnostics.filter(
    (d) => d.severity !== "error" && d.code !== MISSING_EXCEPTION_LIST && !toSay(d),
  ).length;
  const ruleSet = buildRuleSet(loaded.rules, { includeDisabled: options.includeDisabled });
  if (ruleSet.rules.length === 0) {
    const disabled = ruleSet.disabled ? `, ${ruleSet.disabled} disabled (--include-disabled runs them)` : "";
    err(
      `eqlite: no rule can run (${loaded.rules.length} loaded, ${ruleErrors.length} errors${disabled}); see \`eqlite validate\``,
    );
    return 2;
  }

  const exceptions = loaded.exceptions;
  if (options.exceptions?.length)
    mergeExceptions(exceptions, await loadExceptionFiles(options.exceptions, { allRules: true }));
  const attached = attachExceptions(
    loaded.rules.map((r) => r.rule),
    exceptions,
  );
  for (const d of [...exceptions.diagnostics, ...attached.diagnostics]) err(formatExceptionDiagnostic(d));
  const exceptionsOf = exceptionFiltersByRule(attached.byRule, {
    valueLists: exceptions.valueLists,
    now,
    cache: new Map(),
  });

  const format: AlertFormat | "sarif" =
    options.format ?? (options.output || !process.stdout.isTTY ? "ndjson" : "pretty");
  let out: NodeJS.WritableStream = process.stdout;
  let writeFailure: Error | undefined;
  /** the output opened and emptied before the scan, and held to its end (a FIFO's reader sees no end) */
  let outputCheck: number | undefined;
  if (options.output) {
    // opened here, so that a path that cannot be written is said before the scan, not after it
    try {
      outputCheck = openSync(options.output, "w");
    } catch (error) {
      err(`eqlite: cannot write alerts to ${options.output}: ${(error as Error).message}`);
      return 2;
    }
    // a write that fails part-way (a full disk) is cut back to its last whole line, not left half written
    out = new LineFileStream(options.output, { keepWritten: true }).on("error", (error) => {
      writeFailure ??= error;
    });
  }
  const color = !options.output && process.stdout.isTTY === true && !process.env.NO_COLOR;
  if (format === "csv") out.write(CSV_HEADER);
  let alerts = 0;
  const sarif = format === "sarif" ? new SarifReport() : undefined;
  const spill = options.follow
    ? undefined
    : {
        budget: new SpillBudget(options.spillAfter ?? DEFAULT_SPILL_AFTER, options.spillDir),
        storedText: storedLineCodec(),
      };
  const engine = new DetectionEngine(ruleSet, {
    mode: options.follow ? "follow" : "batch",
    spill,
    allowedLatenessMs: options.allowedLateness,
    now,
    kibana: kibanaTargetOf(options),
    maxAlertsPerRun: options.maxAlertsPerRun,
    runsFor: windowed
      ? (rule) => {
          const settings = rule.rule as WindowSettings;
          return replay ? replayRuns(settings, replay.from, replay.to) : [ruleRun(settings, nowNs)];
        }
      : undefined,
    exceptionsFor: (rule) => exceptionsOf(rule.rule.rule_id),
    onAlert: (alert: AlertDocument, _rule, origins) => {
      alerts++;
      sarif?.add(alert, origins);
      if (format === "pretty") out.write(formatPretty(alert, color));
      else if (format === "ndjson") out.write(formatNdjson(alert));
      else if (format === "csv") out.write(formatCsv(alert));
    },
    onRuleError: (rule, error, origin) => {
      said(
        `${placeOf(origin ? [origin] : [])}rule "${rule.rule.name}" (${rule.rule.rule_id}) failed and is disabled: ${(error as Error).message ?? error}`,
      );
    },
    onAlertError: (rule, error, origins) => {
      said(
        `${placeOf(origins)}rule "${rule.rule.name}" (${rule.rule.rule_id}) matched, but the alert could not be built (counted, not alerted; the rule goes on): ${(error as Error).message ?? error}`,
      );
    },
    onAlertFieldsLeftOut: (rule, paths, origins) => {
      said(
        `${placeOf(origins)}warning: rule "${rule.rule.name}" (${rule.rule.rule_id}): its alert leaves out ${paths.join(", ")}, whose values the ECS mapping of an alerts index cannot hold, as Kibana does (said once per rule and field)`,
      );
    },
    onFutureEvent: (rule, time, origin) => {
      said(
        `${placeOf(origin ? [origin] : [])}warning: rule "${rule.rule.name}" (${rule.rule.rule_id}): an event dated ${eventTimeText(time)}, more than a minute ahead of the clock, is left out of its sequences and samples (said once per rule; the summary counts them)`,
      );
    },
  });

  let problems = 0;
  let workerThreads = 0;
  const readStats: ReadStats = { events: 0, skipped: 0, problems: 0, bytes: 0, inputBytes: 0 };
  const onProblem = (p: DecodeProblem) => {
    problems++;
    err(formatProblem(p));
  };
  const progress = startProgress(engine, () => alerts);
  const stop = new AbortController();
  const interrupt = () => {
    // Ctrl-C ends a --follow scan cleanly: pending sequences are flushed and the summary printed.
    stop.abort();
    if (!files.length || files.includes("-")) process.stdin.destroy();
  };
  // SIGTERM too: it is how a service manager, `docker stop` or `timeout` ends a follow;
  // and SIGHUP, the terminal closed: the alerts waiting still go to an --output file
  const hungUp = () => {
    hangUp();
    interrupt();
  };
  const stopSignals = { SIGINT: interrupt, SIGTERM: interrupt, SIGHUP: hungUp } as const;
  if (options.follow)
    for (const [signal, handler] of Object.entries(stopSignals)) process.once(signal, handler);
  const restoreSignals = spill ? removeRunsOnSignals(spill.budget) : () => {};
  try {
    const named = files.length ? files : ["-"];
    if (
      options.follow &&
      (named.length > 1 || (named[0] !== "-" && statSync(named[0], { throwIfNoEntry: false })?.isDirectory()))
    ) {
      err("eqlite: --follow reads one growing file or stdin");
      return 2;
    }
    const paths = options.follow ? named : eventFilesOf(named);
    if (!events) sayWhenReadingTerminal(paths);
    // --strict promises that every malformed line stops the scan: every line is parsed.
    const lineFilter =
      options.prefilter === false || options.strict ? undefined : lineFilterOf(ruleSet.filterRules);
    const readOptions = { strict: options.strict, onProblem, lineFilter, keepText: true };
    const { workers, stdin } =
      options.follow || events
        ? { workers: 0 }
        : await workerPlan(paths, options.workers, ruleSet.rules.length);
    workerThreads = workers;
    const input =
      events ??
      (options.follow && paths[0] !== "-"
        ? followedEvents(paths[0], readOptions, readStats, stop.signal)
        : workers > 0
          ? eventsThroughWorkers(
              paths,
              ruleSet.rules,
              { workers, prefilter: lineFilter !== undefined, strict: options.strict, onProblem, stdin },
              readStats,
            )
          : eventsFrom(paths, readOptions, readStats, stdin));
    for await (const item of input) {
      if ("rules" in item) engine.pushSelected(item);
      else engine.push(item.event, item.origin, item.text);
      if (stop.signal.aborted) break;
    }
    for (const [signal, handler] of Object.entries(stopSignals)) process.off(signal, handler);
    engine.finish();
  } catch (error) {
    progress.stop();
    if (reportInputError(error)) return 2;
    if (reportSpillError(error, err)) return 2;
    throw error;
  } finally {
    spill?.budget.close();
    restoreSignals();
  }
  progress.stop();
  if (format === "summary") out.write(formatSummary(summaryCounts(engine.ruleStats)));
  if (sarif) out.write(jsonDocument(sarif));
  if (options.output) {
    if (!writeFailure) {
      out.end();
      await finished(out).catch((error: Error) => {
        writeFailure ??= error;
      });
    }
    closeSync(outputCheck!);
    if (writeFailure) {
      err(
        `eqlite: writing alerts to ${options.output} failed: ${writeFailure.message}; the alerts after it are lost`,
      );
      return 2;
    }
  }
  if (!options.quiet) {
    err(
      scanSummary(
        // with worker threads the engine only sees the events some rule can use
        {
          events: events ? engine.events : readStats.events,
          skipped: readStats.skipped,
          problems,
          workers: workerThreads,
        },
        alerts,
        engine.ruleStats,
        ruleSet,
        warnings,
        engine.activity(),
      ),
    );
    const budget = spill?.budget;
    if (budget?.stats.runs) {
      const { items, runs, bytes } = budget.stats;
      err(
        `  ${items} sequence events held on disk (${runs} sorted runs, ${(bytes / 1e6).toFixed(0)} MB): more than --spill-after ${budget.limit} at once`,
      );
    }
  }
  return options.failOnAlert && alerts > 0 ? 1 : 0;
}

/** Below this much input, starting threads costs more than it saves. */
const WORKERS_FROM_BYTES = 32 << 20;
/**
 * Up to this many rules, a line that no rule can use costs little more than a search for
 * the rules' keys (see line-prefilter.ts): on two CPUs, threads' start-up costs more than
 * they save.
 */
const FEW_RULES = 48;

/**
 * Worker threads for a batch scan: as asked, else for large inputs one per CPU beyond the main
 * thread's — and with two CPUs, two when there are many rules. Measured on two CPUs with the
 * detection-rules corpus: the main thread's share (the sequences, given the hits workers read)
 * is a fifth of a worker's, and two workers beside it finish first. A pipe's size is known only
 * at its end, so its first 32 MiB are read ahead to decide (`stdin` then gives them again);
 * stdin among files is read on the main thread.
 */
async function workerPlan(
  paths: string[],
  asked: number | undefined,
  rules: number,
): Promise<{ workers: number; stdin?: AsyncIterable<Buffer> }> {
  if (paths.includes("-") && paths.length > 1) return { workers: 0 };
  if (asked !== undefined) return { workers: asked };
  const cpus = availableParallelism();
  if (cpus < 2 || (cpus === 2 && rules <= FEW_RULES)) return { workers: 0 };
  const wanted = cpus === 2 ? 2 : cpus - 1;
  if (paths[0] === "-") {
    const ahead = await readAhead(process.stdin, WORKERS_FROM_BYTES);
    return { workers: ahead.ended ? 0 : wanted, stdin: ahead.chunks };
  }
  const bytes = paths.reduce((sum, p) => sum + (statSync(p, { throwIfNoEntry: false })?.size ?? 0), 0);
  return { workers: bytes < WORKERS_FROM_BYTES ? 0 : wanted };
}

/** The events of the inputs on this thread; `stdin`, when given, is what `-` reads. */
async function* eventsFrom(
  paths: string[],
  options: ReadOptions,
  stats: ReadStats,
  stdin?: AsyncIterable<Buffer>,
): AsyncGenerator<InputEvent> {
  const stdinStats = { events: 0, skipped: 0, problems: 0, bytes: 0, inputBytes: 0 };
  const reader =
    stdin === undefined
      ? createEventReader(paths, options)
      : { events: readEventsFromStream(stdin, STDIN_NAME, options, stdinStats), stats: stdinStats };
  for await (const { event, source, line, text } of reader.events) {
    yield { event, origin: { source, line }, text };
  }
  stats.events += reader.stats.events;
  stats.skipped += reader.stats.skipped;
}

/** The events of a followed file; each file it comes to be (truncated, rotated) numbered from its first line. */
async function* followedEvents(
  path: string,
  options: ReadOptions,
  stats: ReadStats,
  signal: AbortSignal,
): AsyncGenerator<InputEvent> {
  const chunks = followFile(path, {
    signal,
    onWaiting: () =>
      process.stderr.write(`eqlite: waiting for ${visibleLine(path)} to be created (Ctrl-C stops)\n`),
  });
  let following = true;
  async function* untilFileStarts(): AsyncGenerator<Buffer> {
    for (;;) {
      const next = await chunks.next();
      if (next.done) following = false;
      if (next.done || next.value === FILE_STARTS) return;
      yield next.value;
    }
  }
  try {
    while (following)
      for await (const { event, source, line, text } of readEventsFromStream(
        untilFileStarts(),
        path,
        options,
        stats,
      ))
        yield { event, origin: { source, line }, text };
  } finally {
    await chunks.return(undefined);
  }
}

function summaryCounts(stats: RuleStats[]) {
  const counts = new Map<string, { rule: string; severity: string; alerts: number }>();
  for (const s of stats)
    if (s.alerts) counts.set(s.rule_id, { rule: s.name, severity: s.severity, alerts: s.alerts });
  return counts;
}

/** Where a rule's message comes from: `file:line: ` of each event it is about. */
const placeOf = (origins: ReadonlyArray<{ source: string; line: number }>): string =>
  origins.map((o) => `${o.source}:${o.line}: `).join("");

/** The closing lines on stderr: what was read, what alerted, what was left out and why. */
export function scanSummary(
  input: { events: number; skipped: number; problems: number; workers: number },
  alerts: number,
  stats: RuleStats[],
  idleRules: Pick<RuleSet, "notExecutable" | "disabled">,
  ruleWarnings: number,
  activity: readonly Pick<RuleActivity, "rule_id" | "late" | "future" | "evicted">[] = [],
): string {
  const { events, skipped, problems } = input;
  const activityOf = new Map(activity.map((a) => [a.rule_id, a]));
  const lines = [
    `eqlite: ${events} events read, ${problems} malformed lines skipped, ${alerts} alerts from ${stats.length} rules`,
  ];
  if (skipped)
    lines.push(
      `  ${skipped} more lines left unparsed: no loaded rule can match them (--no-prefilter parses all)`,
    );
  if (input.workers) lines.push(`  lines decoded and matched on ${input.workers} worker threads`);
  for (const s of stats
    .filter(
      (x) =>
        x.alerts ||
        x.overLimit ||
        x.alertErrors ||
        x.errors ||
        activityOf.get(x.rule_id)?.late ||
        activityOf.get(x.rule_id)?.future ||
        activityOf.get(x.rule_id)?.evicted,
    )
    .sort((a, b) => b.alerts - a.alerts)) {
    const { late, future, evicted } = activityOf.get(s.rule_id) ?? {};
    const extra = [
      s.suppressed && `${s.suppressed} matches suppressed into earlier alerts`,
      s.overLimit && `${s.overLimit} matches over max_signals not alerted`,
      // --follow: an event older than what the rule's sequences already ran past cannot join them
      late && `${late} events left out, older than what it had run past (--allowed-lateness)`,
      // --follow: a clock gone wrong must not move the rule's sequences years ahead
      future && `${future} events left out, dated more than a minute ahead of the clock`,
      // a bound on memory, not Elasticsearch's semantics: what these would have matched is lost
      evicted && `${evicted} partial sequences or sample keys dropped at the cap of 100,000 held`,
      s.alertErrors && `${s.alertErrors} matches whose alert could not be built`,
      s.excepted && `${s.excepted} events excepted`,
      s.filtered && `${s.filtered} events filtered out by its filters`,
      s.disabled && "disabled after an error",
    ].filter(Boolean);
    lines.push(
      `  ${String(s.alerts).padStart(5)}  ${visibleLine(s.severity).padEnd(8)}  ${visibleLine(s.name)}${extra.length ? ` (${extra.join("; ")})` : ""}`,
    );
  }
  const idle = Object.entries(idleRules.notExecutable).map(([type, n]) => `${n} ${type}`);
  if (idle.length) lines.push(`  rules not executable yet (loaded and checked only): ${idle.join(", ")}`);
  if (idleRules.disabled)
    lines.push(
      `  ${idleRules.disabled} rules disabled in their files (enabled = false) not run: --include-disabled runs them`,
    );
  if (ruleWarnings)
    lines.push(`  ${ruleWarnings} rule warnings: run \`eqlite validate\` on the rules to see them`);
  return lines.join("\n");
}

/** A throttled one-line status on stderr, only when it is a terminal. */
function startProgress(engine: DetectionEngine, alerts: () => number): { stop(): void } {
  if (!process.stderr.isTTY) return { stop() {} };
  const started = Date.now();
  const timer = setInterval(() => {
    const seconds = (Date.now() - started) / 1000;
    process.stderr.write(
      `\r${engine.events} events (${Math.round(engine.events / seconds)}/s), ${alerts()} alerts `,
    );
  }, 500);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      process.stderr.write("\r\u001b[K");
    },
  };
}
