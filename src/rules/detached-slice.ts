/**
 * A copy of a slice that does not keep the whole text alive: V8 makes a long slice a view of
 * its parent, so a rule's note or query would hold its file's text for as long as the rule is
 * loaded.
 */
export const detachedSlice = (text: string, start: number, end: number): string =>
  ` ${text.slice(start, end)}`.slice(1);
