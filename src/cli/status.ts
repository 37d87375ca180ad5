import type { Command } from "commander";
import { jsonDocument } from "../eql/terminal-text.ts";
import type { ClusterStatus } from "../nats/cluster-status.ts";
import { ConfigError, resolveConfig } from "../server/config.ts";
import { type NatsAccessFlags, natsAccessOf, withNatsAccessFlags } from "./nats-access-flags.ts";

interface StatusFlags extends NatsAccessFlags {
  nats?: string;
  partitions?: string;
  config?: string;
  json?: boolean;
  group: boolean;
}

const DEFAULT_SERVERS = ["nats://127.0.0.1:4222"];

export function registerStatusCommand(program: Command): void {
  withNatsAccessFlags(
    program
      .command("status")
      .description(
        "the state of a NATS deployment: per partition its owner, epoch, checkpoint and lag; the streams, workers and alert sinks",
      )
      .option(
        "--nats <urls>",
        "NATS server URLs, comma-separated (env EQLITE_NATS; default nats://127.0.0.1:4222)",
      )
      .option("--partitions <n>", "the deployment's partition count (default: what the workers say, else 64)")
      .option("--config <file>", "take the NATS settings from serve's config file ([nats] table)"),
  )
    .option("--json", "print the status as JSON")
    .option("--no-group", "one row per partition instead of runs with the same owner")
    .action(async (flags: StatusFlags, command: Command) => {
      command.parent?.setOptionValue("exitCode", await runStatus(flags));
    });
}

/** Exit 0 with the status printed, 1 when NATS cannot be reached, 2 on bad usage. */
export async function runStatus(flags: StatusFlags): Promise<number> {
  const err = (line: string) => process.stderr.write(`eqlite status: ${line}\n`);
  let fromConfig: ReturnType<typeof resolveConfig>["nats"];
  try {
    fromConfig = flags.config ? resolveConfig({ file: flags.config, env: {} }).nats : undefined;
  } catch (error) {
    if (error instanceof ConfigError) {
      err(error.message);
      return 2;
    }
    throw error;
  }
  const serversText = flags.nats ?? process.env.EQLITE_NATS;
  const servers = serversText
    ? serversText
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : (fromConfig?.servers ?? DEFAULT_SERVERS);
  let partitions: number | undefined = fromConfig?.partitions;
  if (flags.partitions !== undefined) {
    partitions = Number(flags.partitions);
    if (!/^\d+$/.test(flags.partitions) || partitions < 1 || partitions > 4096) {
      err(`--partitions: "${flags.partitions}" is not a partition count from 1 to 4096`);
      return 2;
    }
  }
  // loaded here, not with the CLI: the NATS client costs every other command's start
  const [{ readClusterStatus }, { connectNats, NatsConnectError }, { renderStatus }] = await Promise.all([
    import("../nats/cluster-status.ts"),
    import("../nats/connect.ts"),
    import("../nats/status-table.ts"),
  ]);
  let nc: Awaited<ReturnType<typeof connectNats>>;
  try {
    nc = await connectNats({ servers, ...natsAccessOf(flags, process.env, fromConfig) }, "eqlite-status");
  } catch (error) {
    if (error instanceof NatsConnectError) {
      err(error.message);
      return 1;
    }
    throw error;
  }
  let status: ClusterStatus;
  try {
    status = await readClusterStatus(nc, { partitions });
  } catch (error) {
    err(`reading the deployment's state from ${nc.getServer()} failed: ${(error as Error).message ?? error}`);
    return 1;
  } finally {
    await nc.close().catch(() => {});
  }
  process.stdout.write(flags.json ? jsonDocument(status) : renderStatus(status, { ungrouped: !flags.group }));
  return 0;
}
