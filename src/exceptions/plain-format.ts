/**
 * eqlite's plain exception format: TOML written by hand next to the rules.
 * Every problem becomes a `file:line[:column]: message` diagnostic and costs
 * only the table it is in; the rest of the file still loads.
 *
 * The format (all keys but `entries` optional):
 *
 *     [[value_list]]
 *     id = "build-hosts"               # default: the file's base name
 *     type = "keyword"                 # keyword | ip | ip_range; default: the file's header, else keyword
 *     file = "lists/build-hosts.txt"   # relative to this file; or inline: values = ["a", "b"]
 *
 *     [[exception]]
 *     name = "CI runners install packages"
 *     id = "ci-apt"                    # item_id; default: "<file name>#<n>"
 *     rules = ["<rule_id>", ...]       # or all_rules = true, or list_id = "..." (see below)
 *     list_id = "team-exceptions"      # joins the list of that id, for rules whose exceptions_list names it
 *     os_types = ["linux"]
 *     expire_time = 2026-12-31T00:00:00Z
 *     description = "..."
 *     tags = ["..."]
 *     entries = [
 *       { field = "process.name", type = "match_any", value = ["apt", "apt-get"] },
 *       { field = "host.name", type = "list", list = "build-hosts" },
 *       { field = "user.name", type = "match", operator = "excluded", value = "root" },
 *     ]
 *
 * Entries are Kibana's (`match`, `match_any`, `wildcard`, `exists`, `list`,
 * `nested` with its own `entries`); `operator` defaults to `included`, `value`
 * may be a number or boolean, and `list` may name a `[[value_list]]` of this file
 * instead of giving `{ id, type }`. An exception with none of `rules`,
 * `all_rules` and `list_id` applies to all rules when the file was given as "for
 * all rules" (`--exceptions FILE`), and to none (with a warning) otherwise.
 */
import { basename, dirname, join } from "node:path";
import { parse, TomlError } from "smol-toml";
import {
  decodeEntries,
  decodeNamespaceType,
  decodeStrings,
  decodeTime,
  isRaw,
  own,
  type Raw,
} from "./decode.ts";
import {
  addValueList,
  appendTo,
  emptyExceptions,
  type LoadedExceptions,
  type LoadOptions,
} from "./loaded.ts";
import { diagnosticAt, type ExceptionItem, type Origin, VALUE_LIST_TYPES } from "./model.ts";
import {
  buildValueList,
  DEFAULT_MAX_VALUE_LIST_BYTES,
  isValueListType,
  readValueListFile,
} from "./value-lists.ts";

/** A file of the format described at the top of this module; value list files are read relative to `file`. */
export async function loadPlainExceptions(
  text: string,
  file: string,
  options: LoadOptions = {},
): Promise<LoadedExceptions> {
  const loaded = emptyExceptions();
  let doc: Raw;
  try {
    doc = parse(text.replace(/^\uFEFF/, "")) as Raw;
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const message = error.message.split("\n")[0].replace(/^Invalid TOML document: /, "");
    loaded.diagnostics.push({
      severity: "error",
      file,
      line: error.line,
      column: error.column,
      message: `invalid TOML: ${message}`,
    });
    return loaded;
  }
  const lines = text.split("\n");
  const warnAt = (line: number | undefined, message: string): void => {
    loaded.diagnostics.push(diagnosticAt("warning", line === undefined ? { file } : { file, line }, message));
  };

  if (Object.hasOwn(doc, "metadata") && Object.hasOwn(doc, "exceptions")) {
    loaded.diagnostics.push(
      diagnosticAt(
        "error",
        { file, line: 1 },
        "this is a detection-rules exception file ([metadata] and [[exceptions]]), which eqlite does not read; " +
          "export the lists from Kibana as NDJSON, or write [[exception]] tables",
      ),
    );
    return loaded;
  }
  for (const key of Object.keys(doc))
    if (key !== "exception" && key !== "value_list")
      warnAt(
        lineOfKey(lines, key),
        `unknown key "${key}" (expected [[exception]] and [[value_list]] tables)`,
      );

  const listTables = tables(doc, "value_list", lines, file, loaded);
  for (const { table, line } of listTables)
    await readDeclaredValueList(table, { file, line }, loaded, options);
  const exceptionTables = tables(doc, "exception", lines, file, loaded);
  exceptionTables.forEach(({ table, line }, n) => {
    readPlainException(table, n, { file, line }, loaded, options);
  });
  return loaded;
}

