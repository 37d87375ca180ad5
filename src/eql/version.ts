/**
 * Ordering of Elasticsearch `version` fields: semantic-versioning precedence,
 * relaxed as Elasticsearch relaxes it (any number of numeric main parts), with
 * invalid strings sorting after every valid version.
 */

interface ParsedVersion {
  /** numeric main parts as digit strings without leading zeros */
  main: string[];
  /** pre-release identifiers, empty for a release */
  preRelease: string[];
}

const NUMERIC = "0|[1-9]\\d*";
const IDENTIFIER = "[0-9A-Za-z-]+";
const VERSION = new RegExp(
  `^((?:${NUMERIC})(?:\\.(?:${NUMERIC}))*)` +
    `(?:-(${IDENTIFIER}(?:\\.${IDENTIFIER})*))?` +
    `(?:\\+${IDENTIFIER}(?:\\.${IDENTIFIER})*)?$`,
);

/** Whether `s` is a version Elasticsearch orders by precedence (rather than after all valid ones). */
export function isValidVersion(s: string): boolean {
  return parseVersion(s) !== null;
}

/**
 * Negative, zero or positive as `a` sorts before, with or after `b`.
 *
 * Valid versions compare by precedence: main parts numerically one by one
 * (when one list of main parts is a prefix of the other, the shorter sorts
 * first: `1.2` < `1.2.0` < `1.2.0.0`), then a pre-release before its release,
 * then pre-release identifiers per semver. Build metadata does not take part
 * in precedence, but versions of equal precedence are then ordered by their
 * plain text so that only identical strings compare equal (a total order,
 * which sorting and join keys need). Invalid strings sort after all valid
 * ones, among themselves by plain text.
 */
export function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (pa !== null && pb !== null) {
    const byPrecedence = comparePrecedence(pa, pb);
    if (byPrecedence !== 0) return byPrecedence;
  } else if (pa !== null) {
    return -1;
  } else if (pb !== null) {
    return 1;
  }
  return compareText(a, b);
}

function parseVersion(s: string): ParsedVersion | null {
  const m = VERSION.exec(s);
  if (m === null) return null;
  const preRelease = m[2] === undefined ? [] : m[2].split(".");
  // Semver forbids leading zeros in numeric pre-release identifiers too.
  if (preRelease.some((id) => /^0\d+$/.test(id))) return null;
  return { main: m[1].split("."), preRelease };
}

function comparePrecedence(a: ParsedVersion, b: ParsedVersion): number {
  const byMain = compareLists(a.main, b.main, compareNumeric);
  if (byMain !== 0) return byMain;
  const aIsRelease = a.preRelease.length === 0;
  const bIsRelease = b.preRelease.length === 0;
  if (aIsRelease || bIsRelease) return aIsRelease === bIsRelease ? 0 : aIsRelease ? 1 : -1;
  return compareLists(a.preRelease, b.preRelease, compareIdentifier);
}

/** Element by element; when one list is a prefix of the other, the shorter sorts first. */
function compareLists(a: string[], b: string[], compare: (x: string, y: string) => number): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compare(a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** Digit strings without leading zeros of any length: longer is larger, else compare digits. */
function compareNumeric(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : compareText(a, b);
}

/** Semver: numeric identifiers numerically and before alphanumeric ones, those in ASCII order. */
function compareIdentifier(a: string, b: string): number {
  const aNumeric = /^\d+$/.test(a);
  const bNumeric = /^\d+$/.test(b);
  if (aNumeric && bNumeric) return compareNumeric(a, b);
  if (aNumeric !== bNumeric) return aNumeric ? -1 : 1;
  return compareText(a, b);
}

/** UTF-16 code-unit order (identical to byte order for the ASCII of valid versions). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
