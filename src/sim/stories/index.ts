import type { Story } from "../story.ts";
import { hostEscape } from "./host-escape.ts";
import { interactiveExec } from "./interactive-exec.ts";
import { noninteractiveExec } from "./noninteractive-exec.ts";
import { packageInstall } from "./package-install.ts";
import { reverseShell } from "./reverse-shell.ts";
import { saTokenTheft } from "./sa-token-theft.ts";

export const STORIES: readonly Story[] = [
  interactiveExec,
  noninteractiveExec,
  reverseShell,
  saTokenTheft,
  packageInstall,
  hostEscape,
];
