/**
 * Checking untrusted objects (a line of a Kibana export, a table of a TOML file)
 * and turning them into the model's types, with a message saying what is wrong
 * when they do not fit. The rules are Kibana's schema's: `match` and `wildcard`
 * take one non-empty string, `match_any` a non-empty array of them, `exists` and
 * `list` no value, `nested` an array of match/match_any/wildcard/exists entries.
 *
 * Only own properties are read, so a `__proto__` or `constructor` key in the
 * input is just an unknown key.
 */
import {
  ENTRY_TYPES,
  type ExceptionEntry,
  type ExceptionItem,
  type ExceptionList,
  type ItemComment,
  LIST_TYPES,
  NAMESPACE_TYPES,
  type NamespaceType,
  type NestedInnerEntry,
  OPERATORS,
  type Operator,
} from "./model.ts";

export type Decoded<T> = { value: T } | { error: string };

export type Raw = Record<string, unknown>;

export function isRaw(value: unknown): value is Raw {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** An own property, never one inherited from Object.prototype. */
export function own(o: Raw, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

export interface EntryOptions {
  /** numbers and booleans accepted where strings are expected (hand-written files) */
  lenientValues?: boolean;
}

/** One entry; `where` prefixes messages, e.g. `entries[2]`. */
export function decodeEntry(
  raw: unknown,
  where: string,
  options: EntryOptions = {},
): Decoded<ExceptionEntry> {
  return decodeAnyEntry(raw, where, options, false);
}

function decodeAnyEntry(
  raw: unknown,
  where: string,
  options: EntryOptions,
  inNested: boolean,
): Decoded<ExceptionEntry> {
  const fail = (message: string): Decoded<ExceptionEntry> => ({ error: `${where}: ${message}` });
  if (!isRaw(raw)) return fail("an entry must be an object");
  const type = own(raw, "type");
  if (typeof type !== "string" || !(ENTRY_TYPES as readonly string[]).includes(type))
    return fail(
      type === undefined
        ? `missing "type" (one of ${ENTRY_TYPES.join(", ")})`
        : `unknown entry type ${JSON.stringify(type)} (expected one of ${ENTRY_TYPES.join(", ")})`,
    );
  const field = own(raw, "field");
  if (typeof field !== "string" || field === "") return fail(`${type} entry without a "field"`);
  const operatorRaw = own(raw, "operator") ?? "included";
  if (typeof operatorRaw !== "string" || !(OPERATORS as readonly string[]).includes(operatorRaw))
    return fail(`unknown operator ${JSON.stringify(operatorRaw)} (expected included or excluded)`);
  const operator = operatorRaw as Operator;
  const value = own(raw, "value");

  switch (type) {
    case "match":
    case "wildcard": {
      const text = scalarText(value, options);
      if (text === null) return fail(`${type} entry on "${field}" needs a non-empty string "value"`);
      return { value: { type, field, operator, value: text } };
    }
    case "match_any": {
      if (!Array.isArray(value) || value.length === 0)
        return fail(`match_any entry on "${field}" needs a non-empty array "value"`);
      const texts: string[] = [];
      for (const v of value) {
        const text = scalarText(v, options);
        if (text === null)
          return fail(`match_any entry on "${field}": every value must be a non-empty string`);
        texts.push(text);
      }
      return { value: { type, field, operator, value: texts } };
    }
    case "exists":
      if (value !== undefined) return fail(`exists entry on "${field}" cannot have a "value"`);
      return { value: { type, field, operator } };
    case "list": {
      if (inNested) return fail("a nested entry cannot hold a list entry");
      if (value !== undefined) return fail(`list entry on "${field}" cannot have a "value"`);
      const list = own(raw, "list");
      if (!isRaw(list)) return fail(`list entry on "${field}" needs "list": {id, type}`);
      const id = own(list, "id");
      const listType = own(list, "type");
      if (typeof id !== "string" || id === "") return fail(`list entry on "${field}" needs a "list.id"`);
      if (typeof listType !== "string" || !LIST_TYPES.includes(listType))
        return fail(`list entry on "${field}": unknown value list type ${JSON.stringify(listType)}`);
      return { value: { type, field, operator, list: { id, type: listType } } };
    }
    default: {
      if (inNested) return fail("a nested entry cannot hold another nested entry");
      const entries = own(raw, "entries");
      if (!Array.isArray(entries) || entries.length === 0)
        return fail(`nested entry on "${field}" needs a non-empty "entries" array`);
      const inner: NestedInnerEntry[] = [];
      for (let i = 0; i < entries.length; i++) {
        const decoded = decodeAnyEntry(entries[i], `${where}.entries[${i}]`, options, true);
        if ("error" in decoded) return decoded;
        inner.push(decoded.value as NestedInnerEntry);
      }
      return { value: { type: "nested", field, operator, entries: inner } };
    }
  }
}

/** Kibana values are strings; hand-written files may say `value = 443`, read as Elasticsearch would: "443". */
function scalarText(value: unknown, options: EntryOptions): string | null {
  if (typeof value === "string") return value === "" ? null : value;
  if (options.lenientValues && (typeof value === "number" || typeof value === "boolean"))
    return String(value);
  return null;
}

/** A list of entries, all of which must decode (an item with one broken entry would except too much). */
export function decodeEntries(
  raw: unknown,
  where: string,
  options: EntryOptions = {},
): Decoded<ExceptionEntry[]> {
  if (!Array.isArray(raw) || raw.length === 0)
    return { error: `${where}: needs a non-empty array of entries` };
  const entries: ExceptionEntry[] = [];
  for (let i = 0; i < raw.length; i++) {
    const decoded = decodeEntry(raw[i], `${where}[${i}]`, options);
    if ("error" in decoded) return decoded;
    entries.push(decoded.value);
  }
  return { value: entries };
}

export function decodeNamespaceType(raw: unknown): Decoded<NamespaceType> {
  if (raw === undefined) return { value: "single" };
  if (typeof raw === "string" && (NAMESPACE_TYPES as readonly string[]).includes(raw))
    return { value: raw as NamespaceType };
  return { error: `unknown namespace_type ${JSON.stringify(raw)} (expected single or agnostic)` };
}

export function decodeStrings(raw: unknown, key: string): Decoded<string[] | undefined> {
  if (raw === undefined) return { value: undefined };
  if (Array.isArray(raw) && raw.every((v) => typeof v === "string")) return { value: raw as string[] };
  return { error: `"${key}" must be an array of strings` };
}

/** An ISO 8601 time, as Kibana stores `expire_time`; a string JavaScript cannot read is an error. */
export function decodeTime(raw: unknown, key: string): Decoded<string | undefined> {
  if (raw === undefined || raw === null) return { value: undefined };
  if (raw instanceof Date && !Number.isNaN(raw.getTime())) return { value: raw.toISOString() };
  if (typeof raw === "string" && !Number.isNaN(Date.parse(raw))) return { value: raw };
  return { error: `"${key}" is not a date and time: ${JSON.stringify(raw)}` };
}

function optionalString(o: Raw, key: string): string | undefined {
  const v = own(o, key);
  return typeof v === "string" ? v : undefined;
}

function decodeComments(raw: unknown): ItemComment[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  const comments: ItemComment[] = [];
  for (const c of raw) {
    if (!isRaw(c) || typeof own(c, "comment") !== "string") continue;
    const comment: ItemComment = { comment: own(c, "comment") as string };
    for (const key of ["id", "created_at", "created_by"] as const) {
      const v = optionalString(c, key);
      if (v !== undefined) comment[key] = v;
    }
    comments.push(comment);
  }
  return comments;
}

/** An exception list item of Kibana's API / export shape. */
export function decodeItem(raw: Raw): Decoded<ExceptionItem> {
  const itemId = own(raw, "item_id");
  const name = optionalString(raw, "name");
  const label =
    typeof itemId === "string"
      ? `exception item "${name ?? itemId}"${name ? ` (${itemId})` : ""}`
      : "exception item";
  const fail = (message: string): Decoded<ExceptionItem> => ({ error: `${label}: ${message}` });
  if (typeof itemId !== "string" || itemId === "") return fail(`missing "item_id"`);
  const listId = own(raw, "list_id");
  if (typeof listId !== "string" || listId === "") return fail(`missing "list_id"`);
  const entries = decodeEntries(own(raw, "entries"), "entries");
  if ("error" in entries) return fail(entries.error);
  const namespace = decodeNamespaceType(own(raw, "namespace_type"));
  if ("error" in namespace) return fail(namespace.error);
  const osTypes = decodeStrings(own(raw, "os_types"), "os_types");
  if ("error" in osTypes) return fail(osTypes.error);
  const tags = decodeStrings(own(raw, "tags"), "tags");
  if ("error" in tags) return fail(tags.error);
  const expire = decodeTime(own(raw, "expire_time"), "expire_time");
  if ("error" in expire) return fail(expire.error);

  const item: ExceptionItem = {
    item_id: itemId,
    list_id: listId,
    name: name ?? itemId,
    entries: entries.value,
    namespace_type: namespace.value,
  };
  const id = optionalString(raw, "id");
  if (id !== undefined) item.id = id;
  const description = optionalString(raw, "description");
  if (description !== undefined) item.description = description;
  const type = optionalString(raw, "type");
  if (type !== undefined) item.type = type;
  if (osTypes.value !== undefined) item.os_types = osTypes.value;
  if (expire.value !== undefined) item.expire_time = expire.value;
  const comments = decodeComments(own(raw, "comments"));
  if (comments !== undefined) item.comments = comments;
  if (tags.value !== undefined) item.tags = tags.value;
  return { value: item };
}

/** An exception list (the container items belong to) of Kibana's API / export shape. */
export function decodeList(raw: Raw): Decoded<ExceptionList> {
  const listId = own(raw, "list_id");
  if (typeof listId !== "string" || listId === "") return { error: `exception list: missing "list_id"` };
  const fail = (message: string): Decoded<ExceptionList> => ({
    error: `exception list "${listId}": ${message}`,
  });
  const type = own(raw, "type");
  if (typeof type !== "string") return fail(`missing "type"`);
  const namespace = decodeNamespaceType(own(raw, "namespace_type"));
  if ("error" in namespace) return fail(namespace.error);
  const osTypes = decodeStrings(own(raw, "os_types"), "os_types");
  if ("error" in osTypes) return fail(osTypes.error);
  const tags = decodeStrings(own(raw, "tags"), "tags");
  if ("error" in tags) return fail(tags.error);

  const list: ExceptionList = {
    list_id: listId,
    name: optionalString(raw, "name") ?? listId,
    type,
    namespace_type: namespace.value,
  };
  const id = optionalString(raw, "id");
  if (id !== undefined) list.id = id;
  const description = optionalString(raw, "description");
  if (description !== undefined) list.description = description;
  if (osTypes.value !== undefined) list.os_types = osTypes.value;
  if (tags.value !== undefined) list.tags = tags.value;
  const version = own(raw, "version");
  if (typeof version === "number") list.version = version;
  return { value: list };
}
