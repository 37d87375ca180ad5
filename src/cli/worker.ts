import { readFileSync } from "node:fs";
import { type Command, InvalidArgumentError, Option } from "commander";
import { parsePartitionList } from "../worker/partition-list.ts";
import type { Worker } from "../worker/worker.ts";
import {
  defaultWorkerId,
  settingsProblems,
  WORKER_DEFAULTS,
  type WorkerSettings,
} from "../worker/worker-settings.ts";
import { BUNDLED_RULES } from "./bundled-rules.ts";
import { type KibanaFlags, kibanaTargetOf, withKibanaFlags } from "./kibana-flags.ts";
import { listenForLifecycleSignals } from "./lifecycle-signals.ts";
import { type NatsAccessFlags, natsAccessOf, withNatsAccessFlags } from "./nats-access-flags.ts";

const collect = (value: string, previous: string[] = []) => [...previous, value];

const whole =
  (flag: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  (value: string) => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max)
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? `${flag} takes a whole number >= ${min}`
          : `${flag} takes a whole number from ${min} to ${max}`,
      );
    return Number(value);
  };

interface WorkerFlags extends NatsAccessFlags, KibanaFlags {
  nats?: string;
  rules?: string[];
  exceptions?: string[];
  id?: string;
  partitions: number;
  replicas: number;
  leaseTtl: number;
  checkpointInterval: number;
  own?: string;
  allowedLateness: number;
  idleFlush: number;
  ingestLag: number;
  replayLimit: number;
  snapshotInterval: number;
  stopTimeout: number;
  watchRules: boolean;
  metrics?: string;
  logLevel: string;
}

