/**
 * The start of a stream read ahead, to decide how to read it (a pipe's size is known only at its
 * end): up to `bytes` of it, or all of it when it ends first. `chunks` gives every chunk, those read
 * ahead first.
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
  return { chunks: replayed(head, ended ? undefined : iterator), ended };
}

/**
 * The chunks read ahead (each let go once given, empty ones skipped), then the rest of the stream
 * they came from, if it has not ended. A consumer that stops early stops the stream's reader too
 * (closes the file).
 */
export async function* replayed(
  head: Buffer[],
  rest: AsyncIterator<Buffer> | undefined,
): AsyncGenerator<Buffer> {
  try {
    for (let chunk = head.shift(); chunk !== undefined; chunk = head.shift())
      if (chunk.length > 0) yield chunk;
    if (rest === undefined) return;
    for (;;) {
      const next = await rest.next();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await rest?.return?.();
  }
}
