import type { Command } from "commander";
import { ConfigError, resolveConfig, SETTINGS, writesToStdout } from "../server/config.ts";
import type { ServeExtensions } from "../server/service.ts";
import { BUNDLED_RULES } from "./bundled-rules.ts";
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
 * NATS (with --nats) cannot be reached.
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
  let service: Awaited<ReturnType<typeof startService>>;
  let extensions: ServeExtensions | undefined;
  try {
    extensions = await openServeRoles(config, { logger });
    service = await startService(config, { logger, extensions });
  } catch (error) {
    await extensions?.close?.().catch(() => {});
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
  let exitCode = 0;
  let stopping = false;
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, "stop requested");
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      process.off("SIGHUP", hangup);
      service.close().then(resolve, (error) => {
        logger.error({ err: error }, "shutdown failed");
        resolve();
      });
    };
    const hangup = () => {
      logger.info("SIGHUP: reloading rules");
      void service.reload();
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    process.on("SIGHUP", hangup);
    if (writesToStdout(config))
      onStdoutClosed(() => {
        if (stopping) return;
        logger.error(
          "stdout was closed by its reader: the alerts written there have nowhere to go; stopping (exit 1)",
        );
        exitCode = 1;
        stop("SIGPIPE");
      });
  });
  return exitCode;
}
