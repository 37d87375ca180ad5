import type { Command } from "commander";
import type { NatsAccess } from "../nats/connect.ts";
import { SETTINGS } from "../server/config.ts";

/**
 * How `worker` and `status` reach a secured cluster: credentials and TLS, each a flag or an
 * environment variable. They are serve's `nats_creds`, `nats_token` and `nats_tls_*`
 * settings, with the same flags, variables and help.
 */
export interface NatsAccessFlags {
  natsCreds?: string;
  natsToken?: string;
  natsTlsCa?: string;
  natsTlsCert?: string;
  natsTlsKey?: string;
}

type AccessKey = Exclude<keyof NatsAccess, "servers">;

/** serve's setting for each connection field */
const KEY_OF: Readonly<Record<string, AccessKey>> = {
  nats_creds: "creds",
  nats_token: "token",
  nats_tls_ca: "tlsCa",
  nats_tls_cert: "tlsCert",
  nats_tls_key: "tlsKey",
};

/** `nats-tls-ca` → `natsTlsCa`, as commander names the option */
const optionOf = (flag: string) =>
  flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof NatsAccessFlags;

const ACCESS = SETTINGS.filter((s) => Object.hasOwn(KEY_OF, s.name)).map((s) => ({
  setting: s,
  key: KEY_OF[s.name],
  option: optionOf(s.flag),
}));

export function withNatsAccessFlags(command: Command): Command {
  for (const { setting } of ACCESS)
    command.option(`--${setting.flag} ${setting.arg}`, `${setting.help} (env ${setting.env})`);
  return command;
}

/** Flags over the environment over `fallback` (status's `--config`). */
export function natsAccessOf(
  flags: NatsAccessFlags,
  env: NodeJS.ProcessEnv,
  fallback: Partial<NatsAccess> = {},
): Omit<NatsAccess, "servers"> {
  const access: Omit<NatsAccess, "servers"> = {};
  for (const { setting, key, option } of ACCESS) {
    const value = flags[option] ?? env[setting.env] ?? fallback[key];
    if (value !== undefined) access[key] = value;
  }
  return access;
}
