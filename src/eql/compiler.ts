import type { Comparison, EventQuery, Expression, Field, FunctionCall, In, Literal, Match } from "./ast.ts";
import { foldAscii } from "./case-fold.ts";
import { EqlError, problemAt } from "./error.ts";
import {
  compileFieldGetter,
  type Event,
  type FieldGetter,
  scalarValues,
  someValue,
  withNullValue,
} from "./field-access.ts";
import { lookupFunction } from "./functions.ts";
import { LuceneRegexError } from "./lucene-regex.ts";
import { compileMatcher, matchesEverything } from "./matcher.ts";
import type { Schema } from "./schema.ts";
import { type Binding, COMPARISON_TESTS, compileScript, type ScriptFn } from "./script.ts";
import { scriptTypeOf } from "./script-type.ts";
import { quote, type Source } from "./source.ts";
import { type EqlType, isStringType, type Scalar } from "./types.ts";
import type { ValidationContext } from "./validation/context.ts";
import { referencesField } from "./validation/field-comparisons.ts";
import { compileComparator, LiteralCoercionError, parseDateValue } from "./value-compare.ts";
import { type ScriptValue, WholeDouble } from "./whole-double.ts";
import { hasWildcard } from "./wildcard.ts";

export type EventPredicate = (event: Event) => boolean;

/**
 * Turns a validated event query into a predicate, once. Conditions follow what
 * Elasticsearch executes: a field compared with constants is a query — true when
 * some value of the field satisfies it, and its negation true when none does
 * (including when the field is absent); anything computed is a script with
 * three-valued logic, matched when true for some combination of field values.
 */
export class QueryCompiler {
  private readonly getters = new Map<string, FieldGetter>();

  /**
   * `fieldSchema` is the schema of the one index being searched, when it differs from
   * the merged schema the query was validated against (aliases, formats and
   * `null_value` are per index). `failingFields` are fields whose reading fails in
   * that index (runtime fields with scripts eqlite cannot run).
   */
  constructor(
    private readonly ctx: ValidationContext,
    private readonly source: Source,
    private readonly fieldSchema: Schema | undefined = ctx.options.schema,
    private readonly failingFields: ReadonlySet<string> = new Set(),
  ) {}

  compileEventQuery(q: EventQuery): EventPredicate {
    const condition = this.condition(q.condition);
    if (q.category === null) return condition;
    const category = q.category;
    const categoryField = this.getterForName(this.ctx.options.eventCategoryField);
    const isCategory = (v: string | number | boolean) => v === category;
    return (event) => someValue(categoryField(event), isCategory) && condition(event);
  }

  /**
   * Throws what `compileEventQuery` would throw for `q` — a literal the field's type cannot
   * hold, a regular expression or a constant that fails, a script that does not compile —
   * without building the predicate: loading a thousand rules checks each against its catalog
   * this way, and compiles only those that events reach. It takes the compiler's own steps
   * up to the point where a step can fail; test/eql/compile-check.test.ts holds it to that.
   */
  check(q: EventQuery): void {
    this.checkCondition(q.condition);
  }

  /** `inConstant`: `e` is part of a condition being folded, whose parts are checked, not folded again. */
  private checkCondition(e: Expression, inConstant = false): void {
    if (!inConstant && this.isConstantCondition(e)) {
      this.foldConstant(e);
      return;
    }
    switch (e.kind) {
      case "Logical":
        this.checkCondition(e.left, inConstant);
        this.checkCondition(e.right, inConstant);
        return;
      case "Not":
        if (this.isScript(e.operand)) this.script(e);
        else this.checkCondition(e.operand, inConstant);
        return;
      case "Literal":
      case "Field":
        // a bare field passes validation only when it is boolean: its `== true` always compiles
        return;
      default: {
        const shape = this.queryShape(e);
        if (!shape) {
          this.script(e);
          return;
        }
        const field = shape.field;
        switch (e.kind) {
          case "Comparison": {
            const { literal } = this.comparisonParts(e);
            if (literal.value !== null) this.comparator(field, literal);
            return;
          }
          case "Match":
            if (e.op === "regex" && !matchesEverything(e)) this.guard(e, () => compileMatcher(e, "query"));
            return;
          case "In":
            this.inListMember(e, field);
            return;
          case "FunctionCall":
            this.functionArgs(e);
            return;
        }
      }
    }
  }

