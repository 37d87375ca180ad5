import { randomBytes } from "node:crypto";
import type { BulkItem } from "./bulk-request.ts";

/**
 * The `_bulk` answer, exact in the small ways shippers' parsers depend on: `took`,
 * `errors`, `items` in that order (Fluent Bit greps `"errors":false,"items":[` in a
 * truncated body), compact JSON (Vector greps `"errors":true`), one single-key item per
 * action in request order with the action's name as the key (Fluentd checks it), an
 * integer `status`, and `error.type` plus `error.reason` on failures (Vector needs both).
 */
export interface BulkResponse {
  took: number;
  errors: boolean;
  items: Array<Record<string, BulkResponseItem>>;
}

export interface BulkResponseItem {
  _index: string | null;
  _id: string | null;
  _version?: number;
  result?: string;
  _shards?: { total: number; successful: number; failed: number };
  _seq_no?: number;
  _primary_term?: number;
  status: number;
  error?: { type: string; reason: string };
}

export function bulkResponse(items: readonly BulkItem[], took: number, firstSeqNo: number): BulkResponse {
  let errors = false;
  let seqNo = firstSeqNo;
  const out = items.map((item) => {
    if (item.error) {
      errors = true;
      const failed: BulkResponseItem = {
        _index: item.index ?? null,
        _id: item.id ?? null,
        status: item.error.status,
        error: { type: item.error.type, reason: item.error.reason },
      };
      return { [item.action]: failed };
    }
    const created: BulkResponseItem = {
      _index: item.index ?? null,
      _id: item.id ?? null,
      _version: 1,
      result: "created",
      _shards: { total: 1, successful: 1, failed: 0 },
      _seq_no: seqNo++,
      _primary_term: 1,
      status: 201,
    };
    return { [item.action]: created };
  });
  return { took, errors, items: out };
}

/** An id for a document sent without one: 20 URL-safe characters, like Elasticsearch's. */
export function generateId(): string {
  return randomBytes(15).toString("base64url");
}
