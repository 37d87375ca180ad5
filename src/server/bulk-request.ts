import { isPlainObject, parsedNestsTooDeep, tooDeepReason } from "../engine/json-tree.ts";
import type { Event } from "../eql/field-access.ts";
import { explainJsonError, lineColumnAt } from "../io/json-error.ts";

/**
 * The body of an Elasticsearch `_bulk` request, read as shippers send it: NDJSON where
 * each action line (`{"create":{"_index":…}}`) is followed by its document, except
 * `delete`. Lines end with `\n` (a `\r` before it is tolerated), blank lines are
 * skipped, the last newline may be missing, a UTF-8 byte order mark is skipped.
 *
 * Every action becomes exactly one item, in order, because shippers zip the response
 * items with what they sent: a problem — a document that is not JSON, an action line
 * that is not one, an action eqlite does not take — is that item's error, never the
 * request's. After an action line that cannot be read, the next line is taken as its
 * document unless it reads as an action line itself.
 */
export type BulkActionName = "index" | "create" | "update" | "delete";

export interface BulkItemError {
  status: number;
  type: string;
  reason: string;
}

export interface BulkItem {
  /** the action as the request named it: the key of its response item */
  action: BulkActionName;
  /** 1-based line of the action line in the decoded body */
  line: number;
  /** the target: the action's `_index`, else the URL's, else the default */
  index?: string;
  /** the action's `_id` */
  id?: string;
  /** index and create: the document, unless the item failed */
  event?: Event;
  error?: BulkItemError;
}

export interface BulkParseOptions {
  /** `/{index}/_bulk` */
  urlIndex?: string;
  /** for actions that name no index and a URL without one */
  defaultIndex?: string;
  /**
   * Documents longer than this (bytes of their line) fail alone with a 400 item, the rest of
   * the request going on: where the events go has a message size limit (NATS max_payload).
   */
  maxDocumentBytes?: number;
}

const ACTIONS: ReadonlySet<string> = new Set(["index", "create", "update", "delete"]);
const LF = 0x0a;
/** Elasticsearch refuses longer ids. */
const MAX_ID_BYTES = 512;

export function parseBulk(body: Buffer, options: BulkParseOptions = {}): BulkItem[] {
  return [...bulkItems(body, options)];
}

/**
 * `parseBulk` a slice at a time: a 100 MB body takes seconds to parse, and the process must go
 * on answering health checks and other shippers meanwhile (each slice ends at an await).
 */
export async function parseBulkYielding(
  body: Buffer,
  options: BulkParseOptions = {},
  itemsPerSlice = 2000,
): Promise<BulkItem[]> {
  const items: BulkItem[] = [];
  for (const item of bulkItems(body, options)) {
    items.push(item);
    if (items.length % itemsPerSlice === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return items;
}

function* bulkItems(body: Buffer, options: BulkParseOptions): Generator<BulkItem> {
  const lines = peekable(nonBlankLines(body));
  for (let current = lines.take(); current; current = lines.take()) {
    const { text, line } = current;
    const action = readAction(text, line);
    if ("error" in action) {
      const next = lines.peek();
      if (next && "error" in readAction(next.text, next.line)) lines.take();
      yield { action: "index", line, error: action.error };
      continue;
    }
    const item: BulkItem = { action: action.name, line };
    const meta = action.meta;
    const problem = readMetadata(meta, options, item);
    if (action.name === "delete") {
      item.error ??= notSupported("delete");
      yield item;
      continue;
    }
    const source = lines.take();
    if (source === undefined) {
      item.error ??= validation(`the ${action.name} action on line ${line} has no document line after it`);
      yield item;
      continue;
    }
    if (action.name === "update") item.error ??= notSupported("update");
    else if (!problem) {
      const bytes = options.maxDocumentBytes === undefined ? 0 : Buffer.byteLength(source.text);
      if (options.maxDocumentBytes !== undefined && bytes > options.maxDocumentBytes) {
        item.error = tooLargeDocument(bytes, options.maxDocumentBytes);
        yield item;
        continue;
      }
      const doc = parseDocument(source.text);
      if ("error" in doc) item.error = doc.error;
      else item.event = doc.event;
    }
    yield item;
  }
}

interface Line {
  text: string;
  line: number;
}

/** Non-blank lines with their 1-based numbers, read as they are asked for. */
function* nonBlankLines(body: Buffer): Generator<Line> {
  // Windows tools (PowerShell's Out-File, Notepad) start UTF-8 with a byte order mark: not part of line 1
  let start = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  let n = 1;
  while (start <= body.length) {
    let end = body.indexOf(LF, start);
    if (end < 0) end = body.length;
    const text = body.toString("utf8", start, end);
    if (text.trim() !== "") yield { text, line: n };
    n++;
    start = end + 1;
  }
}

/** A line reader that can look at the next line before taking it. */
function peekable(lines: Iterator<Line>) {
  let next = lines.next();
  return {
    peek: (): Line | undefined => (next.done ? undefined : next.value),
    take(): Line | undefined {
      if (next.done) return undefined;
      const line = next.value;
      next = lines.next();
      return line;
    },
  };
}

type ActionLine = { name: BulkActionName; meta: Record<string, unknown> } | { error: BulkItemError };

function readAction(text: string, line: number): ActionLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      error: {
        status: 400,
        type: "illegal_argument_exception",
        reason: `Malformed action/metadata line [${line}]: ${explainJsonError(text, error).reason}`,
      },
    };
  }
  const keys = isPlainObject(value) ? Object.keys(value) : [];
  const name = keys[0];
  if (keys.length !== 1 || !ACTIONS.has(name) || !isPlainObject((value as Record<string, unknown>)[name])) {
    const found = isPlainObject(value) ? `[${keys.join(", ")}]` : "no object";
    return {
      error: {
        status: 400,
        type: "illegal_argument_exception",
        reason: `Malformed action/metadata line [${line}], expected one of index, create, update or delete holding an object but found ${found}`,
      },
    };
  }
  return { name: name as BulkActionName, meta: (value as Record<string, Record<string, unknown>>)[name] };
}

