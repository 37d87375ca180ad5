import { applyArithmetic, type NumericValue, widen } from "./arithmetic.ts";
import type { ArithmeticOp } from "./ast.ts";
import { foldAscii } from "./case-fold.ts";
import { canonicalIp, compileCidrMatcher } from "./cidr.ts";
import { javaDoubleToString, javaIntValue, parseJavaNumberDetailed, scalarToJavaString } from "./java.ts";
import { formatJavaDateTime, parseTimestamp, truncateToMillis } from "./timestamp.ts";
import type { EqlType } from "./types.ts";
import { asDouble, type ScriptValue, WholeDouble } from "./whole-double.ts";
import { compileWildcardQuery } from "./wildcard-query.ts";

/** What an argument position accepts, as Elasticsearch names it in type errors. */
export type ArgumentKind = "string" | "numeric" | "integer" | "boolean" | "ip" | "any";

export interface EqlFunction {
  /** canonical spelling; calls are matched case-insensitively */
  name: string;
  minArgs: number;
  maxArgs: number;
  /** Elasticsearch's wording after `error building [name]: ` */
  arityMessage: string;
  /** whether a `name~(...)` form exists */
  caseInsensitiveForm: boolean;
  /** per position; the last entry repeats for variadic functions */
  argumentKinds: ArgumentKind[];
  /** the arguments from this position on must be constants (cidrMatch's blocks) */
  constantsFrom?: number;
  /**
   * `evaluate` with the constants from `constantsFrom` on taken once, when the query is compiled:
   * what depends on them alone (cidrMatch's blocks, made a matcher) is not redone per value.
   * The evaluation it returns still takes every argument, and reads only those before;
   * undefined when the constants are such that `evaluate` fails, so it fails as it does.
   */
  withConstants?: (constants: ScriptValue[]) => EqlFunction["evaluate"] | undefined;
  returnType: (argumentTypes: EqlType[]) => EqlType;
  /**
   * The type a script computes with when it is not `returnType`: Elasticsearch declares a type
   * its verifier checks, while the value keeps the Java type it has at run time.
   */
  scriptReturnType?: EqlType;
  /**
   * Evaluates one call on single values. `types` are the static argument types
   * ("unknown" for schemaless fields), needed for Java's int/double distinctions.
   */
  evaluate: (args: ScriptValue[], types: EqlType[], caseInsensitive: boolean) => ScriptValue;
  /**
   * The test of each value when the first argument is a field and the others are constants, for
   * the functions Elasticsearch then runs as a query whose meaning is not `evaluate`'s.
   */
  fieldQuery?: (constants: ScriptValue[], caseInsensitive: boolean) => (value: string) => boolean;
}

const str = (v: ScriptValue): string | null => (v === null ? null : typeof v === "string" ? v : String(v));
/**
 * An argument that Elasticsearch's processor checks once the source is not null
 * (`Check.isString`): a null one fails the query rather than making the result null.
 */
function requiredString(v: ScriptValue): string {
  if (v === null) throw new Error("A string/char is required; received [null]");
  return str(v)!;
}
const num = (v: ScriptValue): number | null =>
  typeof v === "number" ? v : v instanceof WholeDouble ? v.value : null;
/** A position argument as Elasticsearch's processors read it, narrowed to a Java int. */
const position = (v: ScriptValue, type: EqlType): number | null => {
  const n = num(v);
  if (n === null) return null;
  const double = v instanceof WholeDouble || type === "double" || type === "float";
  return javaIntValue(n, !double && Number.isInteger(n));
};
/** A number argument as arithmetic needs it: a whole double stays boxed, so it stays a double. */
const numeric = (v: ScriptValue): NumericValue | null =>
  typeof v === "number" || v instanceof WholeDouble ? v : null;
const fold = (s: string, caseInsensitive: boolean) => (caseInsensitive ? s.toLowerCase() : s);

function math(name: string, op: ArithmeticOp): EqlFunction {
  return {
    name,
    minArgs: 2,
    maxArgs: 2,
    arityMessage: "expects exactly two arguments",
    caseInsensitiveForm: false,
    argumentKinds: ["numeric", "numeric"],
    returnType: ([a, b]) => widen(a, b),
    evaluate: ([a, b], [ta, tb]) => applyArithmetic(op, numeric(a), numeric(b), ta, tb),
  };
}

/**
 * A two-string test with a `~` form: a null source is null; `~` lower-cases both sides, as
 * Java's `toLowerCase(Locale.ROOT)` does in Elasticsearch's script.
 * `wildcard`: on a field, Elasticsearch runs it as a `wildcard` query of the constant wrapped so.
 * `fieldQuery`: on a field, Elasticsearch runs it as that query.
 * `otherRequired`: a null second argument is an error (see requiredString), not null.
 */
