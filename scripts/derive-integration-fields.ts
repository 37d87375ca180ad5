/**
 * Writes src/rules/data/integration-fields.json: the fields an integration package adds
 * beyond ECS, with their Elasticsearch types, from the package's public definitions
 * (`data_stream/<stream>/fields/fields*.yml`). Fields marked `external: ecs` are skipped:
 * ECS already gives their types.
 *
 *   node --import tsx scripts/derive-integration-fields.ts [PACKAGES_DIR]
 *
 * PACKAGES_DIR defaults to ../shared/cloud_defend/packages (relative to the project root).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const packagesDir =
  process.argv[2] ?? fileURLToPath(new URL("../../shared/cloud_defend/packages", import.meta.url));

interface FieldEntry {
  name: string;
  type?: string;
  external?: string;
}

/**
 * The field files are lists of `- name:` entries with `type:`, `external:` and nested
 * `fields:` under `group`s. That small, regular shape is read line by line, which spares
 * the project a YAML dependency for a build-time script.
 */
export function parseFieldList(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  // open entries by indentation: a nested entry's name is prefixed with its groups' names
  const stack: Array<{ indent: number; entry: FieldEntry }> = [];
  const flush = (entry: FieldEntry) => {
    if (entry.type && entry.type !== "group" && entry.external !== "ecs" && !(entry.name in out))
      out[entry.name] = entry.type;
  };
  for (const line of text.split(/\r?\n/)) {
    const item = /^(\s*)- name:\s*(\S+)\s*$/.exec(line);
    if (item) {
      const indent = item[1].length;
      while (stack.length && stack[stack.length - 1].indent >= indent) flush(stack.pop()!.entry);
      const parent = stack.length ? `${stack[stack.length - 1].entry.name}.` : "";
      stack.push({ indent, entry: { name: parent + unquote(item[2]) } });
      continue;
    }
    const property = /^(\s*)(type|external):\s*(\S+)\s*$/.exec(line);
    const top = stack[stack.length - 1];
    if (property && top && property[1].length === top.indent + 2) {
      top.entry[property[2] as "type" | "external"] = unquote(property[3]);
    }
  }
  while (stack.length) flush(stack.pop()!.entry);
  return out;
}

const unquote = (s: string): string => s.replace(/^(["'])(.*)\1$/, "$2");

function manifestValue(text: string, key: string): string | undefined {
  const match = new RegExp(`^${key}:\\s*(\\S+)\\s*$`, "m").exec(text);
  return match ? unquote(match[1]) : undefined;
}

function derive(): Record<string, { version: string; fields: Record<string, string> }> {
  const result: Record<string, { version: string; fields: Record<string, string> }> = {};
  for (const pkg of readdirSync(packagesDir).sort()) {
    const manifest = join(packagesDir, pkg, "manifest.yml");
    if (!existsSync(manifest)) continue;
    const manifestText = readFileSync(manifest, "utf8");
    const name = manifestValue(manifestText, "name") ?? pkg;
    const fields: Record<string, string> = {};
    const streams = join(packagesDir, pkg, "data_stream");
    for (const stream of existsSync(streams) ? readdirSync(streams).sort() : []) {
      const dir = join(streams, stream, "fields");
      if (!existsSync(dir)) continue;
      for (const file of readdirSync(dir).sort()) {
        if (!/^fields.*\.yml$/.test(file)) continue;
        for (const [field, type] of Object.entries(parseFieldList(readFileSync(join(dir, file), "utf8")))) {
          fields[field] ??= type;
        }
      }
    }
    const sorted = Object.fromEntries(Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : 1)));
    result[name] = { version: manifestValue(manifestText, "version") ?? "0.0.0", fields: sorted };
  }
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const integrations = derive();
  const out = new URL("../src/rules/data/integration-fields.json", import.meta.url);
  writeFileSync(out, `${JSON.stringify(integrations, null, 2)}\n`);
  for (const [name, { version, fields }] of Object.entries(integrations)) {
    process.stdout.write(`${name} ${version}: ${Object.keys(fields).length} fields\n`);
  }
  process.stdout.write(`→ ${out.pathname}\n`);
}
