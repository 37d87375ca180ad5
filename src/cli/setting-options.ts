import { type Command, Option } from "commander";
import type { Setting } from "../server/config.ts";

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** A serve setting as a flag, with its environment variable in the help; lists repeat, booleans have a --no- form. */
export function addSettingOption(command: Command, setting: Setting, help = setting.help): void {
  const flag = `--${setting.flag}${setting.arg ? ` ${setting.arg}` : ""}`;
  help = `${help} (env ${setting.env})`;
  if (setting.kind === "list" || setting.kind === "headers")
    command.addOption(new Option(flag, help).argParser(collect));
  else if (setting.kind === "bool") {
    command.addOption(new Option(flag, help));
    command.addOption(new Option(`--no-${setting.flag}`, `turn ${setting.flag} off`).hideHelp());
  } else command.addOption(new Option(flag, help));
}
