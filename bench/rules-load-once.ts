/** One timed `loadRules` over the files given: the cold half of bench/rules-load.ts. */
import type * as LoadRulesModule from "../src/rules/load-rules.ts";

const [implementation, ...files] = process.argv.slice(2);
const { loadRules } = (await import(implementation)) as typeof LoadRulesModule;
const started = process.hrtime.bigint();
await loadRules(files);
process.stdout.write(`${Number(process.hrtime.bigint() - started) / 1e6}\n`);
