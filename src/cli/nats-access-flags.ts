import type { Command } from "commander";
import type { NatsAccess } from "../nats/connect.ts";

/**
 * How `worker` and `status` reach a secured cluster: credentials and TLS, each a flag or an
 * environment variable. `serve` takes the same settings from its config table (`nats_creds`,
 * `nats_tls_ca`, ...), under the same flag and variable names.
 */
export interface NatsAccessFlags {
  natsCreds?: string;
  natsToken?: string;
  natsTlsCa?: string;
  natsTlsCert?: string;
  natsTlsKey?: string;
}

type AccessKey = Exclude<keyof NatsAccess, "servers">;

const ACCESS: ReadonlyArray<{ flag: string; option: keyof NatsAccessFlags; key: AccessKey; help: string }> = [
  { flag: "--nats-creds <file>", option: "natsCreds", key: "creds", help: "NATS credentials file" },
  { flag: "--nats-token <token>", option: "natsToken", key: "token", help: "NATS authentication token" },
  {
    flag: "--nats-tls-ca <file>",
    option: "natsTlsCa",
    key: "tlsCa",
    help: "PEM CA certificates for the NATS servers' certificates; makes TLS required",
  },
  {
    flag: "--nats-tls-cert <file>",
    option: "natsTlsCert",
    key: "tlsCert",
    help: "PEM client certificate for servers that verify clients; needs --nats-tls-key",
  },
  {
    flag: "--nats-tls-key <file>",
    option: "natsTlsKey",
    key: "tlsKey",
    help: "the client certificate's PEM key",
  },
];

/** `EQLITE_NATS_TLS_CA` for `--nats-tls-ca`: the name serve's config table gives it too. */
const envOf = (flag: string) => `EQLITE_${flag.slice(2).split(" ")[0].replaceAll("-", "_").toUpperCase()}`;

export function withNatsAccessFlags(command: Command): Command {
  for (const { flag, help } of ACCESS) command.option(flag, `${help} (env ${envOf(flag)})`);
  return command;
}

/** Flags over the environment over `fallback` (status's `--config`). */
export function natsAccessOf(
  flags: NatsAccessFlags,
  env: NodeJS.ProcessEnv,
  fallback: Partial<NatsAccess> = {},
): Omit<NatsAccess, "servers"> {
  const access: Omit<NatsAccess, "servers"> = {};
  for (const { flag, option, key } of ACCESS) {
    const value = flags[option] ?? env[envOf(flag)] ?? fallback[key];
    if (value !== undefined) access[key] = value;
  }
  return access;
}