  /** The raw value reader of a field, through aliases and `null_value`; unknown optional fields read nothing. */
  fieldGetter(f: Field): FieldGetter {
    return this.getterForName(f.name);
  }

  /** The type the query was validated with (from the merged schema, or "unknown"). */
  typeOf(e: Expression): EqlType {
    return this.ctx.typeOf(e);
  }

  /** The reader of a field given by name (timestamp, tiebreaker, join keys). */
  fieldGetterByName(name: string): FieldGetter {
    return this.getterForName(name);
  }

  /** The date format of a field in this index's mapping, if it has one. */
  fieldFormat(name: string): string | undefined {
    return this.fieldSchema?.field(name)?.format;
  }

  /** Whether this index's mapping holds the field's dates in milliseconds (see FieldInfo.millis). */
  fieldInMillis(name: string): boolean {
    return this.fieldSchema?.field(name)?.millis === true;
  }

  /** Reads a date of the field as this index holds it: its format, and its precision. */
  dateReader(name: string): (value: Scalar) => bigint | null {
    const format = this.fieldFormat(name);
    const millis = this.fieldInMillis(name);
    return (value) => parseDateValue(value, format, millis);
  }

  private getterForName(name: string): FieldGetter {
    let getter = this.getters.get(name);
    if (getter) return getter;
    const schema = this.fieldSchema;
    if (this.failingFields.has(name)) {
      getter = () => {
        throw new FieldEvaluationError(name);
      };
    } else if (!schema) {
      getter = compileFieldGetter(name);
    } else {
      const info = schema.field(name);
      if (!info) getter = () => undefined;
      else {
        getter = compileFieldGetter(info.sourcePath);
        if (info.nullValue !== undefined && info.nullValue !== null)
          getter = withNullValue(getter, info.nullValue);
      }
    }
    this.getters.set(name, getter);
    return getter;
  }

  condition(e: Expression): EventPredicate {
    if (this.isConstantCondition(e)) {
      const value = this.foldConstant(e);
      return value === true ? () => true : () => false;
    }
    switch (e.kind) {
      case "Logical": {
        const left = this.condition(e.left);
        const right = this.condition(e.right);
        return e.op === "and" ? (ev) => left(ev) && right(ev) : (ev) => left(ev) || right(ev);
      }
      case "Not": {
        if (this.isScript(e.operand)) {
          // Elasticsearch folds a `not` over a script into the script: null stays null.
          const script = this.script(e);
          return (ev) => script(ev) === true;
        }
        const operand = this.condition(e.operand);
        return (ev) => !operand(ev);
      }
      case "Literal":
        return e.value === true ? () => true : () => false;
      case "Field":
        if (this.ctx.isAbsentOptional(e)) return () => false;
        return predicateOf(this.fieldQuery(e)!);
      default: {
        const query = this.fieldPredicate(e);
        if (query) return query;
        const script = this.script(e);
        return (ev) => script(ev) === true;
      }
    }
  }

  /**
   * Elasticsearch folds a condition that reads no field before it plans anything, with
   * three-valued logic: `not null` is null, and null keeps no event, as false does.
   */
  private isConstantCondition(e: Expression): boolean {
    return e.kind !== "Literal" && !this.readsField(e);
  }

  /**
   * The value of a condition that reads no field. Its parts are checked first, as `check` checks
   * them, so that a part that cannot compile (a regular expression, a constant) is reported at
   * its own place, by compiling and checking alike.
   */
  private foldConstant(e: Expression): ScriptValue {
    this.checkCondition(e, true);
    return this.script(e)({});
  }

  private isNullConstant(e: Expression): boolean {
    return (e.kind === "Literal" && e.value === null) || (e.kind === "Field" && this.ctx.isAbsentOptional(e));
  }

  private readsField(e: Expression): boolean {
    return referencesField(e, this.ctx.isAbsentOptional);
  }

  private isField(e: Expression): e is Field {
    return e.kind === "Field" && !this.ctx.isAbsentOptional(e);
  }

  /** Whether Elasticsearch would run `e` as a script rather than a query. */
  private isScript(e: Expression): boolean {
    if (e.kind === "Logical" || e.kind === "Field" || e.kind === "Literal") return false;
    if (e.kind === "Not") return this.isScript(e.operand);
    return this.queryShape(e) === null;
  }

