/**
 * The start of a stream read ahead, to decide how to read it (a pipe's size is known only at its
 * end): up to `bytes` of it, or all of it when it ends first. `chunks` gives every chunk, those read
 * ahead first, each let go once given.
 */
export async function readAhead(
  stream: AsyncIterable<Buffer>,
  bytes: number,
): Promise<{ chunks: AsyncIterable<Buffer>; ended: boolean }> {
  const iterator = stream[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let read = 0;
  let ended = false;
  while (read < bytes) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    head.push(next.value);
    read += next.value.length;
  }
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let chunk = head.shift(); chunk !== undefined; chunk = head.shift()) yield chunk;
    if (ended) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { chunks: chunks(), ended };
}
