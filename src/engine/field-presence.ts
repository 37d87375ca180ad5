import { compileFieldGetter, type Event, type FieldGetter, someValue } from "../eql/field-access.ts";

/**
 * Which of a set of fields some event of a sample has, and which values a few of them
 * (the category fields) take. Fields are read as queries read them: `{"process.name": …}`,
 * `{"process": {"name": …}}` and arrays of objects are one field. A field counts as present
 * when it has a value a query can compare — a string, number or boolean, alone or in an
 * array; `null`, `[]` and an object are what Elasticsearch would index as no value.
 */
export class FieldPresence {
  /** fields not seen yet: once found, a field costs nothing more per event */
  private readonly pending = new Map<string, FieldGetter>();
  private readonly found = new Set<string>();
  private readonly values = new Map<string, { get: FieldGetter; wanted: Set<string>; seen: Set<string> }>();

  /** `values`: string values to look for, by field (the categories a rule set's queries name) */
  constructor(fields: Iterable<string>, values: ReadonlyMap<string, Iterable<string>> = new Map()) {
    for (const name of fields) this.pending.set(name, compileFieldGetter(name));
    for (const [name, wanted] of values)
      this.values.set(name, { get: compileFieldGetter(name), wanted: new Set(wanted), seen: new Set() });
  }

  observe(event: Event): void {
    for (const [name, get] of this.pending) {
      if (!someValue(get(event), isValue)) continue;
      this.found.add(name);
      // deleting the entry being visited is safe: a Map iterator goes on with the next one
      this.pending.delete(name);
    }
    for (const { get, wanted, seen } of this.values.values()) {
      if (seen.size === wanted.size) continue;
      someValue(get(event), (v) => {
        // only the values asked for are kept: a category field may be any field
        if (typeof v === "string" && wanted.has(v)) seen.add(v);
        return false;
      });
    }
  }

  has(field: string): boolean {
    return this.found.has(field);
  }

  /** Whether some event has `value` in `field`, a value asked for at construction. */
  hasValue(field: string, value: string): boolean {
    return this.values.get(field)?.seen.has(value) === true;
  }
}

const isValue = (): boolean => true;
