/**
 * Explains why an event does or does not match an EQL query: every clause of the condition with
 * its result, the field values each leaf read, and the clauses that made the whole query false.
 * Each clause is compiled by the query's own compiler, so results have the engine's exact semantics.
 */
import type { EventQuery, Expression, Field, Statement } from "../eql/ast.ts";
import { type PreparedQuery, prepareQuery, type QueryOptions } from "../eql/compile-query.ts";
import type { EventPredicate, QueryCompiler } from "../eql/compiler.ts";
import type { Event, FieldGetter } from "../eql/field-access.ts";
import { print } from "../eql/printer.ts";
import { visibleText } from "../eql/terminal-text.ts";
import { walk } from "../eql/validation/validate.ts";
import type { CompiledRuleQuery } from "../rules/compile-rule.ts";

/** A field a clause reads, with the value found in the event. */
export interface FieldValue {
  field: string;
  /** the raw value; absent when the event has no such field */
  value?: unknown;
  missing: boolean;
}

export interface ClauseExplanation {
  /** "and"/"or" are flattened chains; "category" is the `process where` check */
  kind: "and" | "or" | "not" | "leaf" | "category";
  /** canonical EQL of the clause (`print`) */
  text: string;
  result: boolean;
  /** one of the clauses that make the whole query false */
  failed: boolean;
  /** leaves (and the category check): the fields read */
  fields?: FieldValue[];
  children?: ClauseExplanation[];
  /** the clause could not be evaluated (it is then false) */
  error?: string;
}

export interface EventQueryExplanation {
  query: string;
  matched: boolean;
  /** null for `any where` */
  category: ClauseExplanation | null;
  condition: ClauseExplanation;
  /** texts of the failed clauses, in query order */
  failed: string[];
}

export interface StageExplanation {
  /** 1-based position among the terms; the `until` term has none */
  stage: number | null;
  until: boolean;
  /** `![...]`: an event that must not happen */
  missing: boolean;
  query: string;
  matched: boolean;
  /** the sequence's `by` fields followed by the term's own */
  joinKeys: FieldValue[];
  failed: string[];
  explanation: EventQueryExplanation;
}

export interface EventExplanation {
  source: string;
  line: number;
  shape: "event" | "sequence" | "sample";
  /** event queries: the event matches; sequences and samples: it satisfies at least one stage */
  matched: boolean;
  failed: string[];
  /** event queries */
  query?: EventQueryExplanation;
  /** sequences and samples */
  stages?: StageExplanation[];
  /** the names of the rule's exception items that keep the event from it: it never reaches the query */
  excepted_by?: string[];
}

interface CompiledNode {
  kind: ClauseExplanation["kind"];
  text: string;
  predicate: EventPredicate;
  fields: Array<{ name: string; get: FieldGetter }>;
  children: CompiledNode[];
  compileError?: string;
}

interface CompiledEventQuery {
  query: EventQuery;
  text: string;
  category: CompiledNode | null;
  condition: CompiledNode;
}

interface CompiledStage {
  stage: number | null;
  until: boolean;
  missing: boolean;
  joinKeys: Array<{ name: string; get: FieldGetter }>;
  query: CompiledEventQuery;
}

export interface ExplainerInput {
  statement: Statement;
  compiler: QueryCompiler;
  /** default "event.category" */
  eventCategoryField?: string;
}

/** Explains events against one query; build once, call `explain` per event. */
export class Explainer {
  readonly shape: "event" | "sequence" | "sample";
  readonly query: string;
  private readonly eventQuery?: CompiledEventQuery;
  private readonly stages: CompiledStage[] = [];

  constructor(private readonly input: ExplainerInput) {
    const query = input.statement.query;
    this.query = print(input.statement);
    if (query.kind === "EventQuery") {
      this.shape = "event";
      this.eventQuery = this.compileEventQuery(query);
      return;
    }
    this.shape = query.kind === "SequenceQuery" ? "sequence" : "sample";
    const terms = query.terms.map((term, i) => ({ term, stage: (i + 1) as number | null, until: false }));
    if (query.kind === "SequenceQuery" && query.until)
      terms.push({ term: query.until, stage: null, until: true });
    for (const { term, stage, until } of terms) {
      this.stages.push({
        stage,
        until,
        missing: term.missing,
        joinKeys: [...query.joinKeys, ...term.joinKeys].map((f) => this.fieldReader(f)),
        query: this.compileEventQuery(term.query),
      });
    }
  }

