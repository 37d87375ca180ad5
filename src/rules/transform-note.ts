import type { RuleTransform } from "./metadata-model.ts";

/**
 * The investigation-guide plugins a `[transform]` table holds. Each entry is named in the
 * note by its plugin and its place in the list, `$osquery_0`, `$investigate_2`, and becomes
 * the Kibana markdown plugin text `!{osquery{...}}` when detection-rules packages the rule:
 * the prebuilt rules Kibana installs carry that text.
 */
export const NOTE_PLUGINS = ["osquery", "investigate"] as const;
export type NotePlugin = (typeof NOTE_PLUGINS)[number];

export interface RenderedNote {
  note: string;
  /** placeholders of plugin entries the transform lacks, as written (`$osquery_4`), left in the note */
  unmatched: string[];
  /** entries no placeholder of the note names */
  unused: { plugin: NotePlugin; index: number }[];
}

/**
 * The note as packaged: detection-rules fills it as a Python `string.Template` with
 * `safe_substitute`, so `$name` and `${name}` are replaced when an entry has that name and
 * left as written otherwise, and `$$` becomes `$` — in every note of a rule with a
 * `[transform]`, and only there.
 */
export function renderTransformNote(note: string, transform: RuleTransform): RenderedNote {
  return fill(note, transform, (plugin, entry) => `!{${plugin}${packagedJson(entry)}}`);
}

/**
 * What `renderTransformNote` would leave over, without writing the entries: loading reports it,
 * and the note itself is rendered when first read (`renderNoteWhenRead`).
 */
export function notePlaceholders(note: string, transform: RuleTransform): Omit<RenderedNote, "note"> {
  const { unmatched, unused } = fill(note, transform, () => "");
  return { unmatched, unused };
}

/**
 * Makes `rule.note` the rendered note from its first read on. Writing a thousand rules' entries
 * is a few percent of a cold load (V8 runs it in its interpreter the first time), and only the
 * rules that alert, or are shown, need them. The property stays an ordinary enumerable one to
 * every reader: spreading, JSON and structured cloning read it through the getter.
 */
export function renderNoteWhenRead(rule: { note?: string }, transform: RuleTransform): void {
  const written = rule.note;
  if (written === undefined) return;
  const settle = (note: string | undefined) =>
    Object.defineProperty(rule, "note", {
      value: note,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  Object.defineProperty(rule, "note", {
    enumerable: true,
    configurable: true,
    get() {
      const note = renderTransformNote(written, transform).note;
      settle(note);
      return note;
    },
    set: settle,
  });
}

function fill(
  note: string,
  transform: RuleTransform,
  render: (plugin: NotePlugin, entry: object) => string,
): RenderedNote {
  const rendered = new Map<string, string>();
  for (const plugin of NOTE_PLUGINS) {
    transform[plugin]?.forEach((entry, index) => {
      rendered.set(`${plugin}_${index}`, render(plugin, entry));
    });
  }
  const used = new Set<string>();
  const unmatched = new Set<string>();
  const text = note.replace(PLACEHOLDER, (written, dollar, named, braced) => {
    if (dollar) return "$";
    const name: string = named ?? braced;
    const value = rendered.get(name);
    if (value !== undefined) {
      used.add(name);
      return value;
    }
    if (PLUGIN_PLACEHOLDER.test(name)) unmatched.add(written);
    return written;
  });
  const unused = [...rendered.keys()].filter((name) => !used.has(name)).map(entryOf);
  return { note: text, unmatched: [...unmatched], unused };
}

/**
 * Placeholders of plugin entries in the note of a rule with no `[transform]`: packaging
 * leaves such a note alone, so Kibana would show them as written.
 */
export function strayPlaceholders(note: string): string[] {
  if (!MAY_HOLD_PLACEHOLDER.test(note)) return [];
  return renderTransformNote(note, {}).unmatched;
}

/**
 * Python `string.Template`'s pattern: `$$`, `$identifier`, `${identifier}` with ASCII
 * identifiers matched case-insensitively. A `$` followed by anything else stays as it is.
 */
const PLACEHOLDER = /\$(?:(\$)|([_a-zA-Z][_a-zA-Z0-9]*)|\{([_a-zA-Z][_a-zA-Z0-9]*)\})/g;
const PLUGIN_PLACEHOLDER = /^(?:osquery|investigate)_\d+$/;
const MAY_HOLD_PLACEHOLDER = /\$\{?(?:osquery|investigate)_\d/;

function entryOf(name: string): { plugin: NotePlugin; index: number } {
  const cut = name.lastIndexOf("_");
  return { plugin: name.slice(0, cut) as NotePlugin, index: Number(name.slice(cut + 1)) };
}

/**
 * An entry as Python's `json.dumps(entry, sort_keys=True, separators=(",", ":"))` writes
 * it, which is what packaging does: keys sorted at every depth, no spaces, and
 * (`ensure_ascii`) every character outside printable ASCII escaped as `\uXXXX`, an astral
 * one as its surrogate pair. A list of keys given to JSON.stringify is the order it writes
 * every object's keys in (integer-like keys included, which an object would put first), so
 * one call does it; absent values are left out, as detection-rules drops `None`s.
 */
export function packagedJson(value: unknown): string {
  const keys = new Set<string>();
  collectKeys(value, keys);
  const json = JSON.stringify(value, [...keys].sort()) ?? "null";
  // JSON.stringify already escapes controls and lone surrogates as Python does
  return NOT_ASCII.test(json) ? json.replace(NOT_ASCII_ALL, escapeUnit) : json;
}

function collectKeys(value: unknown, keys: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) collectKeys(item, keys);
  } else if (isPlainObject(value)) {
    for (const key of Object.keys(value)) {
      keys.add(key);
      collectKeys(value[key], keys);
    }
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" &&
  value !== null &&
  (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null);

const NOT_ASCII = /[\u007f-\uffff]/;
const NOT_ASCII_ALL = /[\u007f-\uffff]/g;
const escapeUnit = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
