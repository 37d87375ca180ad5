/**
 * One timed load over the files given, in a fresh process: the cold half of
 * bench/rules-load.ts. Every rule's executable query is compiled inside the timing (it is
 * compiled when first asked, which a scan does at once). With `--cache DIR` the rule cache
 * in DIR is used, and filled for the next run.
 */
import type * as LoadRulesModule from "../src/rules/load-rules.ts";
import type * as RuleCacheModule from "../src/rules/rule-cache.ts";

const args = process.argv.slice(2);
const cacheAt = args.indexOf("--cache");
const cacheDir = cacheAt >= 0 ? args.splice(cacheAt, 2)[1] : undefined;
const [implementation, ...files] = args;
const { loadRules } = (await import(implementation)) as typeof LoadRulesModule;
const { RuleCache } = (await import(
  implementation.replace(/load-rules\.(ts|js)$/, "rule-cache.$1")
)) as typeof RuleCacheModule;

const started = process.hrtime.bigint();
const cache = cacheDir === undefined ? undefined : RuleCache.open(cacheDir, "bench");
const result = await loadRules(files, { cache });
for (const rule of result.rules) rule.query?.execution();
const ms = Number(process.hrtime.bigint() - started) / 1e6;
cache?.save();
process.stdout.write(`${ms}\n`);
