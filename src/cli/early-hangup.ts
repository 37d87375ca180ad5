/**
 * `serve` and `worker` reload their rules on SIGHUP, but listen for it only once their modules
 * have loaded (lifecycle-signals.ts): until then Node's default ends the process, and a reload
 * sent right after a (re)start would kill it. Imported first by the entry, this ignores SIGHUP
 * meanwhile: no rule has been read yet, and the rules are read as they are then.
 */
const RELOADING_COMMANDS = new Set(["serve", "worker"]);

export const ignoreEarlyHangup = (): void => {};

if (RELOADING_COMMANDS.has(process.argv[2] ?? "")) process.on("SIGHUP", ignoreEarlyHangup);