function stringTest(
  name: string,
  test: (source: string, other: string) => boolean,
  {
    wildcard,
    fieldQuery,
    otherRequired = false,
  }: {
    wildcard?: (text: string) => string;
    fieldQuery?: EqlFunction["fieldQuery"];
    otherRequired?: boolean;
  } = {},
): EqlFunction {
  return {
    name,
    minArgs: 2,
    maxArgs: 2,
    arityMessage: "expects exactly two arguments",
    caseInsensitiveForm: true,
    argumentKinds: ["string", "string"],
    returnType: () => "boolean",
    evaluate: ([source, other], _t, ci) => {
      const s = str(source);
      if (s === null) return null;
      const x = otherRequired ? requiredString(other) : str(other);
      if (x === null) return null;
      return test(fold(s, ci), fold(x, ci));
    },
    // The constant goes in as Java's string concatenation writes it: unescaped, and null as "null".
    fieldQuery: wildcard ? ([other], ci) => compileWildcardQuery(wildcard(String(other)), ci) : fieldQuery,
  };
}

/** `between(source, left, right[, greedy])`: the text between two markers. */
function between(
  source: string,
  left: string,
  right: string,
  greedy: boolean,
  caseInsensitive: boolean,
): string {
  if (source === "" || left === "" || right === "") return source;
  // Positions are found in the folded text and cut from the original, as Elasticsearch does:
  // where folding changes a length (`İ` is two units folded) they can be off, or out of range.
  const haystack = fold(source, caseInsensitive);
  const marker = fold(left, caseInsensitive);
  const l = haystack.indexOf(marker);
  if (l < 0) return "";
  const start = l + marker.length;
  const needle = fold(right, caseInsensitive);
  const r = greedy ? haystack.lastIndexOf(needle) : haystack.indexOf(needle, start);
  if (r < 0) return "";
  // Java's substring fails, and the query with it, when the last `right` starts before `left` ends.
  if (r < start || r > source.length) throw new Error(`begin ${start}, end ${r}, length ${source.length}`);
  return source.slice(start, r);
}

/** Python-style slice on UTF-16 units: negative indices count from the end; no start is no slice. */
function substring(source: string, start: number | null, end: number | null): string {
  if (start === null) return source;
  const n = source.length;
  const clamp = (i: number) => Math.min(n, Math.max(0, i < 0 ? i + n : i));
  const s = clamp(start);
  const e = end === null ? n : clamp(end);
  return s >= e ? "" : source.slice(s, e);
}

/**
 * cidrMatch with its blocks compiled once. Undefined when a block is null or not a block: then
 * the call fails each time it is evaluated with an address, as Elasticsearch's script does.
 */
function cidrMatch(blocks: ScriptValue[]): EqlFunction["evaluate"] | undefined {
  let matches: (ip: string) => boolean;
  try {
    matches = compileCidrMatcher(blocks.map(requiredString));
  } catch {
    return undefined;
  }
  return ([ip]) => {
    const address = str(ip);
    return address === null ? null : matches(address);
  };
}

