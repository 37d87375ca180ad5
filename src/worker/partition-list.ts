/**
 * The partitions a worker can be asked to own: `0`…`P-1` for hosts and `global` for the rules
 * whose join keys are not host-scoped. `--own 0-15,32,global` lists them for static ownership.
 */
import { GLOBAL_PARTITION, type PartitionId, partitionKey } from "../nats/records.ts";

export function allPartitions(partitions: number): PartitionId[] {
  return [...Array.from({ length: partitions }, (_, p) => p), GLOBAL_PARTITION];
}

export function parsePartitionList(text: string, partitions: number): PartitionId[] {
  const found = new Set<PartitionId>();
  for (const raw of text.split(",")) {
    const item = raw.trim();
    if (item === "") continue;
    if (item === GLOBAL_PARTITION) {
      found.add(GLOBAL_PARTITION);
      continue;
    }
    const range = /^(\d+)(?:-(\d+))?$/.exec(item);
    if (!range) throw new RangeError(`"${item}" is neither a partition, a range like 0-15, nor "global"`);
    const from = Number(range[1]);
    const to = range[2] === undefined ? from : Number(range[2]);
    if (from > to) throw new RangeError(`the range ${item} runs backwards`);
    if (to >= partitions)
      throw new RangeError(`partition ${to} is out of range: there are ${partitions} (0-${partitions - 1})`);
    for (let p = from; p <= to; p++) found.add(p);
  }
  if (found.size === 0) throw new RangeError("no partition listed");
  return [...found].sort(comparePartitions);
}

/** Host partitions in number order, then `global`. */
export function comparePartitions(a: PartitionId, b: PartitionId): number {
  if (a === b) return 0;
  if (a === GLOBAL_PARTITION) return 1;
  if (b === GLOBAL_PARTITION) return -1;
  return a - b;
}

/** `0-15,17,global`: the compact form for logs and membership records. */
export function formatPartitionList(list: readonly PartitionId[]): string {
  const sorted = [...new Set(list)].sort(comparePartitions);
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const start = sorted[i];
    if (start === GLOBAL_PARTITION) {
      parts.push(partitionKey(start));
      i++;
      continue;
    }
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1) end = sorted[++i] as number;
    parts.push(end === start ? String(start) : `${start}-${end}`);
    i++;
  }
  return parts.join(",");
}