/** The tables of an array of tables, each with the line of its `[[name]]` header when it has one. */
function tables(
  doc: Raw,
  name: string,
  lines: string[],
  file: string,
  loaded: LoadedExceptions,
): Array<{ table: Raw; line: number | undefined }> {
  const value = own(doc, name);
  if (value === undefined) return [];
  const headers = headerLines(lines, name);
  if (!Array.isArray(value) || !value.every(isRaw)) {
    loaded.diagnostics.push(
      diagnosticAt(
        "error",
        { file, line: lineOfKey(lines, name) ?? 1 },
        `"${name}" must be [[${name}]] tables`,
      ),
    );
    return [];
  }
  // Headers inside multi-line strings or inline arrays of tables would make the count differ: no lines then.
  const located = headers.length === value.length;
  return value.map((table, i) => ({ table, line: located ? headers[i] : undefined }));
}

function headerLines(lines: string[], name: string): number[] {
  const header = new RegExp(`^\\s*\\[\\[\\s*${name}\\s*\\]\\]\\s*(#.*)?$`);
  const found: number[] = [];
  lines.forEach((line, i) => {
    if (header.test(line.replace(/\r$/, ""))) found.push(i + 1);
  });
  return found;
}

/** The first line that assigns `key` or opens a table of that name: good enough to point at a typo. */
function lineOfKey(lines: string[], key: string): number | undefined {
  const i = lines.findIndex((line) => {
    const t = line.trim().replace(/^\[+\s*/, "");
    const rest = t.startsWith(`"${key}"`)
      ? t.slice(key.length + 2)
      : t.startsWith(key)
        ? t.slice(key.length)
        : null;
    return rest !== null && /^\s*[=.\]]/.test(rest);
  });
  return i < 0 ? undefined : i + 1;
}

const VALUE_LIST_KEYS = new Set(["id", "type", "file", "values"]);

async function readDeclaredValueList(
  table: Raw,
  at: Origin,
  loaded: LoadedExceptions,
  options: LoadOptions,
): Promise<void> {
  const error = (message: string): void => {
    loaded.diagnostics.push(diagnosticAt("error", at, message));
  };
  for (const key of Object.keys(table))
    if (!VALUE_LIST_KEYS.has(key))
      loaded.diagnostics.push(diagnosticAt("warning", at, `unknown key "${key}" in [[value_list]]`));
  const id = own(table, "id");
  const type = own(table, "type");
  const path = own(table, "file");
  const values = own(table, "values");
  if (id !== undefined && (typeof id !== "string" || id === ""))
    return error(`value list "id" must be a string`);
  if (type !== undefined && !isValueListType(type))
    return error(
      `value list type must be one of ${VALUE_LIST_TYPES.join(", ")}, not ${JSON.stringify(type)}`,
    );
  if ((path === undefined) === (values === undefined))
    return error(`a [[value_list]] needs either "file" or "values"`);

  if (values !== undefined) {
    if (!Array.isArray(values) || !values.every((v) => ["string", "number", "boolean"].includes(typeof v)))
      return error(`value list "values" must be an array of strings`);
    if (typeof id !== "string") return error(`a [[value_list]] with inline "values" needs an "id"`);
    const lines = values.map((v) =>
      at.line === undefined ? { text: String(v) } : { text: String(v), line: at.line },
    );
    const built = buildValueList(id, type ?? "keyword", lines, at.file);
    loaded.diagnostics.push(...built.diagnostics);
    addValueList(loaded, built.list, at);
    return;
  }
  if (typeof path !== "string" || path === "") return error(`value list "file" must be a path`);
  const resolved = join(dirname(at.file), path);
  const read = await readValueListFile(resolved, {
    ...(typeof id === "string" ? { id } : {}),
    ...(type !== undefined ? { type } : {}),
    maxBytes: options.valueListMaxBytes ?? DEFAULT_MAX_VALUE_LIST_BYTES,
  });
  const label = `value list "${typeof id === "string" ? id : basename(path)}"`;
  // Problems with the file as a whole belong to the table that names it; those of a line, to that line.
  for (const d of read.diagnostics)
    loaded.diagnostics.push(
      d.line === undefined ? diagnosticAt(d.severity, at, `${label}: ${resolved}: ${d.message}`) : d,
    );
  if (read.list) addValueList(loaded, read.list, at);
}

const EXCEPTION_KEYS = new Set([
  "name",
  "id",
  "description",
  "rules",
  "all_rules",
  "list_id",
  "namespace_type",
  "os_types",
  "expire_time",
  "entries",
  "tags",
]);

interface PlainException {
  item: ExceptionItem;
  rules: string[];
  allRules: boolean;
  hasListId: boolean;
}

