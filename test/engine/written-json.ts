import fc from "fast-check";

/**
 * JSON text written the many ways JSON allows, for tests of what reads raw lines (the
 * prefilter, the line scanner): spacing, `\u` and `\/` escapes, objects written as dotted
 * keys. `JSON.parse` reads every writing back to the same value.
 */
export interface Style {
  spaces: string[];
  /** per string: escape some characters as \u, `/` as `\/` */
  escapes: boolean[];
  /** per object: write its object members as dotted keys */
  dotted: boolean[];
  /** escaping writes letters as `\u` (else it only writes `/` as `\/`) */
  unicode?: boolean;
}

export const style: fc.Arbitrary<Style> = fc.record({
  spaces: fc.array(fc.constantFrom("", "", "", " ", "  ", "\t"), { minLength: 8, maxLength: 8 }),
  escapes: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
  dotted: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
});

/** JSON text for `value`, written the way the style says; JSON.parse reads it back. */
export function write(value: unknown, s: Style): string {
  let k = 0;
  const ws = () => s.spaces[k++ % s.spaces.length];
  const str = (text: string) => {
    const escaping = s.escapes[k++ % s.escapes.length];
    let out = '"';
    for (const ch of text) {
      if (ch === '"') out += '\\"';
      else if (ch === "\\") out += "\\\\";
      else if (escaping && ch === "/") out += "\\/";
      else if (escaping && s.unicode !== false && /[a-zé]/.test(ch))
        out += `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
      else out += ch;
    }
    return `${out}"`;
  };
  let o = 0;
  const members = (obj: Record<string, unknown>, prefix: string): string[] => {
    const dotted = s.dotted[o++ % s.dotted.length];
    const out: string[] = [];
    for (const [key, v] of Object.entries(obj)) {
      const name = prefix ? `${prefix}.${key}` : key;
      if (dotted && v !== null && typeof v === "object" && !Array.isArray(v))
        out.push(...members(v as Record<string, unknown>, name));
      else out.push(`${ws()}${str(name)}${ws()}:${ws()}${json(v)}`);
    }
    return out;
  };
  const json = (v: unknown): string => {
    if (v === null || typeof v !== "object") return typeof v === "string" ? str(v) : JSON.stringify(v);
    if (Array.isArray(v)) return `[${ws()}${v.map(json).join(`,${ws()}`)}${ws()}]`;
    return `{${members(v as Record<string, unknown>, "").join(",")}${ws()}}`;
  };
  return json(value);
}
