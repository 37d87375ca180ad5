import { setImmediate as nextTurn } from "node:timers/promises";
import type { BulkItem } from "./bulk-request.ts";
import { bulkResponseItem, generateId } from "./bulk-response.ts";
import { compileFilterPath, pathsUnder, pickPaths } from "./filter-path.ts";

/**
 * The `_bulk` answer's JSON text, built a slice of items at a time with a turn of the event loop
 * between slices, as the body was parsed: built whole, the answer to 500k items held the process
 * 1.7 s, and health checks and other shippers waited.
 *
 * The bytes are those of `JSON.stringify(filterPath(bulkResponse(…), filter))`: the keys in that
 * order, compact, each item filtered alone (filter_path looks through arrays element by element),
 * and `items` left out when the filter keeps nothing of any item. Items sent without an id get one
 * here, as their answers are written.
 */
export async function bulkResponseText(
  items: readonly BulkItem[],
  took: number,
  firstSeqNo: number,
  filter: string | undefined,
  itemsPerSlice = 2000,
): Promise<string> {
  const paths = compileFilterPath(filter);
  const kept = (key: string, value: unknown): string | undefined => {
    const picked = paths ? pickPaths(value, pathsUnder(paths, key)) : value;
    return picked === undefined ? undefined : `${JSON.stringify(key)}:${JSON.stringify(picked)}`;
  };
  const parts = [
    kept("took", took),
    kept(
      "errors",
      items.some((item) => item.error !== undefined),
    ),
  ];

  const under = paths && pathsUnder(paths, "items");
  if (under === undefined || under.length > 0) {
    // the whole list, even empty, when the filter names `items` itself (or there is no filter)
    const whole = under === undefined || under.some((p) => p.length === 0);
    const slices: string[] = [];
    let seqNo = firstSeqNo;
    for (let start = 0; start < items.length; start += itemsPerSlice) {
      if (start > 0) await nextTurn();
      const texts: string[] = [];
      for (let i = start; i < Math.min(items.length, start + itemsPerSlice); i++) {
        const item = items[i];
        if (!item.error && item.id === undefined) item.id = generateId();
        const answer = bulkResponseItem(item, item.error ? seqNo : seqNo++);
        const picked = whole ? answer : pickPaths(answer, under!);
        if (picked !== undefined) texts.push(JSON.stringify(picked));
      }
      if (texts.length > 0) slices.push(texts.join(","));
    }
    if (whole || slices.length > 0) parts.push(`"items":[${slices.join(",")}]`);
  }
  return `{${parts.filter((p) => p !== undefined).join(",")}}`;
}
