import { execFileSync } from "node:child_process";

/**
 * Makes under `root` a chain of directories deeper than a path may be (PATH_MAX), with an event
 * file at the bottom: made in a process of its own, one level at a time relative to the last,
 * since no absolute path can name it. What cannot read it says ENAMETOOLONG, even as root.
 */
export function makePathTooLong(root: string): void {
  const name = "d".repeat(250);
  const deepen = `const fs = require("node:fs"); process.chdir(process.argv[1]);
    for (let i = 0; i < 20; i++) { fs.mkdirSync("${name}"); process.chdir("${name}"); }
    fs.writeFileSync("deep.ndjson", "{}");`;
  execFileSync(process.execPath, ["-e", deepen, root]);
}

/** Removes a tree that may hold such a chain (Node's own rm needs whole paths). */
export const removeTree = (root: string): void => {
  execFileSync("rm", ["-rf", root]);
};
