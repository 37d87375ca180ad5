/**
 * Value lists: the sets of values `list` exception entries test membership in.
 * Kibana keeps them in an index and imports them from text files, one value per
 * line; eqlite reads such files directly.
 *
 * File format: one value per line; blank lines and lines starting with `#` are
 * ignored, and surrounding whitespace (a Windows `\r` included) is trimmed. Before
 * the first value, header comments may say what the file is:
 *
 *     # value_list_type: ip_range
 *     # value_list_id: trusted-networks
 *
 * Types: `keyword` (exact text, the default), `ip` (addresses, compared in
 * canonical form so `::ffff:10.0.0.1` is `10.0.0.1`), `ip_range` (CIDR blocks,
 * single addresses, and `first-last` dash ranges, bounds included).
 */
import { createReadStream } from "node:fs";
import { basename } from "node:path";
import { CidrError, canonicalIp, compareIps, compileCidrMatcher } from "../eql/cidr.ts";
import { CorruptStreamError, readAll } from "../io/decompress.ts";
import { type Diagnostic, VALUE_LIST_TYPES, type ValueListType } from "./model.ts";

/** Kibana only turns lists up to this many items into query clauses (`MAXIMUM_SMALL_VALUE_LIST_SIZE`). */
export const KIBANA_MAX_LIST_ITEMS = 65_536;
/** ...and ip_range lists with at most this many dash ranges (`MAXIMUM_SMALL_IP_RANGE_VALUE_LIST_DASH_SIZE`). */
export const KIBANA_MAX_DASH_RANGES = 200;

const MiB = 1024 * 1024;
/** Far above anything Kibana imports (9 MB by default), far below what would hurt. */
export const DEFAULT_MAX_VALUE_LIST_BYTES = 32 * MiB;

export type ListValue = string | number | boolean;

export interface ValueList {
  id: string;
  type: ValueListType;
  /** values read, as Kibana counts list items (duplicates included) */
  size: number;
  /** `a-b` ranges among them (ip_range lists) */
  dashRanges: number;
  /** where the list came from, for messages */
  source: string;
  /** whether one scalar of an event field is in the list */
  has(value: ListValue): boolean;
}

export interface ValueLine {
  text: string;
  /** 1-based line in `source`, for messages */
  line?: number;
}

export interface BuiltValueList {
  list: ValueList;
  diagnostics: Diagnostic[];
}

export function isValueListType(type: unknown): type is ValueListType {
  return typeof type === "string" && (VALUE_LIST_TYPES as readonly string[]).includes(type);
}

/**
 * A value list from values already split into lines. Values that do not fit the
 * type (a host name in an `ip` list) are reported and left out; the rest of the
 * list still works.
 */
export function buildValueList(
  id: string,
  type: ValueListType,
  values: readonly ValueLine[],
  source: string,
): BuiltValueList {
  const diagnostics: Diagnostic[] = [];
  const bad = (v: ValueLine, message: string): void => {
    const d: Diagnostic = { severity: "error", file: source, message };
    if (v.line !== undefined) d.line = v.line;
    diagnostics.push(d);
  };
  let has: (value: ListValue) => boolean;
  let dashRanges = 0;
  if (type === "keyword") {
    const set = new Set(values.map((v) => v.text));
    has = (value) => set.has(typeof value === "string" ? value : String(value));
  } else if (type === "ip") {
    const set = new Set<string>();
    for (const v of values) {
      const ip = canonicalIp(v.text);
      if (ip === null) bad(v, `"${v.text}" is not an IP address; left out of ip list "${id}"`);
      else set.add(ip);
    }
    has = (value) => {
      if (typeof value !== "string") return false;
      const ip = canonicalIp(value);
      return ip !== null && set.has(ip);
    };
  } else {
    const ranges: IpRange[] = [];
    const blocks: string[] = [];
    for (const v of values) {
      const problem = v.text.includes("-") ? addDashRange(v.text, ranges) : addBlock(v.text, blocks);
      if (problem !== null) bad(v, `${problem}; left out of ip_range list "${id}"`);
    }
    dashRanges = ranges.length;
    has = ipRangeTest(blocks, mergeRanges(ranges));
  }
  const list: ValueList = { id, type, size: values.length, dashRanges, source, has };
  diagnostics.push(...limitWarnings(list));
  return { list, diagnostics };
}