  /** The field and constants of a condition that translates to a query, or null. */
  private queryShape(e: Expression): { field: Field } | null {
    switch (e.kind) {
      case "Comparison": {
        if (this.isField(e.left) && !this.readsField(e.right)) return { field: e.left };
        if (this.isField(e.right) && !this.readsField(e.left)) return { field: e.right };
        return null;
      }
      case "Match":
        return this.isField(e.subject) ? { field: e.subject } : null;
      case "In":
        return this.isField(e.subject) && !e.values.some((v) => this.readsField(v))
          ? { field: e.subject }
          : null;
      case "FunctionCall": {
        if (!QUERY_FUNCTIONS.has(e.name.toLowerCase())) return null;
        const [first, ...rest] = e.args;
        return first && this.isField(first) && !rest.some((v) => this.readsField(v))
          ? { field: first }
          : null;
      }
      default:
        return null;
    }
  }

  private fieldPredicate(e: Expression): EventPredicate | null {
    const query = this.fieldQuery(e);
    return query && predicateOf(query);
  }

  /**
   * A condition that Elasticsearch runs as a query on one field, as a test of each value:
   * what the evaluator runs, and what the rule index and the raw-line prefilter reason
   * about (so that they can never disagree with it). Null for scripts and logic.
   */
  fieldQuery(e: Expression): FieldQuery | null {
    if (e.kind === "Field") {
      if (this.ctx.isAbsentOptional(e)) return null;
      return this.fieldComparison(e, "==", trueAt(e));
    }
    const shape = this.queryShape(e);
    if (!shape) return null;
    switch (e.kind) {
      case "Comparison":
        return this.comparison(e);
      case "Match":
        return this.match(e, shape.field);
      case "In":
        return this.inList(e, shape.field);
      case "FunctionCall":
        return this.functionQuery(e, shape.field);
      default:
        return null;
    }
  }

  private comparison(e: Comparison): FieldQuery {
    const { field, op, literal } = this.comparisonParts(e);
    return this.fieldComparison(field, op, literal);
  }

  /** A comparison of a field with a constant, written field first. */
  private comparisonParts(e: Comparison): { field: Field; op: Comparison["op"]; literal: Literal } {
    if (this.isField(e.left) && !this.readsField(e.right)) {
      return { field: e.left, op: e.op, literal: this.constant(e.right) };
    }
    return { field: e.right as Field, op: FLIP[e.op], literal: this.constant(e.left) };
  }

  private fieldComparison(field: Field, op: Comparison["op"], literal: Literal): FieldQuery {
    const get = this.fieldGetter(field);
    const base = { field: field.name, get };
    if (literal.value === null) {
      // `== null` is "has no value", `!= null` "has a value"; other comparisons with null match nothing.
      if (op === "==") return { ...base, test: anyValue, negated: true };
      if (op === "!=") return { ...base, test: anyValue, negated: false };
      return { ...base, test: noValue, negated: false };
    }
    const compare = this.comparator(field, literal);
    const terms = op === "==" || op === "!=" ? this.exactTerms(field, [literal], false) : undefined;
    if (op === "!=") {
      // `a != b` is `not (a == b)`: true when no value equals, also for a missing field.
      return { ...base, test: (v) => compare(v) === 0, negated: true, terms };
    }
    const test = COMPARISON_TESTS[op];
    return { ...base, test: (v) => test(compare(v)), negated: false, terms };
  }

  /**
   * The literals as the exact set of strings a value must equal (after folding), when the
   * test is just that: string literals compared with a field read as a string. A literal a
   * number or a boolean could also equal (`"5"`, `"true"`) has no such set.
   */
  private exactTerms(field: Field, literals: Literal[], caseInsensitive: boolean): FieldQuery["terms"] {
    const type = this.ctx.typeOf(field);
    if (!(isStringType(type) || type === "unknown")) return undefined;
    if (!literals.every((l) => l.type === "keyword" && !readsAsNumberOrBoolean(l.value as string)))
      return undefined;
    const fold = caseInsensitive ? foldAscii : (s: string) => s;
    return { values: new Set(literals.map((l) => fold(l.value as string))), caseInsensitive };
  }