  explain(event: Event, source = "<event>", line = 0): EventExplanation {
    if (this.eventQuery) {
      const query = evaluateEventQuery(this.eventQuery, event);
      return { source, line, shape: "event", matched: query.matched, failed: query.failed, query };
    }
    const stages: StageExplanation[] = this.stages.map((s) => {
      const explanation = evaluateEventQuery(s.query, event);
      return {
        stage: s.stage,
        until: s.until,
        missing: s.missing,
        query: explanation.query,
        matched: explanation.matched,
        joinKeys: s.joinKeys.map((k) => readField(k, event)),
        failed: explanation.failed,
        explanation,
      };
    });
    const matched = stages.some((s) => s.matched);
    const failed = matched ? [] : [...new Set(stages.flatMap((s) => s.failed))];
    return { source, line, shape: this.shape, matched, failed, stages };
  }

  private fieldReader(f: Field): { name: string; get: FieldGetter } {
    const name = f.name;
    try {
      return { name, get: this.input.compiler.fieldGetter(f) };
    } catch {
      return { name, get: () => undefined };
    }
  }

  private compileEventQuery(query: EventQuery): CompiledEventQuery {
    let category: CompiledNode | null = null;
    if (query.category !== null) {
      const want = query.category;
      const field = this.input.eventCategoryField ?? "event.category";
      const get = this.input.compiler.fieldGetterByName(field);
      category = {
        kind: "category",
        text: `${field} == ${JSON.stringify(want)}`,
        predicate: (ev) => hasValue(get(ev), want),
        fields: [{ name: field, get }],
        children: [],
      };
    }
    return { query, text: print(query), category, condition: this.compileNode(query.condition) };
  }

  private compileNode(e: Expression): CompiledNode {
    const text = print(e);
    if (e.kind === "Logical") {
      const children = flatten(e, e.op).map((c) => this.compileNode(c));
      const predicate =
        e.op === "and"
          ? (ev: Event) => children.every((c) => safe(c.predicate, ev))
          : (ev: Event) => children.some((c) => safe(c.predicate, ev));
      return { kind: e.op, text, predicate: this.compiled(e) ?? predicate, fields: [], children };
    }
    if (e.kind === "Not") {
      const child = this.compileNode(e.operand);
      const predicate = this.compiled(e) ?? ((ev: Event) => !safe(child.predicate, ev));
      return { kind: "not", text, predicate, fields: [], children: [child] };
    }
    const fields: CompiledNode["fields"] = [];
    const seen = new Set<string>();
    walk(e, (x) => {
      if (x.kind === "Field" && !seen.has(x.name)) {
        seen.add(x.name);
        fields.push(this.fieldReader(x));
      }
    });
    try {
      return { kind: "leaf", text, predicate: this.input.compiler.condition(e), fields, children: [] };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { kind: "leaf", text, predicate: () => false, fields, children: [], compileError: message };
    }
  }

  /** the compiler's own predicate for a compound node (null when it cannot compile it alone) */
  private compiled(e: Expression): EventPredicate | null {
    try {
      return this.input.compiler.condition(e);
    } catch {
      return null;
    }
  }
}

/** An explainer for an EQL query text (tests, ad-hoc use). */
export function explainerForQuery(text: string, options: QueryOptions = {}): Explainer {
  const prepared: PreparedQuery = prepareQuery(text, options);
  return new Explainer({
    statement: prepared.statement,
    compiler: prepared.compiler(),
    eventCategoryField: options.eventCategoryField,
  });
}

/**
 * An explainer for a loaded rule's compiled query (`LoadedRule.query`), as scan and serve run
 * it: its `execution`, which reads each value as what it is, not as its integrations' field
 * catalog types it (that compiler checks the rule; with it `process.name < 5` compared the
 * number 1e20 as a text, and explain said MATCH where scan did not alert).
 */
export function explainerForRule(query: CompiledRuleQuery): Explainer {
  const execution = query.execution();
  return new Explainer({
    statement: execution.statement,
    compiler: execution.compiler(),
    eventCategoryField: query.eventCategoryField,
  });
}

function flatten(e: Expression, op: "and" | "or"): Expression[] {
  if (e.kind === "Logical" && e.op === op) return [...flatten(e.left, op), ...flatten(e.right, op)];
  return [e];
}

function safe(predicate: EventPredicate, event: Event): boolean {
  try {
    return predicate(event);
  } catch {
    return false;
  }
}

function hasValue(raw: unknown, want: string): boolean {
  if (Array.isArray(raw)) return raw.some((v) => hasValue(v, want));
  return raw === want;
}

function readField(f: { name: string; get: FieldGetter }, event: Event): FieldValue {
  let value: unknown;
  try {
    value = f.get(event);
  } catch {
    value = undefined;
  }
  return value === undefined ? { field: f.name, missing: true } : { field: f.name, value, missing: false };
}

