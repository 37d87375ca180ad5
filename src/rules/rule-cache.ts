import { createHash } from "node:crypto";
import {
  type BigIntStats,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { deserialize, serialize } from "node:v8";
import { makeDirectory } from "../io/make-directory.ts";
import type { Diagnostic } from "./diagnostic.ts";
import type { LoadedRule, RejectedRule } from "./loaded-rule.ts";
import type { SavedQuery } from "./saved-query.ts";

/**
 * What loading a rule file gave, kept between runs so that the next run with the same file
 * skips reading, parsing, validating and checking it: loading a thousand rules costs a
 * second, most of it spent the same way every time.
 *
 * A file's entry is found by its path and what the file system says of it (inode, size,
 * modification and change times in nanoseconds: any write changes the change time, which no
 * tool can set back). The whole cache belongs to one build of eqlite — its code, its field
 * catalogs and the versions of the parsers it uses — and to one set of load options: any
 * change to those is another cache. A cache that cannot be read is as good as none.
 */
export class RuleCache {
  private readonly entries: Map<string, SavedFile>;
  private readonly used = new Map<string, SavedFile>();
  private changed = false;

  private constructor(
    private readonly path: string,
    entries: Map<string, SavedFile>,
  ) {
    this.entries = entries;
  }

  /** The cache under `dir` for this build and these options (a string naming them). */
  static open(dir: string, options: string): RuleCache {
    const name = `rules-${hash(`${buildFingerprint()}\u0000${options}`).slice(0, 24)}.v8`;
    const path = join(dir, name);
    let entries = new Map<string, SavedFile>();
    try {
      const read = deserialize(checked(readFileSync(path))) as unknown;
      if (read instanceof Map) entries = read as Map<string, SavedFile>;
    } catch {
      // absent, unreadable or damaged: start afresh (and the run writes it anew)
    }
    return new RuleCache(path, entries);
  }

  /** What loading `file` gave when it was as `stat` says it is now, if known. */
  get(file: string, stat: BigIntStats): CachedFile | undefined {
    const key = keyOf(file, stat);
    const saved = this.entries.get(key);
    if (!saved) return undefined;
    this.used.set(key, saved);
    // handed out once per run: the objects become the loaded rules' own
    this.entries.delete(key);
    return restored(saved);
  }

  put(file: string, stat: BigIntStats, entry: CachedFile): void {
    this.used.set(keyOf(file, stat), { entry, nullPrototypes: nullPrototypePaths(entry) });
    this.changed = true;
  }

  /**
   * Writes the entries this run used, when some were new, and as many of the others as fit
   * under the bound (files loaded by other runs). Written whole to a temporary file and
   * renamed, so that a reader never sees half of it; failures are ignored.
   */
  save(): void {
    if (!this.changed) return;
    const kept = new Map(this.used);
    for (const [key, entry] of this.entries) {
      if (kept.size >= MAX_ENTRIES) break;
      if (!kept.has(key)) kept.set(key, entry);
    }
    const temporary = `${this.path}.${process.pid}.tmp`;
    try {
      makeDirectory(dirname(this.path));
      writeFileSync(temporary, sealed(serialize(kept)));
      renameSync(temporary, this.path);
      pruneOthers(dirname(this.path));
    } catch {
      rmSync(temporary, { force: true });
    }
  }
}

/**
 * A cache's bytes behind their digest. A damaged file mostly still deserializes — a flipped
 * bit in a rule's name or query is a valid string — and would load rules that are in no file.
 */
function sealed(payload: Buffer): Buffer {
  return Buffer.concat([createHash("sha256").update(payload).digest(), payload]);
}

/** The payload of a sealed cache; throws when it is not what was written. */
function checked(file: Buffer): Buffer {
  const payload = file.subarray(DIGEST_BYTES);
  const digest = createHash("sha256").update(payload).digest();
  if (file.length < DIGEST_BYTES || !digest.equals(file.subarray(0, DIGEST_BYTES)))
    throw new Error("the rule cache is damaged");
  return payload;
}

const DIGEST_BYTES = 32;

/** What loading one rule file gave, in the order the loader produced it. */
export interface CachedFile {
  /** every diagnostic the file's own loading reported (not the checks across files) */
  diagnostics: Diagnostic[];
  documents: CachedDocument[];
}

export type CachedDocument =
  | { rejected: RejectedRule }
  | { loaded: Omit<LoadedRule, "query">; query?: SavedQuery };

/**
 * An entry as written: the structured clone that writes it keeps every value but not the
 * prototype of an object without one (TOML tables are such objects), so where those were is
 * written beside it, and they are made so again when read.
 */
interface SavedFile {
  entry: CachedFile;
  nullPrototypes: Path[];
}

type Path = Array<string | number>;

/** Where the objects without a prototype are: one walk, one path copied per such object. */
function nullPrototypePaths(root: unknown): Path[] {
  const out: Path[] = [];
  const path: Path = [];
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== "object") return;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        visit(value[i]);
        path.pop();
      }
      return;
    }
    if (Object.getPrototypeOf(value) === null) out.push([...path]);
    for (const key of Object.keys(value)) {
      path.push(key);
      visit((value as Record<string, unknown>)[key]);
      path.pop();
    }
  };
  visit(root);
  return out;
}