function readPlainException(
  table: Raw,
  n: number,
  at: Origin,
  loaded: LoadedExceptions,
  options: LoadOptions,
): void {
  const name = typeof own(table, "name") === "string" ? (own(table, "name") as string) : undefined;
  const label = `exception ${name === undefined ? `#${n + 1}` : JSON.stringify(name)}`;
  for (const key of Object.keys(table))
    if (!EXCEPTION_KEYS.has(key))
      loaded.diagnostics.push(diagnosticAt("warning", at, `${label}: unknown key "${key}" (ignored)`));
  const decoded = decodePlainException(table, name, n, at, loaded);
  if (typeof decoded === "string") {
    loaded.diagnostics.push(diagnosticAt("error", at, `${label}: ${decoded}; not loaded`));
    return;
  }
  const { item, rules, allRules, hasListId } = decoded;
  if (allRules) {
    if (rules.length > 0)
      loaded.diagnostics.push(
        diagnosticAt("warning", at, `${label}: "rules" is ignored because all_rules = true`),
      );
    loaded.allRules.push(item);
  } else {
    for (const ruleId of new Set(rules)) appendTo(loaded.byRuleId, ruleId, item);
  }
  if (hasListId) loaded.items.push(item);
  if (!allRules && rules.length === 0 && !hasListId) {
    if (options.allRules) loaded.allRules.push(item);
    else
      loaded.diagnostics.push(
        diagnosticAt(
          "warning",
          at,
          `${label} applies to no rule: give it rules, all_rules = true or a list_id`,
        ),
      );
  }
}

/** The item of an [[exception]] table and where it goes, or what is wrong with it. */
function decodePlainException(
  table: Raw,
  name: string | undefined,
  n: number,
  at: Origin,
  loaded: LoadedExceptions,
): PlainException | string {
  const id = own(table, "id") ?? `${basename(at.file)}#${n + 1}`;
  if (typeof id !== "string" || id === "") return `"id" must be a non-empty string`;
  const listId = own(table, "list_id");
  if (listId !== undefined && (typeof listId !== "string" || listId === ""))
    return `"list_id" must be a non-empty string`;
  const rules = decodeStrings(own(table, "rules"), "rules");
  if ("error" in rules) return rules.error;
  const allRules = own(table, "all_rules");
  if (allRules !== undefined && typeof allRules !== "boolean") return `"all_rules" must be true or false`;
  const osTypes = decodeStrings(own(table, "os_types"), "os_types");
  if ("error" in osTypes) return osTypes.error;
  const tags = decodeStrings(own(table, "tags"), "tags");
  if ("error" in tags) return tags.error;
  const expire = decodeTime(own(table, "expire_time"), "expire_time");
  if ("error" in expire) return expire.error;
  const namespace = decodeNamespaceType(own(table, "namespace_type"));
  if ("error" in namespace) return namespace.error;
  const description = own(table, "description");
  if (description !== undefined && typeof description !== "string") return `"description" must be a string`;

  let rawEntries = own(table, "entries");
  if (Array.isArray(rawEntries)) {
    const resolved = rawEntries.map((entry, i) => resolveListShorthand(entry, `entries[${i}]`, loaded));
    const failed = resolved.find((r) => typeof r === "string");
    if (failed !== undefined) return failed as string;
    rawEntries = resolved;
  }
  const entries = decodeEntries(rawEntries, "entries", { lenientValues: true });
  if ("error" in entries) return entries.error;

  const item: ExceptionItem = {
    item_id: id,
    // Items that join no list still need one in Kibana's shape: the file's name says where they come from.
    list_id: typeof listId === "string" ? listId : basename(at.file),
    name: name ?? id,
    entries: entries.value,
    namespace_type: namespace.value,
    type: "simple",
    origin: at,
  };
  if (typeof description === "string") item.description = description;
  if (osTypes.value !== undefined) item.os_types = osTypes.value;
  if (expire.value !== undefined) item.expire_time = expire.value;
  if (tags.value !== undefined) item.tags = tags.value;
  return { item, rules: rules.value ?? [], allRules: allRules === true, hasListId: listId !== undefined };
}

/**
 * `list = "id"` names a value list declared in the file, whose type it takes;
 * Kibana's `{ id, type }` form passes through. A string is the error message.
 */
function resolveListShorthand(entry: unknown, where: string, loaded: LoadedExceptions): unknown {
  if (!isRaw(entry) || typeof own(entry, "list") !== "string") return entry;
  const id = own(entry, "list") as string;
  const list = loaded.valueLists.get(id);
  if (list === undefined)
    return `${where}: value list "${id}" is not declared by a [[value_list]] of this file (or could not be read); write list = { id = "${id}", type = "..." } for a list loaded elsewhere`;
  return { ...entry, list: { id, type: list.type } };
}