const FUNCTIONS: EqlFunction[] = [
  math("add", "+"),
  {
    name: "between",
    minArgs: 3,
    maxArgs: 4,
    arityMessage: "expects three or four arguments",
    caseInsensitiveForm: true,
    argumentKinds: ["string", "string", "string", "boolean"],
    returnType: () => "keyword",
    evaluate: ([source, left, right, greedy = false], _types, ci) => {
      const s = str(source);
      if (s === null) return null;
      const l = requiredString(left);
      const r = requiredString(right);
      if (typeof greedy !== "boolean") throw new Error(`A boolean is required; received [${greedy}]`);
      return between(s, l, r, greedy, ci);
    },
  },
  {
    name: "cidrMatch",
    minArgs: 2,
    maxArgs: Number.POSITIVE_INFINITY,
    arityMessage: "expects at least two arguments",
    caseInsensitiveForm: false,
    argumentKinds: ["ip", "string"],
    constantsFrom: 1,
    returnType: () => "boolean",
    evaluate: ([ip, ...blocks]) => {
      const address = str(ip);
      if (address === null) return null;
      return compileCidrMatcher(blocks.map(requiredString))(address);
    },
    withConstants: cidrMatch,
  },
  {
    name: "concat",
    minArgs: 1,
    maxArgs: Number.POSITIVE_INFINITY,
    arityMessage: "expects at least one argument",
    caseInsensitiveForm: false,
    argumentKinds: ["any"],
    returnType: () => "keyword",
    evaluate: (args, types) => {
      let out = "";
      for (let i = 0; i < args.length; i++) {
        const v = args[i];
        if (v === null) return null;
        out += javaString(v, types[i]);
      }
      return out;
    },
  },
  math("divide", "/"),
  stringTest("endsWith", (s, x) => s.endsWith(x), { wildcard: (x) => `*${x}` }),

  {
    name: "indexOf",
    minArgs: 2,
    maxArgs: 3,
    arityMessage: "expects two or three arguments",
    caseInsensitiveForm: true,
    argumentKinds: ["string", "string", "integer"],
    returnType: () => "integer",
    evaluate: ([source, sub, start], types, ci) => {
      const s = str(source);
      const x = str(sub);
      if (s === null || x === null) return null;
      // An omitted or null start is 0, as in Elasticsearch's processor (its docs say null).
      const from = Math.max(0, position(start, types[2]) ?? 0);
      const found = fold(s, ci).indexOf(fold(x, ci), from);
      return found < 0 ? null : found;
    },
  },
  {
    name: "length",
    minArgs: 1,
    maxArgs: 1,
    arityMessage: "expects exactly one argument",
    caseInsensitiveForm: false,
    argumentKinds: ["string"],
    returnType: () => "integer",
    evaluate: ([source]) => {
      const s = str(source);
      return s === null ? null : s.length;
    },
  },
  math("modulo", "%"),
  math("multiply", "*"),
  {
    name: "number",
    minArgs: 1,
    maxArgs: 2,
    arityMessage: "expects one or two arguments",
    caseInsensitiveForm: false,
    argumentKinds: ["string", "integer"],
    // Declared a double, as Elasticsearch's verifier sees it (`substring(s, number("1"))` is refused);
    // the value is a long or a double depending on the text, so scripts decide per value.
    returnType: () => "double",
    scriptReturnType: "unknown",
    evaluate: ([source, base = null], types) => {
      const s = str(source);
      if (s === null) return null;
      // Elasticsearch's processor takes a Java Integer only: a long literal fails, and so does any
      // field, whose doc values a script reads as longs.
      if (base !== null && (types[1] !== "integer" || typeof base !== "number")) {
        throw new Error(`An integer base is required; received [${javaString(base, types[1])}]`);
      }
      const { value, integral } = parseJavaNumberDetailed(s, base);
      // Java's Double.valueOf("42.0") is a double though whole: it divides and prints as one.
      return integral ? value : asDouble(value);
    },
  },
  stringTest("startsWith", (s, x) => s.startsWith(x), {
    // A prefix query, whose `case_insensitive` folds ASCII letters only (see case-fold.ts).
    fieldQuery: ([other], ci) => {
      const prefix = str(other);
      if (prefix === null) return () => false;
      if (!ci) return (value) => value.startsWith(prefix);
      const folded = foldAscii(prefix);
      return (value) => foldAscii(value).startsWith(folded);
    },
  }),

  {
    name: "string",
    minArgs: 1,
    maxArgs: 1,
    arityMessage: "expects exactly one argument",
    caseInsensitiveForm: false,
    argumentKinds: ["any"],
    returnType: () => "keyword",
    evaluate: ([value], [type]) => (value === null ? null : javaString(value, type)),
  },
  // In a script an empty source or substring never "contains"; as a query `**` matches every value.
  stringTest("stringContains", (s, x) => s !== "" && x !== "" && s.includes(x), {
    wildcard: (x) => `*${x}*`,
    otherRequired: true,
  }),

  {
    name: "substring",
    minArgs: 2,
    maxArgs: 3,
    arityMessage: "expects two or three arguments",
    caseInsensitiveForm: false,
    argumentKinds: ["string", "integer", "integer"],
    returnType: () => "keyword",
    evaluate: ([source, start, end], types) => {
      const s = str(source);
      if (s === null) return null;
      return substring(s, position(start, types[1]), position(end, types[2]));
    },
  },
  math("subtract", "-"),
];

const BY_NAME = new Map(FUNCTIONS.map((f) => [f.name.toLowerCase(), f]));

/** Function names are case-insensitive: `CONCAT`, `cidrmatch` and `cidrMatch` are one function. */
export function lookupFunction(name: string): EqlFunction | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** Lower-cased, as Elasticsearch lists them in "did you mean" suggestions. */
export const functionNames = (): string[] => [...BY_NAME.keys()];

export function javaString(value: string | number | boolean | WholeDouble, type: EqlType): string {
  if (value instanceof WholeDouble) return javaDoubleToString(value.value);
  // A script reads a date field's doc value as a ZonedDateTime and an ip field's as the address's
  // canonical text, so that is what they print; a value neither reads as stays as written.
  if ((type === "date" || type === "date_nanos") && typeof value !== "boolean") {
    const ns = parseTimestamp(value);
    if (ns !== null) return formatJavaDateTime(type === "date" ? truncateToMillis(ns) : ns);
  }
  if (type === "ip" && typeof value === "string") return canonicalIp(value) ?? value;
  const isDouble =
    type === "double" ||
    type === "float" ||
    (type === "unknown" && typeof value === "number" && !Number.isInteger(value));
  return scalarToJavaString(value, isDouble);
}