function restored({ entry, nullPrototypes }: SavedFile): CachedFile {
  for (const path of nullPrototypes) {
    let target: unknown = entry;
    for (const step of path) target = (target as Record<string | number, unknown>)[step];
    Object.setPrototypeOf(target, null);
  }
  return entry;
}

/** Entries kept at most: a few rule repositories. */
const MAX_ENTRIES = 20_000;
/** Caches of other builds and options kept: every change to eqlite's code is another cache. */
const MAX_CACHES = 4;

/** Only the most recently written caches stay. */
function pruneOthers(dir: string): void {
  const caches = readdirSync(dir)
    .filter((name) => /^rules-[0-9a-f]+\.v8$/.test(name))
    .map((name) => ({ path: join(dir, name), written: statSync(join(dir, name)).mtimeMs }))
    .sort((a, b) => b.written - a.written);
  for (const { path } of caches.slice(MAX_CACHES)) rmSync(path, { force: true });
}

/** Where the cache lives unless told: $EQLITE_CACHE_DIR, else the user's cache directory. */
export function defaultCacheDir(): string {
  const env = process.env;
  if (env.EQLITE_CACHE_DIR) return env.EQLITE_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "eqlite");
}

const hash = (text: string | Buffer) => createHash("sha256").update(text).digest("hex");

const keyOf = (file: string, s: BigIntStats) =>
  `${file}\u0000${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;

let fingerprint: string | undefined;

/**
 * This build of eqlite: the content of every file of its code (`src/` or `dist/`, whichever
 * runs) and of its package.json, and the versions of the parsers rule files go through.
 */
function buildFingerprint(): string {
  if (fingerprint !== undefined) return fingerprint;
  const root = fileURLToPath(new URL("..", import.meta.url));
  const digest = createHash("sha256");
  for (const file of codeFiles(root)) {
    digest.update(file.slice(root.length));
    digest.update("\u0000");
    digest.update(readFileSync(file));
  }
  for (const manifest of [
    new URL("../../package.json", import.meta.url),
    new URL("../../node_modules/smol-toml/package.json", import.meta.url),
    new URL("../../node_modules/zod/package.json", import.meta.url),
  ]) {
    try {
      digest.update(readFileSync(manifest));
    } catch {
      digest.update("absent");
    }
  }
  digest.update(process.version);
  fingerprint = digest.digest("hex");
  return fingerprint;
}

const CODE = new Set([".ts", ".js", ".mjs", ".json"]);

function codeFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...codeFiles(path));
    else if (CODE.has(extname(entry.name)) && !entry.name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}
