/**
 * One timed load over the files given, in a fresh process: the cold half of
 * bench/rules-load.ts. The files are loaded as the commands load them when they start
 * (`loadRulesAtStart`). Every rule's executable query is prepared inside the timing (parsed
 * and checked, as a scan does at once); its predicates are compiled when an event first
 * reaches the rule, and with `--predicates` for every rule inside the timing too. With
 * `--cache DIR` the rule cache in DIR is used, and filled for the next run.
 */
import type * as EventQueriesModule from "../src/eql/event-queries.ts";
import type * as LoadAtStartModule from "../src/rules/load-at-start.ts";
import type * as RuleCacheModule from "../src/rules/rule-cache.ts";

const args = process.argv.slice(2);
const predicatesAt = args.indexOf("--predicates");
const predicates = predicatesAt >= 0 && args.splice(predicatesAt, 1).length > 0;
const cacheAt = args.indexOf("--cache");
const cacheDir = cacheAt >= 0 ? args.splice(cacheAt, 2)[1] : undefined;
const [implementation, ...files] = args;
const { loadRulesAtStart } = (await import(
  implementation.replace(/load-rules\.(ts|js)$/, "load-at-start.$1")
)) as typeof LoadAtStartModule;
const { eventQueriesOf } = (await import(
  implementation.replace(/rules\/load-rules\.(ts|js)$/, "eql/event-queries.$1")
)) as typeof EventQueriesModule;
const { RuleCache } = (await import(
  implementation.replace(/load-rules\.(ts|js)$/, "rule-cache.$1")
)) as typeof RuleCacheModule;
// module loading is start-up, not load time (docs/performance.md): the rule schemas, which
// loadRules imports only for a file the cache does not hold, are loaded before the timing too
if (cacheDir === undefined) await import(implementation.replace(/load-rules\.(ts|js)$/, "rule-document.$1"));

const started = process.hrtime.bigint();
const cache = cacheDir === undefined ? undefined : RuleCache.open(cacheDir, "bench");
const result = await loadRulesAtStart(files, { cache });
for (const rule of result.rules) {
  const execution = rule.query?.execution();
  if (!predicates || !execution) continue;
  const compiler = execution.compiler();
  for (const query of eventQueriesOf(execution.statement)) compiler.compileEventQuery(query);
}
const ms = Number(process.hrtime.bigint() - started) / 1e6;
cache?.save();
process.stdout.write(`${ms}\n`);
