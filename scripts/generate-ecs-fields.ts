/**
 * Writes src/rules/data/ecs-fields.json: every ECS field (multi-fields included) with its
 * Elasticsearch type. The project ships this compact list instead of depending on
 * `@elastic/ecs` at run time: the package is 14 MB and `validate` only needs names and types.
 *
 *   node --import tsx scripts/generate-ecs-fields.ts
 */
import { writeFileSync } from "node:fs";
import { EcsFlat, EcsVersion } from "@elastic/ecs";

interface EcsFlatField {
  type: string;
  multi_fields?: Array<{ flat_name: string; type: string }>;
}

const fields: Record<string, string> = {};
for (const [name, field] of Object.entries(EcsFlat as Record<string, EcsFlatField>)) {
  fields[name] = field.type;
  for (const multi of field.multi_fields ?? []) fields[multi.flat_name] = multi.type;
}

const sorted = Object.fromEntries(Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
const out = new URL("../src/rules/data/ecs-fields.json", import.meta.url);
writeFileSync(out, `${JSON.stringify({ ecs_version: EcsVersion, fields: sorted }, null, 2)}\n`);
process.stdout.write(`ECS ${EcsVersion}: ${Object.keys(sorted).length} fields → ${out.pathname}\n`);
