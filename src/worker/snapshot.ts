/**
 * The state of a partition's long-window rules, as stored in the snapshot object store: not the
 * engine's internals (they change with every release), but the raw messages those rules may
 * still use, in stream order. Replaying them through the same rules rebuilds the same partial
 * sequences, so a snapshot stays valid across eqlite versions, and needs no serializer for
 * every kind of state. A snapshot belongs to one rule set (`ruleSetHash`): another one ignores
 * it and falls back to replay.
 *
 * Format: gzip of NDJSON, a header line then one line per message.
 */
import { promisify } from "node:util";
import { gunzip as gunzipCallback, gzip as gzipCallback } from "node:zlib";

// off the event loop: a snapshot can be large, and lease renewals must keep running
const gzip = promisify(gzipCallback);
const gunzip = promisify(gunzipCallback);

export const SNAPSHOT_VERSION = 1;

/** One stored event message, as the events stream held it. */
export interface HeldMessage {
  seq: number;
  storedAtMs: number;
  /** the `Eqlite-Index` header, if any */
  index?: string;
  /** the `Eqlite-Id` header, if any */
  id?: string;
  /** the event's JSON, as stored */
  body: string;
}

export interface Snapshot {
  /** the partition key (`p<n>` or `global`) */
  partition: string;
  /** the events-stream sequence it was taken at: messages after it come from the stream */
  seq: number;
  storedAtMs: number;
  ruleSetHash: string;
  messages: HeldMessage[];
}

export class SnapshotError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SnapshotError";
  }
}

export function snapshotName(partition: string, seq: number): string {
  return `${partition}/${seq}`;
}

export async function encodeSnapshot(snapshot: Snapshot): Promise<Uint8Array> {
  const { messages, ...header } = snapshot;
  const lines = [JSON.stringify({ version: SNAPSHOT_VERSION, ...header, messages: messages.length })];
  for (const m of messages) lines.push(JSON.stringify(m));
  return gzip(`${lines.join("\n")}\n`);
}

export async function decodeSnapshot(bytes: Uint8Array, name = "snapshot"): Promise<Snapshot> {
  let text: string;
  try {
    text = (await gunzip(bytes)).toString("utf8");
  } catch (error) {
    throw new SnapshotError(`${name}: not gzip: ${(error as Error).message}`);
  }
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const header = parseLine(lines[0], name, 1);
  if (header.version !== SNAPSHOT_VERSION)
    throw new SnapshotError(`${name}: version ${String(header.version)}, expected ${SNAPSHOT_VERSION}`);
  const partition = field(header, "partition", "string", name, 1);
  const seq = field(header, "seq", "number", name, 1);
  const storedAtMs = field(header, "storedAtMs", "number", name, 1);
  const ruleSetHash = field(header, "ruleSetHash", "string", name, 1);
  const count = field(header, "messages", "number", name, 1);
  if (lines.length - 1 !== count)
    throw new SnapshotError(`${name}: the header announces ${count} messages, ${lines.length - 1} follow`);
  const messages: HeldMessage[] = [];
  let previous = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = parseLine(lines[i], name, i + 1);
    const message: HeldMessage = {
      seq: field(line, "seq", "number", name, i + 1),
      storedAtMs: field(line, "storedAtMs", "number", name, i + 1),
      body: field(line, "body", "string", name, i + 1),
    };
    if (line.index !== undefined) message.index = field(line, "index", "string", name, i + 1);
    if (line.id !== undefined) message.id = field(line, "id", "string", name, i + 1);
    if (message.seq <= previous || message.seq > seq)
      throw new SnapshotError(
        `${name}:${i + 1}: seq ${message.seq} is out of order or after the snapshot's ${seq}`,
      );
    previous = message.seq;
    messages.push(message);
  }
  return { partition, seq, storedAtMs, ruleSetHash, messages };
}

type Line = Record<string, unknown>;

function parseLine(text: string | undefined, name: string, line: number): Line {
  let value: unknown;
  try {
    value = JSON.parse(text ?? "");
  } catch (error) {
    throw new SnapshotError(`${name}:${line}: not JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new SnapshotError(`${name}:${line}: not a JSON object`);
  return value as Line;
}

function field<K extends "string" | "number">(
  line: Line,
  key: string,
  type: K,
  name: string,
  at: number,
): K extends "string" ? string : number {
  const value = Object.hasOwn(line, key) ? line[key] : undefined;
  const ok =
    type === "number"
      ? typeof value === "number" && Number.isSafeInteger(value) && value >= 0
      : typeof value === "string";
  if (!ok)
    throw new SnapshotError(
      `${name}:${at}: "${key}" must be ${type === "number" ? "a whole number" : "a string"}`,
    );
  return value as K extends "string" ? string : number;
}
