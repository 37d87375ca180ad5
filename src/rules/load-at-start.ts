import v8 from "node:v8";
import { isMainThread } from "node:worker_threads";
import { type LoadOptions, type LoadResult, loadRules } from "./load-rules.ts";

/**
 * `loadRules` for a command that has just started and has not yet started a worker thread.
 *
 * A cold process runs the whole load while V8 is still warming up: the TOML parser, the rule
 * schemas and the EQL parser and checks start in the interpreter while TurboFan optimizes them
 * on another thread. With inlining, TurboFan spent 40–90 ms on each of the parser's big
 * functions, on a second core that the garbage collector also needs: on a 2-core machine the
 * load waited for it. Without inlining the corpus's 1,081 EQL rules loaded in 717 ms instead
 * of 803 (medians of 8 alternating cold loads) and the process used 180 ms less CPU.
 *
 * Inlining is turned back on as soon as the load ends: what is optimized afterwards (matching
 * events, the hot path) is optimized as usual. V8's flags belong to the process, so a worker
 * thread running meanwhile would optimize without inlining too: hence "before any worker".
 * Nothing is changed when node was started with an inlining or JIT flag of its own.
 */
export async function loadRulesAtStart(
  paths: readonly string[],
  options: LoadOptions = {},
): Promise<LoadResult> {
  if (!tuneForStart()) return loadRules(paths, options);
  v8.setFlagsFromString("--no-turbo-inlining");
  try {
    return await loadRules(paths, options);
  } finally {
    v8.setFlagsFromString("--turbo-inlining");
  }
}

const tuneForStart = (): boolean =>
  isMainThread && !process.execArgv.some((arg) => /inlin|jitless|turbo/.test(arg));