interface IpRange {
  lo: string;
  hi: string;
}

function addDashRange(text: string, ranges: IpRange[]): string | null {
  const dash = text.indexOf("-");
  const lo = canonicalIp(text.slice(0, dash).trim());
  const hi = canonicalIp(text.slice(dash + 1).trim());
  if (lo === null || hi === null) return `"${text}" is not a range of two IP addresses`;
  if (compareIps(lo, hi) > 0) return `"${text}" is an empty range (its first address is after its last)`;
  ranges.push({ lo, hi });
  return null;
}

function addBlock(text: string, blocks: string[]): string | null {
  try {
    compileCidrMatcher([text]);
  } catch (error) {
    if (error instanceof CidrError) return `"${text}" is not a CIDR block or an IP address`;
    throw error;
  }
  blocks.push(text);
  return null;
}

/** Sorted, overlaps merged: membership becomes one binary search instead of a scan of every range. */
function mergeRanges(ranges: IpRange[]): IpRange[] {
  const sorted = [...ranges].sort((a, b) => compareIps(a.lo, b.lo));
  const merged: IpRange[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && compareIps(r.lo, last.hi) <= 0) {
      if (compareIps(r.hi, last.hi) > 0) last.hi = r.hi;
    } else {
      merged.push({ ...r });
    }
  }
  return merged;
}

function ipRangeTest(blocks: string[], ranges: IpRange[]): (value: ListValue) => boolean {
  const inBlocks = blocks.length > 0 ? compileCidrMatcher(blocks) : () => false;
  const inRanges = (ip: string): boolean => {
    let low = 0;
    let high = ranges.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const r = ranges[mid];
      if (compareIps(ip, r.lo) < 0) high = mid - 1;
      else if (compareIps(ip, r.hi) > 0) low = mid + 1;
      else return true;
    }
    return false;
  };
  return (value) => {
    if (typeof value !== "string") return false;
    if (inBlocks(value)) return true;
    if (ranges.length === 0) return false;
    const ip = canonicalIp(value);
    return ip !== null && inRanges(ip);
  };
}

/**
 * Kibana does not apply exceptions that use larger lists to EQL rules (it only
 * logs a warning). eqlite holds them in memory and applies them, but says so,
 * because the same rule in Kibana would alert where eqlite does not.
 */
function limitWarnings(list: ValueList): Diagnostic[] {
  const warnings: Diagnostic[] = [];
  const warn = (message: string): void => {
    warnings.push({ severity: "warning", file: list.source, message });
  };
  if (list.size > KIBANA_MAX_LIST_ITEMS)
    warn(
      `value list "${list.id}" has ${list.size} items, more than Kibana's limit of ${KIBANA_MAX_LIST_ITEMS}: ` +
        "Kibana would not apply exceptions using it to EQL rules; eqlite applies them",
    );
  if (list.dashRanges > KIBANA_MAX_DASH_RANGES)
    warn(
      `value list "${list.id}" has ${list.dashRanges} dash ranges, more than Kibana's limit of ` +
        `${KIBANA_MAX_DASH_RANGES}: Kibana would not apply exceptions using it to EQL rules; eqlite applies them`,
    );
  return warnings;
}

export interface ValueListTextOptions {
  /** the file name, for messages and as the default id */
  source: string;
  /** overrides the header's `value_list_id`; default: the header's, else the file's base name (as Kibana names imported lists) */
  id?: string;
  /** overrides the header's `value_list_type`; default: the header's, else `keyword` */
  type?: ValueListType;
}