/** `_index` and `_id`; the rest (`_type`, `pipeline`, `routing`, `op_type`, …) has no meaning here. */
function readMetadata(meta: Record<string, unknown>, options: BulkParseOptions, item: BulkItem): boolean {
  const index = Object.hasOwn(meta, "_index") ? meta._index : undefined;
  const id = Object.hasOwn(meta, "_id") ? meta._id : undefined;
  if (index !== undefined && (typeof index !== "string" || index === "")) {
    item.error = validation("_index must be a non-empty string");
    return true;
  }
  item.index = (index as string | undefined) ?? options.urlIndex ?? (options.defaultIndex || undefined);
  if (id !== undefined && id !== null) {
    if (typeof id !== "string" && typeof id !== "number") {
      item.error = validation("_id must be a string");
      return true;
    }
    if (id === "") {
      // taken as an id, "" made every later document sent with it a duplicate, dropped unseen
      item.error = {
        status: 400,
        type: "illegal_argument_exception",
        reason: "if _id is specified it must not be empty",
      };
      return true;
    }
    item.id = String(id);
    if (Buffer.byteLength(item.id) > MAX_ID_BYTES) {
      item.error = validation(`id [${item.id.slice(0, 40)}…] is too long, must be no longer than 512 bytes`);
      return true;
    }
  }
  if (item.index === undefined) {
    item.error = validation("index is missing");
    return true;
  }
  return false;
}

/** One document: a JSON object, or the error Elasticsearch would give for it. */
export function parseDocument(text: string): { event: Event } | { error: BulkItemError } {
  let value: unknown;
  try {
    // JSON.parse makes `__proto__` an own key, never a prototype; nothing merges event keys later
    value = JSON.parse(text);
  } catch (error) {
    const { offset, reason } = explainJsonError(text, error);
    const at = offset === undefined ? { lines: 0, column: 1 } : lineColumnAt(text, offset);
    return {
      error: {
        status: 400,
        type: "document_parsing_exception",
        reason: `[${at.lines + 1}:${at.column}] failed to parse: ${reason}`,
      },
    };
  }
  if (!isPlainObject(value)) {
    const what = Array.isArray(value) ? "an array" : value === null ? "null" : typeof value;
    return {
      error: {
        status: 400,
        type: "document_parsing_exception",
        reason: `[1:1] failed to parse: the document must be a JSON object, not ${what}`,
      },
    };
  }
  if (parsedNestsTooDeep(text, value)) {
    return { error: { status: 400, type: "document_parsing_exception", reason: tooDeepReason("document") } };
  }
  return { event: value };
}

function validation(message: string): BulkItemError {
  return {
    status: 400,
    type: "action_request_validation_exception",
    reason: `Validation Failed: 1: ${message};`,
  };
}

function tooLargeDocument(bytes: number, limit: number): BulkItemError {
  return { status: 400, type: "illegal_argument_exception", reason: tooLargeEvent("document", bytes, limit) };
}

/** Why an event too large to pass on is refused (a bulk item, an /ingest line): it fails alone. */
export const tooLargeEvent = (what: string, bytes: number, limit: number): string =>
  `the ${what} is ${bytes} bytes; eqlite passes on events of at most ${limit} bytes (the NATS server's max_payload, less room for headers)`;

function notSupported(action: string): BulkItemError {
  return {
    status: 400,
    type: "action_request_validation_exception",
    reason: `Validation Failed: 1: eqlite is append-only and takes index and create actions, not ${action};`,
  };
}