export function registerWorkerCommand(program: Command): void {
  const command = withNatsAccessFlags(
    program
      .command("worker")
      .description(
        "a scale-out worker on NATS JetStream: owns event partitions through leases and runs the rules over them, alerts to the alerts stream",
      )
      .option(
        "--nats <urls>",
        "NATS server URLs, comma-separated (env EQLITE_NATS; default nats://127.0.0.1:4222)",
      ),
  )
    .option("--rules <path>", "rule file or directory, repeatable (default: the bundled rules/)", collect)
    .option("--exceptions <file>", "exceptions for all rules, repeatable", collect)
    .option("--id <name>", "this worker's name (env EQLITE_WORKER_ID; default hostname-pid)")
    .option(
      "--partitions <n>",
      "event partitions, fixed per deployment",
      whole("--partitions", 1),
      WORKER_DEFAULTS.partitions,
    )
    .option(
      "--replicas <n>",
      "replicas of the streams and buckets this worker creates",
      // JetStream's own bound, as serve's --nats-replicas
      whole("--replicas", 1, 5),
      WORKER_DEFAULTS.replicas,
    )
    .option(
      "--lease-ttl <ms>",
      "a partition whose owner stops renewing is taken over after this",
      whole("--lease-ttl", 1000),
      WORKER_DEFAULTS.leaseTtlMs,
    )
    .option(
      "--checkpoint-interval <ms>",
      "how often alerts are awaited, messages acknowledged and the checkpoint written",
      whole("--checkpoint-interval", 10),
      WORKER_DEFAULTS.checkpointIntervalMs,
    )
    .option("--own <partitions>", "static ownership instead of rendezvous: e.g. 0-15,global")
    .option(
      "--allowed-lateness <ms>",
      "how late an event may arrive and still be put in order",
      whole("--allowed-lateness", 0),
      WORKER_DEFAULTS.allowedLatenessMs,
    )
    .option(
      "--idle-flush <ms>",
      "a sequence stream with no event for this long (stream time) releases what it holds",
      whole("--idle-flush", 1),
      WORKER_DEFAULTS.idleFlushMs,
    )
    .option(
      "--ingest-lag <ms>",
      "the longest delay between an event's @timestamp and its storage in the events stream",
      whole("--ingest-lag", 0),
      WORKER_DEFAULTS.ingestLagMs,
    )
    .option(
      "--replay-limit <ms>",
      "rules whose look-back is longer are restored from snapshots instead of replayed",
      whole("--replay-limit", 0),
      WORKER_DEFAULTS.replayLimitMs,
    )
    .option(
      "--snapshot-interval <ms>",
      "how often the long-window rules' held events are snapshotted",
      whole("--snapshot-interval", 0),
      WORKER_DEFAULTS.snapshotIntervalMs,
    )
    .option(
      "--stop-timeout <ms>",
      "SIGTERM hands the partitions over; those not done after this (alerts the stream does not take) are left to their next owners' replay, exit 1",
      whole("--stop-timeout", 1),
      WORKER_DEFAULTS.stopTimeoutMs,
    )
    .option("--no-watch-rules", "reload on SIGHUP only, not when the rule files change")
    .option(
      "--metrics <[host:]port>",
      "serve GET /metrics (Prometheus) and /healthz on this address; the host defaults to 127.0.0.1 (env EQLITE_WORKER_METRICS)",
    );
  withKibanaFlags(command, "flags and environment")
    .addOption(
      new Option("--log-level <level>", "log level (env EQLITE_LOG_LEVEL)")
        .choices(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
        .default(process.env.EQLITE_LOG_LEVEL ?? "info"),
    )
    .action(async (flags: WorkerFlags, command: Command) => {
      command.parent?.setOptionValue("exitCode", await runWorker(flags));
    });
}

/**
 * Runs a worker until SIGTERM or SIGINT, which hand its partitions over (exit 0; 1 when
 * `--stop-timeout` cut a handover short); SIGHUP reloads the rules, and one while it starts is
 * remembered; a stop while it starts ends it by the signal. Exit 2 on invalid settings or rules,
 * 1 when NATS cannot be reached.
 */
export async function runWorker(flags: WorkerFlags): Promise<number> {
  const err = (line: string) => process.stderr.write(`eqlite worker: ${line}\n`);
  const servers = (flags.nats ?? process.env.EQLITE_NATS ?? WORKER_DEFAULTS.servers.join(","))
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  let kibana: WorkerSettings["kibana"];
  try {
    kibana = kibanaTargetOf(flags, process.env);
  } catch (error) {
    err((error as Error).message);
    return 2;
  }
  let settings: WorkerSettings;
  try {
    settings = {
      ...WORKER_DEFAULTS,
      servers,
      ...natsAccessOf(flags, process.env),
      rules: flags.rules?.length ? flags.rules : [BUNDLED_RULES],
      exceptions: flags.exceptions ?? [],
      id: flags.id ?? process.env.EQLITE_WORKER_ID ?? defaultWorkerId(),
      partitions: flags.partitions,
      replicas: flags.replicas,
      leaseTtlMs: flags.leaseTtl,
      checkpointIntervalMs: flags.checkpointInterval,
      own: flags.own === undefined ? undefined : parsePartitionList(flags.own, flags.partitions),
      allowedLatenessMs: flags.allowedLateness,
      idleFlushMs: flags.idleFlush,
      ingestLagMs: flags.ingestLag,
      replayLimitMs: flags.replayLimit,
      snapshotIntervalMs: flags.snapshotInterval,
      stopTimeoutMs: flags.stopTimeout,
      watchRules: flags.watchRules,
      kibana,
    };
  } catch (error) {
    err(`--own: ${(error as Error).message}`);
    return 2;
  }
  const problems = settingsProblems(settings);
  const metricsAt = flags.metrics ?? process.env.EQLITE_WORKER_METRICS;
  const listen = metricsAt === undefined ? undefined : listenAddress(metricsAt);
  if (listen === null)
    problems.push(`--metrics: "${metricsAt}" is not [host:]port (9464, 0.0.0.0:9464, [::1]:9464)`);
  if (problems.length) {
    for (const p of problems) err(p);
    return 2;
  }
  // loaded here, not with the CLI: NATS and the engine cost every other command's start
  const { createLogger } = await import("../server/logger.ts");
  const logger = createLogger(flags.logLevel).child({ role: "worker", worker: settings.id });
  // Heard from here on, not once the worker runs: Node's default for each of these signals ends
  // the process, and a start takes seconds (modules, rules, the connection, up to a minute's wait
  // for a JetStream leader). A SIGHUP then (a reload right after a restart) ended the worker.
  let worker: Worker | undefined;
  let reloadWhenStarted = false;
  let stopped!: () => void;
  const stopDone = new Promise<void>((resolve) => {
    stopped = resolve;
  });
  const stop = (signal: NodeJS.Signals) => {
    signals.stopping();
    if (!worker) {
      // nothing is owned yet: end as the signal ends a process, rather than wait out the start
      logger.info({ signal }, "stop requested while starting: nothing is owned yet; ending now");
      process.kill(process.pid, signal);
      return;
    }
    logger.info({ signal }, "stop requested: handing partitions over");
    worker.close().then(stopped, (error) => {
      logger.error({ err: error }, "shutdown failed");
      stopped();
    });
  };
  const hangup = () => {
    if (!worker) {
      // the rules were read when the start began: a change since then is what the operator wants
      reloadWhenStarted = true;
      logger.info("SIGHUP while starting: the rules are reloaded once the worker runs");
      return;
    }
    logger.info("SIGHUP: reloading rules");
    void worker.reload();
  };
  const hangupWhileStopping = () => {
    logger.info("SIGHUP while stopping: ignored, the partitions are being handed over");
  };
  const signals = listenForLifecycleSignals({ stop, hangup, hangupWhileStopping });
  const [{ NatsConnectError }, { RuleBundleError }, { Worker }, { startOpsServer }] = await Promise.all([
    import("../nats/connect.ts"),
    import("../server/rule-bundle.ts"),
    import("../worker/worker.ts"),
    import("../worker/ops-server.ts"),
  ]);
  try {
    worker = await Worker.start(settings, logger, packageVersion());
  } catch (error) {
    signals.unlisten();
    if (error instanceof RuleBundleError || error instanceof RangeError) {
      err(error.message);
      return 2;
    }
    err(error instanceof NatsConnectError ? error.message : `cannot start: ${(error as Error).message}`);
    return 1;
  }
  if (reloadWhenStarted) {
    logger.info("reloading the rules, as a SIGHUP asked while starting");
    void worker.reload();
  }
  let ops: Awaited<ReturnType<typeof startOpsServer>> | undefined;
  if (listen) {
    try {
      ops = await startOpsServer(listen.host, listen.port, worker);
    } catch (error) {
      signals.unlisten();
      err(`--metrics: cannot listen on ${metricsAt}: ${(error as Error).message}`);
      await worker.close();
      return 1;
    }
    logger.info({ url: ops.url }, `metrics at ${ops.url}/metrics, health at ${ops.url}/healthz`);
  }
  await stopDone;
  await ops?.close();
  // nothing is lost (nothing was checkpointed past an unstored alert), but the stop was not clean
  return worker.stopCutShort > 0 ? 1 : 0;
}

/** `9464`, `0.0.0.0:9464`, `[::1]:9464`; null when it is none of these. */
function listenAddress(text: string): { host: string; port: number } | null {
  const m = /^(?:(?:\[([^\]]+)\]|([^:[\]]+)):)?(\d{1,5})$/.exec(text.trim());
  if (!m || Number(m[3]) > 65535) return null;
  return { host: m[1] ?? m[2] ?? "127.0.0.1", port: Number(m[3]) };
}

function packageVersion(): string {
  try {
    return JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version;
  } catch {
    return "unknown";
  }
}
