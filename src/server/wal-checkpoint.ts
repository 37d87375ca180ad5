import { crc32 } from "node:zlib";

/**
 * The text of the write-ahead log's checkpoint file: `{"seq":N,"crc32":C}` and a newline,
 * where C is the CRC-32 of N written in decimal. The file is replaced whole by rename, so
 * it is never half written; the checksum is for the bytes changing afterwards (bit rot, a
 * stray write): a damaged seq would skip acknowledged events or replay ones long gone.
 * Files written before the checksum, `{"seq":N}`, are read as they were and replaced by the
 * next checkpoint; no single flipped bit turns a checksummed file into one of those.
 */
export type CheckpointText = { seq: number } | { damage: string };

const sumOf = (seq: number): number => crc32(String(seq));

export function encodeCheckpoint(seq: number): string {
  return `${JSON.stringify({ seq, crc32: sumOf(seq) })}\n`;
}

export function decodeCheckpoint(text: string): CheckpointText {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { damage: "not JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { damage: "not an object" };
  const { seq, crc32: sum, ...rest } = value as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) return { damage: `unknown key ${JSON.stringify(extra[0])}` };
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 1)
    return { damage: `its seq ${JSON.stringify(seq)} is not an integer from 1` };
  // written before the checksum
  if (sum === undefined) return { seq };
  if (sum !== sumOf(seq))
    return { damage: `its checksum ${JSON.stringify(sum)} does not match its seq ${seq}` };
  return { seq };
}
