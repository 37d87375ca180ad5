import { statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { visibleLine } from "../eql/terminal-text.ts";
import type { ResendReport } from "../io/sinks/resend.ts";
import { ConfigError, redactUrl, resolveWebhooks, SETTINGS } from "../server/config.ts";
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE } from "./main.ts";
import { addSettingOption } from "./setting-options.ts";

interface ResendFlags {
  config?: string;
  unsent?: string;
  dryRun?: boolean;
  [setting: string]: unknown;
}

/** serve's webhook settings, as resend uses them */
const WEBHOOK_HELP: Record<string, string> = {
  webhooks: "a webhook, repeatable: a dead letter goes to the one its sink names (webhook:HOST)",
  webhook_headers: "send this header to every webhook, repeatable",
  webhook_retry_timeout_ms:
    "retry failed alerts for this many ms, then give them up to the unsent file (default 600000)",
};

export function registerResendCommand(program: Command): void {
  const command = program
    .command("resend")
    .description(
      "send the alerts of webhook dead-letter files again, each to its webhook (serve's settings): exit 0 all delivered, 1 some not (they are in the unsent file), 2 bad usage",
    )
    .argument("<files...>", "dead-letter files (DATA_DIR/webhook-dead-letters.ndjson, moved aside first)")
    .option(
      "--config <file>",
      "serve's settings file, for its webhooks and their headers (env EQLITE_CONFIG)",
    );
  for (const setting of SETTINGS)
    if (setting.name in WEBHOOK_HELP) addSettingOption(command, setting, WEBHOOK_HELP[setting.name]);
  command
    .option(
      "--unsent <file>",
      "where what is not delivered goes (default: FILE.unsent.ndjson beside the first file)",
    )
    .option("--dry-run", "count the dead letters by webhook and say which are configured; send nothing")
    .action(async (files: string[], flags: ResendFlags, cmd: Command) => {
      cmd.parent?.setOptionValue("exitCode", await runResend(files, flags));
    });
}

export async function runResend(files: string[], flags: ResendFlags): Promise<number> {
  const err = (line: string) => process.stderr.write(`${line}\n`);
  let webhooks: ReturnType<typeof resolveWebhooks>;
  try {
    webhooks = resolveWebhooks({ file: flags.config, env: process.env, flags });
  } catch (error) {
    if (error instanceof ConfigError) {
      err(`eqlite resend: ${error.message}`);
      return EXIT_USAGE;
    }
    throw error;
  }
  for (const file of files) {
    const problem = unreadable(file);
    if (problem) {
      err(`eqlite resend: ${visibleLine(file)}: ${problem}`);
      return EXIT_USAGE;
    }
  }
  const unsentPath = flags.unsent ?? defaultUnsentPath(files[0]);
  if (files.some((file) => resolve(file) === resolve(unsentPath))) {
    err(
      `eqlite resend: the unsent file ${visibleLine(unsentPath)} is one of the files read; name another with --unsent`,
    );
    return EXIT_USAGE;
  }
  if (webhooks.webhooks.length === 0 && !flags.dryRun) {
    err(
      "eqlite resend: no webhook to send to: give serve's settings (--config FILE or EQLITE_CONFIG) or --webhook URL",
    );
    return EXIT_USAGE;
  }
  // loaded here, not with the CLI: the webhook sink and the logger cost every other command's start
  const [{ resendDeadLetters }, { createLogger }, { webhookTargets }] = await Promise.all([
    import("../io/sinks/resend.ts"),
    import("../server/logger.ts"),
    import("../server/webhook-targets.ts"),
  ]);
  const targets = webhookTargets(webhooks);
  const stop = new AbortController();
  const onSignal = () => {
    err("eqlite resend: stopping: what is not delivered yet goes to the unsent file");
    stop.abort();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let report: ResendReport;
  try {
    report = await resendDeadLetters({
      files,
      targets,
      unsentPath,
      dryRun: flags.dryRun,
      logger: createLogger("warn"),
      signal: stop.signal,
      webhook: { retryTimeoutMs: webhooks.webhookRetryTimeoutMs },
      onProblem: (message) => err(visibleLine(message)),
    });
  } catch (error) {
    err(`eqlite resend: ${(error as Error).message}`);
    return EXIT_USAGE;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  for (const line of summary(report, { dryRun: flags.dryRun === true, unsentPath, targets })) err(line);
  if (flags.dryRun) return EXIT_OK;
  return report.unsent > 0 ? EXIT_FINDINGS : EXIT_OK;
}

function unreadable(file: string): string | undefined {
  try {
    if (statSync(file).isDirectory()) return "is a directory, not a dead-letter file";
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return e.code === "ENOENT" ? "no such file" : e.message;
  }
  return undefined;
}

/** `dl.ndjson` → `dl.unsent.ndjson`, beside it. */
function defaultUnsentPath(file: string): string {
  const name = basename(file).replace(/\.ndjson$/, "");
  return join(dirname(file), `${name}.unsent.ndjson`);
}

function summary(
  report: ResendReport,
  context: { dryRun: boolean; unsentPath: string; targets: readonly { name: string; url: string }[] },
): string[] {
  const lines: string[] = [];
  const read = [...report.bySink.values()].reduce((n, c) => n + c.read, 0);
  lines.push(`${read} dead letter(s)${report.unreadable ? `, ${report.unreadable} unreadable line(s)` : ""}`);
  for (const [name, counts] of report.bySink) {
    const target = context.targets.find((t) => t.name === name);
    const where = target ? ` (${redactUrl(target.url)})` : "";
    if (!counts.configured) {
      lines.push(
        `  ${visibleLine(name)}: ${counts.read}, not sent: no configured webhook has this name (configured: ${context.targets.map((t) => t.name).join(", ") || "none"})`,
      );
      continue;
    }
    if (context.dryRun) {
      lines.push(`  ${visibleLine(name)}${where}: ${counts.read}`);
      continue;
    }
    const parts = [`${counts.delivered} delivered`];
    if (counts.refused) parts.push(`${counts.refused} refused again`);
    if (counts.interrupted) parts.push(`${counts.interrupted} not sent (stopped)`);
    lines.push(`  ${visibleLine(name)}${where}: ${counts.read}: ${parts.join(", ")}`);
  }
  if (context.dryRun) lines.push("dry run: nothing sent");
  else if (report.unsent > 0)
    lines.push(`${report.unsent} line(s) not delivered are in ${visibleLine(context.unsentPath)}`);
  else lines.push("every alert delivered");
  return lines;
}
