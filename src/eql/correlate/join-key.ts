import { canonicalIp } from "../cidr.ts";
import { type FieldGetter, someValue } from "../field-access.ts";
import { javaString } from "../functions.ts";
import { compareKeywords } from "../keyword-order.ts";
import { formatTimestamp } from "../timestamp.ts";
import { type EqlType, isNumericType, isStringType, type Scalar } from "../types.ts";
import { parseDateValue, toBoolean, toNumber } from "../value-compare.ts";

/** How to read one `by` key of one query. */
export interface KeyReader {
  get: FieldGetter;
  /** `?field`: a null value is a key value instead of excluding the event */
  optional: boolean;
  type: EqlType;
  format?: string;
  /** the index holds the field's dates in milliseconds (FieldInfo.millis): finer digits make no other key */
  millis?: boolean;
}

/** One composite key value of an event: `id` compares, `values` is what the response shows. */
export interface JoinKey {
  id: string;
  values: Scalar[];
}

export type DateKeyStyle = "iso" | "epoch_millis";

interface KeyPart {
  id: string;
  shown: Scalar;
}

/**
 * Keys compare as the field's mapping indexes them (the values Elasticsearch's `fields` give):
 * dates as instants, addresses canonically, strings case-sensitively, and a value of another
 * JSON type converted to the field's.
 */
function keyPart(v: string | number | boolean, reader: KeyReader, dates: DateKeyStyle): KeyPart | null {
  if (reader.type === "date" || reader.type === "date_nanos") {
    const ns = parseDateValue(v, reader.format, reader.millis);
    if (ns === null) return null;
    const shown =
      dates === "iso"
        ? formatTimestamp(ns, reader.type === "date_nanos" ? "ns" : "ms")
        : String(ns / 1_000_000n);
    return { id: `d${ns}`, shown };
  }
  if (reader.type === "ip") {
    const ip = canonicalIp(String(v));
    return ip === null ? null : { id: `i${ip}`, shown: ip };
  }
  if (isStringType(reader.type) || reader.type === "version") {
    // a keyword field holds text whatever the JSON had: 1 and "1" are one key, shown as "1"
    const text = javaString(v, "unknown");
    return { id: `s${text}`, shown: text };
  }
  if (isNumericType(reader.type)) {
    // a numeric field holds numbers: "1" is 1, and text that is no number was never indexed
    const n = toNumber(v);
    return Number.isNaN(n) ? null : { id: `n${n}`, shown: n };
  }
  if (reader.type === "boolean") {
    const b = toBoolean(v);
    return b === undefined ? null : { id: `b${b}`, shown: b };
  }
  // Without a mapping, a field holds whatever Elasticsearch would have mapped it as, keyword or
  // number alike; under either, 1 and "1" are one key (as `k == 1` matches "1"): joined as text,
  // each shown as its event has it.
  return { id: `s${javaString(v, "unknown")}`, shown: v };
}

const NULL_PART: KeyPart = { id: "z", shown: null };

function partsOf(raw: unknown, reader: KeyReader, dates: DateKeyStyle): KeyPart[] {
  const parts: KeyPart[] = [];
  const seen = new Set<string>();
  someValue(raw, (v) => {
    const part = keyPart(v, reader, dates);
    if (part && !seen.has(part.id)) {
      seen.add(part.id);
      parts.push(part);
    }
    return false;
  });
  return parts;
}

/**
 * The composite keys of an event: each distinct value of a multi-valued key field is
 * a key of its own, several such fields give their cartesian product, and a missing
 * value excludes the event unless the key is optional.
 */
export function joinKeysOf(
  event: Record<string, unknown>,
  readers: KeyReader[],
  dates: DateKeyStyle = "iso",
): JoinKey[] {
  if (readers.length === 0) return [EMPTY_KEY];
  const single = singleKey(event, readers, dates);
  if (single !== MANY) return single;
  let combos: Array<{ ids: string[]; values: Scalar[] }> = [{ ids: [], values: [] }];
  for (const reader of readers) {
    let parts = partsOf(reader.get(event), reader, dates);
    if (parts.length === 0) {
      if (!reader.optional) return [];
      parts = [NULL_PART];
    }
    const next: typeof combos = [];
    for (const c of combos)
      for (const p of parts) next.push({ ids: [...c.ids, p.id], values: [...c.values, p.shown] });
    combos = next;
  }
  return combos.map((c) => ({ id: c.ids.join("\u0000"), values: c.values }));
}

const EMPTY_KEY: JoinKey = { id: "", values: [] };
const MANY: unique symbol = Symbol("many");

/**
 * The keys of an event whose key fields hold at most one value each — almost every event —
 * built without the combinations; MANY when a field holds an array.
 */
function singleKey(
  event: Record<string, unknown>,
  readers: KeyReader[],
  dates: DateKeyStyle,
): JoinKey[] | typeof MANY {
  const ids: string[] = new Array(readers.length);
  const values: Scalar[] = new Array(readers.length);
  for (let i = 0; i < readers.length; i++) {
    const reader = readers[i];
    const raw = reader.get(event);
    if (Array.isArray(raw)) return MANY;
    const part =
      raw === undefined || raw === null || typeof raw === "object"
        ? null
        : keyPart(raw as string | number | boolean, reader, dates);
    if (part === null && !reader.optional) return [];
    ids[i] = (part ?? NULL_PART).id;
    values[i] = (part ?? NULL_PART).shown;
  }
  return [{ id: ids.join("\u0000"), values }];
}

/** Orders composite keys as Elasticsearch lists them: null first, then by value. */
export function compareJoinKeys(a: JoinKey, b: JoinKey): number {
  for (let i = 0; i < Math.min(a.values.length, b.values.length); i++) {
    const x = a.values[i];
    const y = b.values[i];
    if (x === y) continue;
    if (x === null) return -1;
    if (y === null) return 1;
    if (typeof x === "number" && typeof y === "number") return x - y;
    if (typeof x === "boolean" && typeof y === "boolean") return Number(x) - Number(y);
    const sx = String(x);
    const sy = String(y);
    if (sx !== sy) return compareKeywords(sx, sy);
  }
  return a.values.length - b.values.length;
}
