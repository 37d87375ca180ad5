/**
 * Where a setting is written in a config file that has already parsed: the line and column of its
 * key, so that a wrong value is reported at its place. A settings file is small and flat (top-level
 * keys, and keys of a `[nats]` table), so the key is found by lines rather than by a second parser;
 * a key not found so (inside a multi-line value, say) is reported by the file alone.
 */
export function configKeyPosition(
  text: string,
  format: "toml" | "json",
  keys: readonly string[],
): { line: number; column: number } | undefined {
  return format === "toml" ? tomlKeyPosition(text, keys) : jsonKeyPosition(text, keys);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function tomlKeyPosition(text: string, keys: readonly string[]) {
  const lines = text.split(/\r\n|\n|\r/);
  const [section, key] = keys.length === 2 ? keys : [undefined, keys[0]];
  const bare = (name: string) => `(?:${escapeRegExp(name)}|"${escapeRegExp(name)}")`;
  const inTable = new RegExp(`^(\\s*)${bare(key)}\\s*=`);
  const dotted =
    section === undefined ? undefined : new RegExp(`^(\\s*)${bare(section)}\\s*\\.\\s*${bare(key)}\\s*=`);
  let table: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const header = /^\s*\[\s*"?([A-Za-z0-9_-]+)"?\s*\]/.exec(lines[i]);
    if (header) {
      table = header[1];
      continue;
    }
    const found =
      (table === section && inTable.exec(lines[i])) || (table === undefined && dotted?.exec(lines[i]));
    if (found) return { line: i + 1, column: found[1].length + 1 };
  }
  return undefined;
}

function jsonKeyPosition(text: string, keys: readonly string[]) {
  let from = 0;
  let at = -1;
  for (const key of keys) {
    at = text.indexOf(`${JSON.stringify(key)}`, from);
    while (at >= 0 && !/^\s*:/.test(text.slice(at + key.length + 2, at + key.length + 2 + 64)))
      at = text.indexOf(`${JSON.stringify(key)}`, at + 1);
    if (at < 0) return undefined;
    from = at + 1;
  }
  const before = text.slice(0, at);
  const lineStart = Math.max(before.lastIndexOf("\n"), before.lastIndexOf("\r")) + 1;
  return { line: before.split(/\r\n|\n|\r/).length, column: at - lineStart + 1 };
}
