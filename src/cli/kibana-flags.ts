import { type Command, InvalidArgumentError } from "commander";
import { checkedSpaceId, type KibanaTarget, kibanaBaseUrl, kibanaTarget } from "../engine/alert-url.ts";
import { SETTINGS } from "../server/config.ts";

/**
 * `--space` and `--kibana-url`, as scan and worker take them: serve's `space_id` and
 * `kibana_url` settings, with the same flags and help.
 */
export interface KibanaFlags {
  space?: string;
  kibanaUrl?: string;
}

const settingOf = (name: string) => SETTINGS.find((s) => s.name === name)!;
const SPACE = settingOf("space_id");
const KIBANA_URL = settingOf("kibana_url");

/**
 * Adds the two flags, each checked as it is parsed. `whence`: whether the command also reads
 * `EQLITE_SPACE_ID` and `EQLITE_KIBANA_URL` (worker, as serve does; a scan reads no variables).
 */
export function withKibanaFlags(command: Command, whence: "flags" | "flags and environment"): Command {
  const env = (setting: typeof SPACE) => (whence === "flags" ? "" : ` (env ${setting.env})`);
  const parsed = (check: (value: string) => string) => (value: string) => {
    try {
      return check(value);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
  return command
    .option(`--${SPACE.flag} ${SPACE.arg}`, `${SPACE.help}${env(SPACE)}`, parsed(checkedSpaceId))
    .option(
      `--${KIBANA_URL.flag} ${KIBANA_URL.arg}`,
      `${KIBANA_URL.help}${env(KIBANA_URL)}`,
      parsed(kibanaBaseUrl),
    );
}

/**
 * The target the flags name, over the environment when given one. Throws a TypeError naming
 * the variable when one holds something the flag would refuse (the flags were checked as parsed).
 */
export function kibanaTargetOf(flags: KibanaFlags, env: NodeJS.ProcessEnv = {}): KibanaTarget {
  return kibanaTarget(
    { spaceId: flags.space ?? env[SPACE.env], kibanaUrl: flags.kibanaUrl ?? env[KIBANA_URL.env] },
    (field, message) => new TypeError(`${(field === "spaceId" ? SPACE : KIBANA_URL).env}: ${message}`),
  );
}