  private comparator(field: Field, literal: Literal) {
    const info = this.fieldSchema?.field(field.name);
    try {
      return compileComparator(
        this.ctx.typeOf(field),
        literal.value,
        literal.type,
        info?.format,
        info?.millis === true,
      );
    } catch (error) {
      if (error instanceof LiteralCoercionError) {
        throw this.error(
          literal,
          `cannot compare [${field.name}] of type [${this.ctx.typeOf(field)}] with ${this.text(literal)}: ${error.message}`,
        );
      }
      throw error;
    }
  }

  private match(e: Match, field: Field): FieldQuery {
    const base = { field: field.name, get: this.fieldGetter(field), negated: false };
    if (matchesEverything(e)) return { ...base, test: anyValue };
    const matches = this.guard(e, () => compileMatcher(e, "query"));
    const terms =
      e.op !== "regex" && !e.patterns.some((p) => hasWildcard(String(p.value)))
        ? this.exactTerms(field, e.patterns, e.caseInsensitive)
        : undefined;
    const test = (v: string | number | boolean) => matches(typeof v === "string" ? v : String(v));
    return { ...base, test, terms, prefixes: terms ? undefined : patternHeads(e) };
  }

  private inList(e: In, field: Field): FieldQuery {
    const get = this.fieldGetter(field);
    const { literals, member } = this.inListMember(e, field);
    const terms = this.exactTerms(field, literals, e.caseInsensitive);
    return { field: field.name, get, test: member, negated: e.negated, terms };
  }

  private inListMember(
    e: In,
    field: Field,
  ): { literals: Literal[]; member: (v: string | number | boolean) => boolean } {
    // Null elements are dropped, as Elasticsearch's terms query drops them.
    const literals = e.values.map((v) => this.constant(v)).filter((l) => l.value !== null);
    const type = this.ctx.typeOf(field);
    let member: (v: string | number | boolean) => boolean;
    if ((isStringType(type) || type === "unknown") && literals.every((l) => l.type === "keyword")) {
      // `in~` on a field is a case-insensitive term query per element: ASCII letters fold
      const fold = e.caseInsensitive ? foldAscii : (s: string) => s;
      const set = new Set(literals.map((l) => fold(l.value as string)));
      member = (v) => set.has(fold(typeof v === "string" ? v : String(v)));
    } else {
      const comparators = literals.map((l) =>
        e.caseInsensitive && l.type === "keyword"
          ? this.comparatorFolded(field, l)
          : this.comparator(field, l),
      );
      member = (v) => comparators.some((c) => c(v) === 0);
    }
    return { literals, member };
  }

  private comparatorFolded(field: Field, literal: Literal) {
    const folded = { ...literal, value: foldAscii(literal.value as string) };
    const compare = this.comparator(field, folded);
    return (v: string | number | boolean) => compare(typeof v === "string" ? foldAscii(v) : v);
  }

  /** startsWith, endsWith, stringContains and cidrMatch on a field: queries over each value. */
  private functionQuery(e: FunctionCall, field: Field): FieldQuery {
    const get = this.fieldGetter(field);
    const { fn, rest, types, ci } = this.functionArgs(e);
    if (fn.fieldQuery) {
      const matches = fn.fieldQuery(rest, ci);
      const test = (v: string | number | boolean) => matches(typeof v === "string" ? v : String(v));
      return { field: field.name, get, test, negated: false };
    }
    const args: Scalar[] = [null, ...rest];
    const evaluate = fn.withConstants?.(rest.slice((fn.constantsFrom ?? 1) - 1)) ?? fn.evaluate;
    const test = (v: string | number | boolean) => {
      args[0] = v;
      return evaluate(args, types, ci) === true;
    };
    return { field: field.name, get, test, negated: false };
  }

  /** The function and its constant arguments after the field, evaluated once. */
  private functionArgs(e: FunctionCall) {
    const fn = lookupFunction(e.name)!;
    const rest = e.args.slice(1).map((a) => this.constant(a).value);
    const types = e.args.map((a) => this.ctx.typeOf(a));
    const ci = e.caseInsensitive;
    // One evaluation now, so that an invalid CIDR block fails at compile time with its position.
    // A wildcard or prefix query takes any constant (a wildcard's null is the text "null"), so
    // it has nothing to fail.
    if (!fn.fieldQuery) this.guard(e, () => fn.evaluate(["0.0.0.0", ...rest], types, ci));
    return { fn, rest, types, ci };
  }