function evaluateNode(node: CompiledNode, event: Event): ClauseExplanation {
  let result: boolean;
  let error = node.compileError;
  try {
    result = node.predicate(event);
  } catch (e) {
    result = false;
    error ??= e instanceof Error ? e.message : String(e);
  }
  const out: ClauseExplanation = { kind: node.kind, text: node.text, result, failed: false };
  if (node.kind === "leaf" || node.kind === "category")
    out.fields = node.fields.map((f) => readField(f, event));
  if (node.children.length) out.children = node.children.map((c) => evaluateNode(c, event));
  if (error) out.error = error;
  return out;
}

/** Marks the clauses that make a false node false: false children of `and`, every child of a false `or`. */
function blame(node: ClauseExplanation, failed: string[]): void {
  if (node.result) return;
  const children = node.children ?? [];
  const falseChildren = children.filter((c) => !c.result);
  if ((node.kind === "and" || node.kind === "or") && falseChildren.length) {
    for (const c of falseChildren) blame(c, failed);
    return;
  }
  // a leaf, a `not` whose operand held, or a compound whose children disagree with it
  node.failed = true;
  failed.push(node.text);
}

function evaluateEventQuery(q: CompiledEventQuery, event: Event): EventQueryExplanation {
  const category = q.category ? evaluateNode(q.category, event) : null;
  const condition = evaluateNode(q.condition, event);
  const failed: string[] = [];
  if (category && !category.result) {
    category.failed = true;
    failed.push(category.text);
  }
  blame(condition, failed);
  return {
    query: q.text,
    matched: (category?.result ?? true) && condition.result,
    category,
    condition,
    failed,
  };
}

const MAX_VALUE_CHARS = 80;

function formatValue(f: FieldValue): string {
  if (f.missing) return `${f.field} missing`;
  let text = JSON.stringify(f.value) ?? String(f.value);
  if (text.length > MAX_VALUE_CHARS) text = `${text.slice(0, MAX_VALUE_CHARS - 1)}…`;
  return `${f.field} = ${text}`;
}

function formatClause(c: ClauseExplanation, indent: string, lines: string[]): void {
  const mark = c.result ? "✔" : "✘";
  let label = c.text;
  if (c.kind === "and" || c.kind === "or") {
    const held = (c.children ?? []).filter((x) => x.result).length;
    label = `${c.kind} (${held} of ${c.children?.length ?? 0} true)`;
  } else if (c.kind === "category") {
    label = `category: ${c.text}`;
  }
  let line = `${indent}${mark} ${label}`;
  if (c.fields?.length) line += `   [${c.fields.map(formatValue).join(", ")}]`;
  if (c.failed) line += "   ← failed";
  if (c.error) line += `   (error: ${c.error})`;
  lines.push(line);
  if (c.kind === "and" || c.kind === "or" || c.kind === "not") {
    for (const child of c.children ?? []) formatClause(child, `${indent}  `, lines);
  }
}

function formatQuery(q: EventQueryExplanation, indent: string, lines: string[]): void {
  if (q.category) formatClause(q.category, indent, lines);
  formatClause(q.condition, indent, lines);
}

/** The human-readable explanation of one event: a verdict line, then the clause tree. */
export function formatExplanation(x: EventExplanation): string {
  const lines: string[] = [];
  const where = `${x.source}:${x.line}`;
  const excepted = x.excepted_by?.length
    ? `  ⊘ excepted by ${x.excepted_by.map((name) => JSON.stringify(name)).join(", ")}: the rule never sees this event`
    : undefined;
  if (x.query) {
    lines.push(x.matched ? `${where}: MATCH` : `${where}: NO MATCH — failed: ${x.failed.join("; ")}`);
    if (excepted) lines.push(excepted);
    formatQuery(x.query, "  ", lines);
    return visibleText(lines.join("\n"));
  }
  const stages = x.stages ?? [];
  const name = (s: StageExplanation) =>
    s.until ? "until" : `stage ${s.stage}${s.missing ? " (missing)" : ""}`;
  const satisfied = stages.filter((s) => s.matched).map(name);
  lines.push(
    satisfied.length
      ? `${where}: satisfies ${satisfied.join(", ")} of the ${x.shape}`
      : `${where}: NO STAGE — ${stages.map((s) => `${name(s)} failed: ${s.failed.join("; ")}`).join(" | ")}`,
  );
  if (excepted) lines.push(excepted);
  for (const s of stages) {
    let line = `  ${s.matched ? "✔" : "✘"} ${name(s)}: ${s.query}`;
    if (s.joinKeys.length) line += `   by [${s.joinKeys.map(formatValue).join(", ")}]`;
    lines.push(line);
    formatQuery(s.explanation, "      ", lines);
  }
  return visibleText(lines.join("\n"));
}