const HEADER = /^#\s*value_list_(type|id)\s*[:=]\s*(.*?)\s*$/i;

/** A value list from the text of a file in the format described at the top of this module. */
export function parseValueListText(text: string, options: ValueListTextOptions): BuiltValueList {
  const diagnostics: Diagnostic[] = [];
  const values: ValueLine[] = [];
  let headerType: string | undefined;
  let headerTypeLine = 0;
  let headerId: string | undefined;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    if (line.startsWith("#")) {
      const header = values.length === 0 ? HEADER.exec(line) : null;
      if (header?.[1].toLowerCase() === "type") {
        headerType = header[2];
        headerTypeLine = i + 1;
      } else if (header) {
        headerId = header[2];
      }
      continue;
    }
    values.push({ text: line, line: i + 1 });
  }

  let type: ValueListType = options.type ?? "keyword";
  if (headerType !== undefined) {
    const at = { severity: "warning" as const, file: options.source, line: headerTypeLine };
    if (!isValueListType(headerType))
      diagnostics.push({
        ...at,
        severity: "error",
        message: `unknown value list type "${headerType}" (eqlite reads ${VALUE_LIST_TYPES.join(", ")} lists); read as ${type}`,
      });
    else if (options.type !== undefined && options.type !== headerType)
      diagnostics.push({
        ...at,
        message: `the file says its type is ${headerType} but it was declared ${options.type}; read as ${options.type}`,
      });
    else type = headerType;
  }
  const id = options.id ?? headerId ?? basename(options.source);
  const built = buildValueList(id, type, values, options.source);
  return { list: built.list, diagnostics: [...diagnostics, ...built.diagnostics] };
}

export interface ReadValueListOptions {
  id?: string;
  type?: ValueListType;
  /** largest file accepted (after decompression); default DEFAULT_MAX_VALUE_LIST_BYTES */
  maxBytes?: number;
  /** the name messages use for the file; default: the path */
  source?: string;
}

/** A value list file (optionally gzip or zstd compressed); `list` is absent when the file cannot be used at all. */
export async function readValueListFile(
  path: string,
  options: ReadValueListOptions = {},
): Promise<{ list?: ValueList; diagnostics: Diagnostic[] }> {
  const source = options.source ?? path;
  const read = await readTextFile(path, options.maxBytes ?? DEFAULT_MAX_VALUE_LIST_BYTES, "value list file");
  if ("error" in read) return { diagnostics: [{ severity: "error", file: source, message: read.error }] };
  const textOptions: ValueListTextOptions = { source };
  if (options.id !== undefined) textOptions.id = options.id;
  if (options.type !== undefined) textOptions.type = options.type;
  return parseValueListText(read.text, textOptions);
}

/**
 * A whole text file, refusing more than `maxBytes` so a hostile or mistaken file
 * (a disk image, `/dev/zero`) costs a bounded amount of memory. Compressed files
 * are decompressed, and the limit applies to the decompressed size.
 */
export async function readTextFile(
  path: string,
  maxBytes: number,
  what: string,
): Promise<{ text: string } | { error: string }> {
  let bytes: Buffer | undefined;
  try {
    bytes = await readAll(createReadStream(path), maxBytes);
  } catch (error) {
    return { error: readErrorMessage(error, what) };
  }
  if (bytes === undefined)
    return { error: `${what} is larger than the limit of ${formatBytes(maxBytes)}; refused` };
  const text = bytes.toString("utf8");
  return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
}

function readErrorMessage(error: unknown, what: string): string {
  if (error instanceof CorruptStreamError) return `${what} is corrupt: ${error.message}`;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return `${what} not found`;
  if (code === "EISDIR") return `${what} is a directory`;
  if (code === "EACCES" || code === "EPERM") return `${what} cannot be read: permission denied`;
  return `${what} cannot be read: ${error instanceof Error ? error.message : String(error)}`;
}

function formatBytes(n: number): string {
  return n % MiB === 0 ? `${n / MiB} MiB` : `${n} bytes`;
}
