/**
 * The `_id`s of recently accepted documents, per index, bounded (the oldest are
 * forgotten first). Shippers re-send whole batches after a timeout or a partial
 * failure; a document sent again under the same `_id` is answered as created — a 409
 * would make Vector and the JS helper count it failed and a Fluent Bit chunk retry
 * forever — and is not run through the rules a second time.
 */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** Remembers the id; false when it was already there. */
  add(index: string, id: string): boolean {
    const key = `${index}\u0000${id}`;
    if (this.ids.has(key)) return false;
    if (this.capacity <= 0) return true;
    if (this.ids.size >= this.capacity) this.ids.delete(this.ids.values().next().value as string);
    this.ids.add(key);
    return true;
  }

  /** Forgets an id whose batch was refused, so the shipper's retry is not taken for a duplicate. */
  delete(index: string, id: string): void {
    this.ids.delete(`${index}\u0000${id}`);
  }
}