  /** A script evaluated per event: true, false or null, over every combination of its fields' values. */
  script(e: Expression): (event: Event) => ScriptValue {
    const slots: Field[] = [];
    const slotByName = new Map<string, number>();
    const fn = this.guard(e, () =>
      compileScript(e, {
        typeOf: (x) => this.ctx.typeOf(x),
        isNullConstant: (x) => this.isNullConstant(x),
        isFloat32: (f) => this.fieldSchema?.field(f.name)?.float32 === true,
        slotOf: (f) => {
          if (this.ctx.isAbsentOptional(f)) return -1;
          let slot = slotByName.get(f.name);
          if (slot === undefined) {
            slot = slots.length;
            slots.push(f);
            slotByName.set(f.name, slot);
          }
          return slot;
        },
      }),
    );
    if (slots.length === 0) {
      const value = this.guard(e, () => fn([]));
      return () => value;
    }
    const getters = slots.map((f) => this.fieldGetter(f));
    return (event) => evaluateOverValues(fn, getters, event);
  }

  /** Folds a constant expression (`1 + 2`, `concat("a", "b")`) to its literal. */
  private constant(e: Expression): Literal {
    if (e.kind === "Literal") return e;
    const result = this.guard(e, () =>
      compileScript(e, {
        typeOf: (x) => this.ctx.typeOf(x),
        isNullConstant: (x) => this.isNullConstant(x),
        isFloat32: () => false,
        slotOf: () => -1,
      })([]),
    );
    // `number("42.0")` folds to the double 42.0: a keyword field is then compared with "42.0".
    if (result instanceof WholeDouble)
      return { kind: "Literal", value: result.value, type: "double", loc: e.loc };
    const value = result;
    // the type the value has, not the one the verifier declares: `number("5")` folds to the long 5
    const t = scriptTypeOf(e, (x) => this.ctx.typeOf(x));
    const type: Literal["type"] =
      value === null
        ? "null"
        : typeof value === "string"
          ? "keyword"
          : typeof value === "boolean"
            ? "boolean"
            : t === "double" || t === "float" || !Number.isInteger(value)
              ? "double"
              : t === "integer"
                ? "integer"
                : "long";
    return { kind: "Literal", value, type, loc: e.loc };
  }

  /** Runs compile-time work, turning its failures into errors that point at `e`. */
  private guard<T>(e: Expression, work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (error instanceof EqlError) throw error;
      if (error instanceof LuceneRegexError && e.kind === "Match") throw this.regexError(e, error);
      throw this.error(e, (error as Error).message);
    }
  }

  /**
   * A regex list is compiled as one alternation: its error's offset is in the patterns joined
   * with `|`, which the author never wrote. It is told against the pattern it falls in, under it.
   */
  private regexError(e: Match, error: LuceneRegexError): EqlError {
    let start = 0;
    for (const [i, literal] of e.patterns.entries()) {
      const pattern = String(literal.value);
      const end = start + pattern.length;
      if (error.offset <= end || i === e.patterns.length - 1) {
        const offset = Math.min(Math.max(error.offset - start, 0), pattern.length);
        return this.error(literal, new LuceneRegexError(pattern, offset, error.reason).message);
      }
      start = end + 1;
    }
    return this.error(e, error.message);
  }

  private text(e: Expression): string {
    return quote(this.source, e.loc.start, e.loc.end);
  }

  private error(e: Expression, message: string): EqlError {
    return new EqlError("evaluation", this.source, [problemAt(this.source, e.loc.start, e.loc.end, message)]);
  }
}

/** Reading a field failed for a whole index: Elasticsearch reports it as a shard failure. */
export class FieldEvaluationError extends Error {
  constructor(readonly field: string) {
    super(`field [${field}] cannot be evaluated: it is a runtime field whose script eqlite cannot run`);
  }
}

/**
 * A condition on one field: it holds when some value of the field passes `test` — or, when
 * `negated`, when none does (a missing field included).
 */
