import type { Command } from "commander";
import { ConfigError, resolveConfig, SETTINGS, writesToStdout } from "../server/config.ts";
import type { ServeExtensions, Service } from "../server/service.ts";
import { BUNDLED_RULES } from "./bundled-rules.ts";
import { listenForLifecycleSignals } from "./lifecycle-signals.ts";
import { addSettingOption } from "./setting-options.ts";
import { onStdoutClosed } from "./stdout-closed.ts";

export function registerServeCommand(program: Command): void {
  const command = program
    .command("serve")
    .description(
      "the streaming service: events over HTTP (the Elasticsearch _bulk API and /ingest) through the rules, alerts out",
    )
    .option("--config <file>", "settings file, TOML (.toml) or JSON (env EQLITE_CONFIG)");
  for (const setting of SETTINGS) addSettingOption(command, setting);
  command.action(async (options: Record<string, unknown>, cmd: Command) => {
    cmd.parent?.setOptionValue("exitCode", await runServe(options));
  });
}

/**
 * Runs the service until SIGTERM or SIGINT, which drain it (exit 0); SIGHUP reloads the
 * rules. Exit 2 when the settings or the rules are invalid or the address is refused; 1 when
 * NATS (with --nats) cannot be reached. The signals are heard from the start: a stop while
 * the write-ahead log is replayed ends the replay at the next batch (what is left stays in
 * the log for the next start) and exits as any stop does; a SIGHUP then is remembered, and
 * the rules reloaded once the service listens.
 */
export async function runServe(flags: Record<string, unknown>): Promise<number> {
  const err = (line: string) => process.stderr.write(`${line}\n`);
  let config: ReturnType<typeof resolveConfig>;
  try {
    config = resolveConfig({
      file: flags.config as string | undefined,
      env: process.env,
      flags,
      defaultRules: [BUNDLED_RULES],
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      err(`eqlite serve: ${error.message}`);
      return 2;
    }
    throw error;
  }
  // loaded here, not with the CLI: the server's modules (HTTP, SQLite, NATS) cost every other command's start
  const [
    { NatsConnectError },
    { createLogger },
    { RuleBundleError },
    { openServeRoles },
    { ServeError, startService },
  ] = await Promise.all([
    import("../nats/connect.ts"),
    import("../server/logger.ts"),
    import("../server/rule-bundle.ts"),
    import("../server/serve-roles.ts"),
    import("../server/service.ts"),
  ]);
  const logger = createLogger(config.logLevel);
  let service: Service | undefined;
  let exitCode = 0;
  let stopping = false;
  let reloadWhenStarted = false;
  /** aborted by a stop asked for before the service listens */
  const starting = new AbortController();
  let stopped!: () => void;
  const done = new Promise<void>((resolve) => {
    stopped = resolve;
  });
  const close = (running: Service) =>
    running.close().then(stopped, (error) => {
      logger.error({ err: error }, "shutdown failed");
      stopped();
    });
  /** connecting to NATS, which waits up to a minute for a cluster without a leader and cannot be cut short */
  let connecting = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stop requested");
    signals.stopping();
    if (connecting) {
      // nothing is running yet: end as the signal ends a process, rather than wait out the connection
      logger.info("stopping while connecting to NATS: nothing to drain");
      process.kill(process.pid, signal);
      return;
    }
    if (service) close(service);
    else starting.abort(new Error(`${signal} while starting`));
  };
  const hangup = () => {
    if (!service) {
      // the rules were read when the start began: a change since then is what the operator wants
      reloadWhenStarted = true;
      logger.info("SIGHUP while starting: the rules are reloaded once the service listens");
      return;
    }
    logger.info("SIGHUP: reloading rules");
    void service.reload();
  };
  const hangupWhileStopping = () => {
    logger.info("SIGHUP while stopping: ignored, the service is draining");
  };
  const signals = listenForLifecycleSignals({ stop, hangup, hangupWhileStopping });
  try {
    let extensions: ServeExtensions | undefined;
    try {
      connecting = config.nats !== undefined;
      extensions = await openServeRoles(config, { logger });
      connecting = false;
      if (starting.signal.aborted) {
        await extensions?.close?.();
        logger.info("eqlite serve stopped before it started");
        return 0;
      }
      service = await startService(config, { logger, extensions, signal: starting.signal });
    } catch (error) {
      // startService stopped what it had started, the extensions with it
      if (starting.signal.aborted && error === starting.signal.reason) return 0;
      if (error instanceof NatsConnectError) {
        err(`eqlite serve: ${error.message}`);
        return 1;
      }
      if (error instanceof ServeError || error instanceof RuleBundleError) {
        err(`eqlite serve: ${error.message}`);
        return 2;
      }
      throw error;
    }
    // asked for after the replay, while the port was being opened: a stop like any other
    if (starting.signal.aborted) close(service);
    else if (reloadWhenStarted) {
      logger.info("reloading the rules, as a SIGHUP asked while starting");
      void service.reload();
    }
    if (writesToStdout(config))
      onStdoutClosed(() => {
        if (stopping) return;
        logger.error(
          "stdout was closed by its reader: the alerts written there have nowhere to go; stopping (exit 1)",
        );
        exitCode = 1;
        stop("SIGPIPE");
      });
    await done;
    return exitCode;
  } finally {
    signals.unlisten();
  }
}
