/** JSON text pieces, built once per entity and concatenated per event. */

/** whether JSON.stringify would escape something in the string (quote, backslash, control, surrogate) */
function needsEscape(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return true;
  }
  return false;
}

export function jstr(value: string): string {
  return needsEscape(value) ? JSON.stringify(value) : `"${value}"`;
}

export function jarr(values: readonly string[]): string {
  let out = "[";
  for (let i = 0; i < values.length; i++) out += (i ? "," : "") + jstr(values[i]);
  return `${out}]`;
}

/**
 * Makes V8 store a string built by concatenation as one flat string (ToNumber flattens its
 * argument). Fragments reused in many events are flattened once, so writing an event copies a few
 * flat pieces instead of walking a deep tree of small ones.
 */
export function flat(s: string): string {
  Number(s);
  return s;
}
