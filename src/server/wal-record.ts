import { crc32 } from "node:zlib";

/**
 * The bytes of the write-ahead log (wal.ts): segment headers and records.
 *
 * A segment starts with 16 bytes: the magic `EQLWAL01` and the seq of its first
 * event (u64, little-endian), which is also in its file name. Then records, one
 * per appended batch:
 *
 *   offset  size  field
 *   0       4     payload length in bytes (u32 LE)
 *   4       4     number of events (u32 LE, at least 1)
 *   8       8     seq of the first event (u64 LE); the others follow one by one
 *   16      4     CRC-32 of bytes 0..15 and of the payload (u32 LE)
 *   20      n     payload: the events as JSON, one per line, joined by "\n"
 *
 * The checksum covers the length too, so a record whose header was half written
 * (or overwritten with zeros by a crash of the machine) is never taken for a
 * shorter or longer one. JSON.stringify never writes a raw newline, so lines are
 * events.
 */

export const SEGMENT_MAGIC = Buffer.from("EQLWAL01", "latin1");
export const SEGMENT_HEADER_BYTES = 16;
export const RECORD_HEADER_BYTES = 20;

export function encodeSegmentHeader(firstSeq: number): Buffer {
  const header = Buffer.alloc(SEGMENT_HEADER_BYTES);
  SEGMENT_MAGIC.copy(header, 0);
  header.writeBigUInt64LE(BigInt(firstSeq), 8);
  return header;
}

/** The first seq a segment header names, or null when the bytes are not a whole header. */
export function decodeSegmentHeader(bytes: Buffer): number | null {
  if (bytes.length < SEGMENT_HEADER_BYTES) return null;
  if (!bytes.subarray(0, SEGMENT_MAGIC.length).equals(SEGMENT_MAGIC)) return null;
  return Number(bytes.readBigUInt64LE(8));
}

/**
 * The events of one batch as a payload. Each must survive JSON.stringify: a value
 * it cannot write (undefined, a function, a bigint, a cycle) is refused with its
 * position, before anything reaches the disk.
 */
export function encodePayload(events: readonly unknown[]): Buffer {
  const lines = new Array<string>(events.length);
  for (let i = 0; i < events.length; i++) {
    let line: string | undefined;
    try {
      line = JSON.stringify(events[i]);
    } catch (error) {
      throw new TypeError(`event ${i} of the batch cannot be written as JSON: ${(error as Error).message}`);
    }
    if (line === undefined) throw new TypeError(`event ${i} of the batch is not a JSON value`);
    lines[i] = line;
  }
  return Buffer.from(lines.join("\n"), "utf8");
}

/** A record as two buffers (header, payload), ready for one vectored write. */
export function encodeRecord(firstSeq: number, count: number, payload: Buffer): [Buffer, Buffer] {
  const header = Buffer.alloc(RECORD_HEADER_BYTES);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt32LE(count, 4);
  header.writeBigUInt64LE(BigInt(firstSeq), 8);
  header.writeUInt32LE(crc32(payload, crc32(header.subarray(0, 16))), 16);
  return [header, payload];
}

export type DecodedRecord =
  | { kind: "record"; firstSeq: number; count: number; payload: Buffer; size: number }
  /** the bytes end before the record does; `needed` counts from the record's start */
  | { kind: "incomplete"; needed: number }
  | { kind: "invalid"; reason: string };

/**
 * Reads the record at `offset` of `bytes`, expecting its first seq to be
 * `expectedSeq` (records of a segment are consecutive). Pure: it never throws on
 * bad bytes, it says what is wrong with them.
 */
export function decodeRecord(
  bytes: Buffer,
  offset: number,
  expectedSeq: number,
  maxPayloadBytes: number,
): DecodedRecord {
  const available = bytes.length - offset;
  if (available < RECORD_HEADER_BYTES) return { kind: "incomplete", needed: RECORD_HEADER_BYTES };
  const length = bytes.readUInt32LE(offset);
  const count = bytes.readUInt32LE(offset + 4);
  const firstSeq = Number(bytes.readBigUInt64LE(offset + 8));
  const checksum = bytes.readUInt32LE(offset + 16);
  // A length beyond any batch the log accepts is damage, not a record still being read.
  if (length > maxPayloadBytes) return { kind: "invalid", reason: `record length ${length} is out of range` };
  const size = RECORD_HEADER_BYTES + length;
  if (available < size) return { kind: "incomplete", needed: size };
  const payload = bytes.subarray(offset + RECORD_HEADER_BYTES, offset + size);
  const actual = crc32(payload, crc32(bytes.subarray(offset, offset + 16)));
  if (actual !== checksum) return { kind: "invalid", reason: "checksum mismatch" };
  if (count === 0) return { kind: "invalid", reason: "record holds no event" };
  if (firstSeq !== expectedSeq)
    return { kind: "invalid", reason: `record starts at seq ${firstSeq}, expected ${expectedSeq}` };
  return { kind: "record", firstSeq, count, payload, size };
}

/** The events of a payload whose checksum matched; throws when the count disagrees (a bug, not damage). */
export function decodePayload(payload: Buffer, count: number): string[] {
  const lines = payload.toString("utf8").split("\n");
  if (lines.length !== count)
    throw new RangeError(`record says ${count} events but its payload holds ${lines.length}`);
  return lines;
}