export interface FieldQuery {
  /** the field as the query names it */
  field: string;
  get: FieldGetter;
  test: (value: string | number | boolean) => boolean;
  negated: boolean;
  /**
   * When `test` is exactly "the value, folded by `foldAscii` if caseInsensitive, is one of these
   * strings" (and no number or boolean value can pass): the strings, for indexing.
   */
  terms?: { values: ReadonlySet<string>; caseInsensitive: boolean };
  /**
   * When every value that passes `test` starts, as text and folded by `foldAscii` if
   * caseInsensitive, with one of these strings (the heads of `like` patterns before their first
   * wildcard): the heads, for indexing. A number or a boolean passes as its text.
   */
  prefixes?: { values: ReadonlySet<string>; caseInsensitive: boolean };
}

/**
 * The literal heads of wildcard patterns (`/etc/ld.so.conf.d/*` → `/etc/ld.so.conf.d/`),
 * when every pattern has one: a value a pattern matches starts with its head. Regular
 * expressions have none that can be read this simply.
 */
function patternHeads(e: Match): FieldQuery["prefixes"] {
  if (e.op === "regex") return undefined;
  const heads = new Set<string>();
  for (const p of e.patterns) {
    const text = e.caseInsensitive ? foldAscii(String(p.value)) : String(p.value);
    const star = text.indexOf("*");
    const question = text.indexOf("?");
    const cut = Math.min(star < 0 ? text.length : star, question < 0 ? text.length : question);
    if (cut === 0) return undefined;
    heads.add(text.slice(0, cut));
  }
  return heads.size ? { values: heads, caseInsensitive: e.caseInsensitive } : undefined;
}

export function predicateOf(q: FieldQuery): EventPredicate {
  const { get, test } = q;
  return q.negated ? (ev) => !someValue(get(ev), test) : (ev) => someValue(get(ev), test);
}

const anyValue = () => true;
const noValue = () => false;
/** Text that a number or a boolean value could also be compared equal to (`"5"`, `"0x10"`, `"true"`). */
const readsAsNumberOrBoolean = (text: string) =>
  text.trim() === "" || !Number.isNaN(Number(text)) || /^(?:true|false)$/i.test(text);

const QUERY_FUNCTIONS: ReadonlySet<string> = new Set([
  "startswith",
  "endswith",
  "stringcontains",
  "cidrmatch",
]);

/** A bare field as a condition reads as `field == true`. */
const trueAt = (field: Field): Literal => ({ kind: "Literal", value: true, type: "boolean", loc: field.loc });

const FLIP: Record<Comparison["op"], Comparison["op"]> = {
  "==": "==",
  "!=": "!=",
  "<": ">",
  "<=": ">=",
  ">": "<",
  ">=": "<=",
};

/** Combinations beyond this many are not enumerated; the first values of each field still are. */
export const MAX_SCRIPT_COMBINATIONS = 4096;

/**
 * Binds each field slot to one value at a time: true if any combination is true,
 * else null if any is null, else false. A missing field binds to null.
 */
export function evaluateOverValues(fn: ScriptFn, getters: FieldGetter[], event: Event): ScriptValue {
  const n = getters.length;
  const binding: Binding = new Array(n);
  let lists: Scalar[][] | undefined;
  for (let i = 0; i < n; i++) {
    const raw = getters[i](event);
    if (raw === undefined || raw === null || typeof raw !== "object") {
      binding[i] = raw === undefined ? null : (raw as Scalar);
      continue;
    }
    const values: Scalar[] = scalarValues(raw);
    if (values.length === 1) binding[i] = values[0];
    else {
      lists ??= new Array(n);
      lists[i] = values.length ? values : [null];
    }
  }
  if (!lists) return fn(binding);
  let sawNull = false;
  let combinations = 0;
  const assign = (i: number): boolean => {
    if (i === n) {
      if (++combinations > MAX_SCRIPT_COMBINATIONS) return false;
      const r = fn(binding);
      if (r === true) return true;
      if (r === null) sawNull = true;
      return false;
    }
    const list = lists![i];
    if (!list) return assign(i + 1);
    for (const v of list) {
      binding[i] = v;
      if (assign(i + 1)) return true;
    }
    return false;
  };
  if (assign(0)) return true;
  return sawNull ? null : false;
}

export type { EqlType };
