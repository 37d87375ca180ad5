import type {
  ArithmeticOp,
  ComparisonOp,
  EventQuery,
  Expression,
  Field,
  Literal,
  Loc,
  Maxspan,
  Pipe,
  Query,
  SampleQuery,
  SequenceQuery,
  SequenceTerm,
  Statement,
  TimeUnit,
} from "./ast.ts";
import { type EqlError, syntaxError } from "./error.ts";
import { eventQueriesOf } from "./event-queries.ts";
import { fieldNameProblem } from "./field-access.ts";
import { tokenize } from "./lexer.ts";
import { MAX_NESTING, TOO_DEEP, tooDeepNode } from "./nesting.ts";
import { makeSource, placeOf, quote, type Source } from "./source.ts";
import { suggest } from "./suggest.ts";
import { describeToken, KEYWORDS, type Token, type TokenKind } from "./token.ts";

/** Elasticsearch caps a sequence at 256 queries (after `runs` expansion) and a sample at 5. */
export const MAX_SEQUENCE_QUERIES = 256;
export const MAX_SAMPLE_QUERIES = 5;
export const MAX_RUNS = 100;

const TIME_UNITS: readonly TimeUnit[] = ["ms", "s", "m", "h", "d"];
const MATCH_OPS: ReadonlySet<TokenKind> = new Set([":", "like", "like~", "regex", "regex~"]);
const UNSUPPORTED_PIPES: ReadonlySet<string> = new Set(["count", "filter", "sort", "unique", "unique_count"]);
const INT_MAX = 2 ** 31 - 1;
const LONG_MAX = 2n ** 63n - 1n;

/** Parses a whole EQL statement: a query and its pipes. Throws EqlError on bad input. */
export function parse(query: string | Source): Statement {
  const source = typeof query === "string" ? makeSource(query) : query;
  return new Parser(source).parseStatement();
}

/** Parses a single expression (used by tests, the printer's round trip, and tooling). */
export function parseExpression(text: string | Source): Expression {
  const source = typeof text === "string" ? makeSource(text) : text;
  const parser = new Parser(source);
  const expression = parser.parseExpression();
  parser.expectEnd("expression");
  parser.checkNesting(expression);
  return expression;
}

class Parser {
  private readonly source: Source;
  private readonly tokens: Token[];
  private index = 0;
  /** how many sub-expressions the parser is inside (see nesting.ts) */
  private nesting = 0;

  constructor(source: Source) {
    this.source = source;
    this.tokens = tokenize(source);
  }

  // ---- statement --------------------------------------------------------------

  parseStatement(): Statement {
    const query = this.parseQuery();
    const pipes: Pipe[] = [];
    while (this.peek().kind === "|") {
      const bar = this.next();
      if (query.kind === "SampleQuery") {
        throw this.error(bar, "Samples do not support pipes yet");
      }
      pipes.push(this.parsePipe(bar));
    }
    this.expectEnd(query.kind === "EventQuery" ? "condition" : "query");
    const end = pipes.length ? pipes[pipes.length - 1].loc.end : query.loc.end;
    const statement: Statement = { kind: "Statement", query, pipes, loc: { start: query.loc.start, end } };
    for (const q of eventQueriesOf(statement)) this.checkNesting(q.condition);
    return statement;
  }

  expectEnd(after: string): void {
    const t = this.peek();
    if (t.kind === "<EOF>") return;
    if (t.kind === ")" || t.kind === "]") {
      throw this.error(
        t,
        `unexpected ${describeToken(t, this.source.body)}: it closes nothing that was opened`,
      );
    }
    if (t.kind === "=") throw this.assignmentError(t);
    if (binaryLevel(t.kind) === Level.Comparison) {
      throw this.error(
        t,
        `mismatched input ${describeToken(t, this.source.body)}: comparisons cannot be chained; combine them with 'and'`,
      );
    }
    const expected =
      after === "condition" ? "'and', 'or', '|' or the end of the query" : "'|' or the end of the query";
    throw this.error(
      t,
      `unexpected ${describeToken(t, this.source.body)} after the ${after}; expected ${expected}`,
    );
  }

  private parseQuery(): Query {
    const t = this.peek();
    switch (t.kind) {
      case "sequence":
        return this.parseSequence();
      case "sample":
        return this.parseSample();
      case "join":
        throw this.error(t, "join queries are not supported by Elasticsearch EQL; use a sequence instead");
      default:
        return this.parseEventQuery();
    }
  }

  private parseEventQuery(): EventQuery {
    const t = this.next();
    let category: string | null;
    let categoryQuoted = false;
    if (t.kind === "any") {
      category = null;
    } else if (t.kind === "identifier") {
      category = t.value;
    } else if (t.kind === "string") {
      category = t.value;
      categoryQuoted = true;
    } else if (t.kind === "quotedIdentifier") {
      throw this.error(
        t,
        `no viable alternative at input '${this.text(t)}': an event category is a name or a double-quoted string, not a backticked name`,
      );
    } else if (t.kind === "<EOF>") {
      throw this.error(
        t,
        "empty query: expected an event query such as 'process where true', a sequence or a sample",
      );
    } else {
      throw this.error(
        t,
        `expected an event category (a name, a "string" or 'any') followed by 'where', but found ${describeToken(t, this.source.body)}`,
      );
    }
    const where = this.peek();
    if (where.kind !== "where") {
      throw this.error(
        where,
        `expected 'where' after the event category ${category === null ? "'any'" : `'${category}'`}, but found ${describeToken(where, this.source.body)}` +
          "; an event query reads '<category> where <condition>', e.g. 'process where process.name == \"bash\"'",
      );
    }
    this.next();
    const condition = this.parseExpression();
    return {
      kind: "EventQuery",
      category,
      categoryQuoted,
      condition,
      loc: { start: t.start, end: condition.loc.end },
    };
  }

  // ---- sequences and samples -----------------------------------------------------

  private parseSequence(): SequenceQuery {
    const keyword = this.next();
    let joinKeys: Field[] = [];
    let maxspan: Maxspan | null = null;
    if (this.peek().kind === "by") {
      joinKeys = this.parseJoinKeys();
      if (this.peek().kind === "with") maxspan = this.parseMaxspan();
    } else if (this.peek().kind === "with") {
      maxspan = this.parseMaxspan();
      if (this.peek().kind === "by") {
        throw this.error(this.peek(), "Please specify sequence [by] before [with] not after");
      }
    }
    const terms: SequenceTerm[] = [];
    while (this.peek().kind === "[" || this.peek().kind === "![") {
      terms.push(this.parseTerm(true));
    }
    let until: SequenceTerm | null = null;
    if (this.peek().kind === "until") {
      this.next();
      const open = this.peek();
      if (open.kind === "![") {
        throw this.error(
          open,
          "a missing event '![...]' cannot be used in 'until'; write [<category> where ...]",
        );
      }
      until = this.parseTerm(false);
    }
    if (terms.length === 0) {
      throw this.error(this.peek(), "expected '[' to start the first query of the sequence");
    }
    const loc = { start: keyword.start, end: (until ?? terms[terms.length - 1]).loc.end };
    const query: SequenceQuery = { kind: "SequenceQuery", joinKeys, maxspan, terms, until, loc };
    this.checkSequence(query);
    return query;
  }

  private checkSequence(query: SequenceQuery): void {
    const expanded = query.terms.reduce((n, t) => n + t.runs, 0) + (query.until ? 1 : 0);
    if (expanded < 2) {
      throw this.errorAt(query.loc, `A sequence requires a minimum of 2 queries, found [${expanded}]`);
    }
    if (expanded > MAX_SEQUENCE_QUERIES) {
      throw this.errorAt(
        query.loc,
        `Sequence cannot contain more than ${MAX_SEQUENCE_QUERIES} queries; found [${expanded}]`,
      );
    }
    if (query.terms.every((t) => t.missing)) {
      throw this.errorAt(query.loc, "A sequence requires at least one positive event query; found none");
    }
    const firstMissing = query.terms.find((t) => t.missing);
    if (firstMissing && !query.maxspan) {
      throw this.errorAt(
        firstMissing.loc,
        "[maxspan] is required for sequences with missing events queries; found none",
      );
    }
    this.checkKeyCounts([...query.terms, ...(query.until ? [query.until] : [])]);
  }

  private checkKeyCounts(terms: SequenceTerm[]): void {
    const expected = terms[0].joinKeys.length;
    for (const term of terms) {
      if (term.joinKeys.length !== expected) {
        throw this.errorAt(
          term.joinKeys.length ? term.joinKeys[0].loc : term.loc,
          `Inconsistent number of join keys specified; expected [${expected}] but found [${term.joinKeys.length}]`,
        );
      }
    }
  }

  private parseSample(): SampleQuery {
    const keyword = this.next();
    const joinKeys = this.peek().kind === "by" ? this.parseJoinKeys() : [];
    if (this.peek().kind === "with") {
      throw this.error(
        this.peek(),
        "a sample takes no 'with' options: maxspan and runs apply to sequences only",
      );
    }
    const terms: SequenceTerm[] = [];
    while (this.peek().kind === "[" || this.peek().kind === "![") {
      const open = this.peek();
      if (open.kind === "![") throw this.error(open, "Missing events are supported only for sequences");
      terms.push(this.parseTerm(false));
    }
    if (this.peek().kind === "until") {
      throw this.error(this.peek(), "a sample has no 'until' clause; it applies to sequences only");
    }
    if (terms.length === 0)
      throw this.error(this.peek(), "expected '[' to start the first query of the sample");
    const loc = { start: keyword.start, end: terms[terms.length - 1].loc.end };
    if (terms.length < 2)
      throw this.errorAt(loc, `A sample requires a minimum of 2 queries, found [${terms.length}]`);
    if (terms.length > MAX_SAMPLE_QUERIES) {
      throw this.errorAt(
        loc,
        `A sample cannot contain more than ${MAX_SAMPLE_QUERIES} queries, found [${terms.length}]`,
      );
    }
    if (joinKeys.length === 0 && terms.every((t) => t.joinKeys.length === 0)) {
      throw this.errorAt(loc, "A sample must have at least one join key, found none");
    }
    for (const term of terms) {
      const names = [...joinKeys, ...term.joinKeys].map((k) => k.name);
      const duplicates = [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
      if (duplicates.length) {
        throw this.errorAt(
          term.loc,
          `Join keys must be used only once, found duplicates: [${duplicates.join(", ")}]`,
        );
      }
    }
    this.checkKeyCounts(terms);
    return { kind: "SampleQuery", joinKeys, terms, loc };
  }

  /** `[ <event query> ] [by keys] [with runs=N]`, or `![ ... ]` for a missing event. */
  private parseTerm(allowRuns: boolean): SequenceTerm {
    const open = this.next();
    const missing = open.kind === "![";
    if (open.kind !== "[" && !missing)
      throw this.error(open, `expected '[' but found ${describeToken(open, this.source.body)}`);
    const query = this.parseEventQuery();
    const close = this.expectClosing("]", open);
    const joinKeys = this.peek().kind === "by" ? this.parseJoinKeys() : [];
    let runs = 1;
    let end = joinKeys.length ? joinKeys[joinKeys.length - 1].loc.end : close.end;
    if (allowRuns && this.peek().kind === "with") {
      const withToken = this.next();
      const option = this.next();
      if (option.kind !== "identifier" && !KEYWORDS.has(option.kind)) {
        throw this.error(option, `expected an option name after 'with', such as runs=2`);
      }
      if (option.value !== "runs")
        throw this.error(option, `Unrecognized option [${option.value}], expecting [runs]`);
      this.expect("=", "after 'runs'");
      const value = this.next();
      if (value.kind === "integer") {
        runs = Number(value.value);
        if (runs <= 0) throw this.error(value, `A positive runs value is required; found [${value.value}]`);
        if (runs > MAX_RUNS) {
          throw this.error(
            value,
            `A query cannot be repeated more than ${MAX_RUNS} times; found [${value.value}]`,
          );
        }
      } else if (value.kind !== "decimal") {
        // Elasticsearch ignores a decimal runs value; anything else is not a number at all.
        throw this.error(
          value,
          `expected a whole number after 'runs=', but found ${describeToken(value, this.source.body)}`,
        );
      }
      end = value.end;
      void withToken;
    }
    return { query, joinKeys, runs, missing, loc: { start: open.start, end } };
  }

  private parseJoinKeys(): Field[] {
    this.next(); // by
    const keys: Field[] = [];
    do {
      const expression = this.parseExpression();
      if (expression.kind !== "Field") {
        throw this.errorAt(
          expression.loc,
          "Unsupported join key: a join key must be a field name (optionally ?field)",
        );
      }
      keys.push(expression);
    } while (this.accept(","));
    return keys;
  }

  private parseMaxspan(): Maxspan {
    const withToken = this.next();
    const name = this.next();
    if (name.kind !== "maxspan") {
      throw this.error(
        name,
        `expected 'maxspan' after 'with', but found ${describeToken(name, this.source.body)}`,
      );
    }
    this.expect("=", "after 'maxspan'");
    const number = this.next();
    if (number.kind !== "integer" && number.kind !== "decimal") {
      throw this.error(
        number,
        `expected a time span such as 5m after 'maxspan=', but found ${describeToken(number, this.source.body)}`,
      );
    }
    const unitToken = this.peek().kind === "identifier" ? this.next() : null;
    const loc = { start: withToken.start, end: (unitToken ?? number).end };
    if (number.kind === "decimal") {
      throw this.error(
        number,
        `Decimal time interval [${number.value}] not supported; please use an positive integer`,
      );
    }
    const value = Number(number.value);
    if (value <= 0) throw this.error(number, `A positive maxspan value is required; found [${number.value}]`);
    if (!unitToken) {
      throw this.error(number, `No time unit specified, did you mean [s] as in [${number.value}s]?`);
    }
    if (!TIME_UNITS.includes(unitToken.value as TimeUnit)) {
      throw this.errorAt(
        { start: number.start, end: unitToken.end },
        `Unrecognized time unit [${unitToken.value}] in [${number.value}${unitToken.value}], please specify one of [${TIME_UNITS.join(", ")}]`,
      );
    }
    return { value, unit: unitToken.value as TimeUnit, loc };
  }

  private parsePipe(bar: Token): Pipe {
    const name = this.next();
    if (name.kind !== "identifier") {
      throw this.error(
        name,
        `expected a pipe name such as 'head' or 'tail' after '|', but found ${describeToken(name, this.source.body)}`,
      );
    }
    const args: Expression[] = [];
    if (this.peek().kind !== "|" && this.peek().kind !== "<EOF>") {
      do args.push(this.parseExpression());
      while (this.accept(","));
    }
    const loc = { start: bar.start, end: args.length ? args[args.length - 1].loc.end : name.end };
    if (UNSUPPORTED_PIPES.has(name.value)) throw this.error(name, `Pipe [${name.value}] is not supported`);
    if (name.value !== "head" && name.value !== "tail") {
      throw this.error(name, `Unrecognized pipe [${name.value}]${suggest(name.value, ["head", "tail"])}`);
    }
    if (args.length !== 1) {
      throw this.errorAt(loc, `Pipe [${name.value}] expects exactly one argument but found [${args.length}]`);
    }
    const arg = args[0];
    if (arg.kind !== "Literal" || (arg.type !== "integer" && arg.type !== "long")) {
      const shown = this.text(arg.loc);
      throw this.errorAt(arg.loc, `Pipe [${name.value}] expects a positive integer but found [${shown}]`);
    }
    return { name: name.value, count: arg.value as number, loc };
  }

  // ---- expressions ------------------------------------------------------------

  parseExpression(): Expression {
    return this.parseBinary(Level.Or);
  }

  /**
   * Operators by precedence climbing: a value, then each operator binding at least as tight
   * as `minLevel`, its right side parsed one level tighter (all are left-associative). One
   * call per operator rather than one per level for every value: most of a rule's query is
   * values, parsed while the parser is still cold.
   */
  private parseBinary(minLevel: Level): Expression {
    this.enter();
    let left = minLevel <= Level.Not ? this.parseNot() : this.parseUnary();
    for (;;) {
      const op = this.peek();
      const level = binaryLevel(op.kind);
      if (level < minLevel) {
        if (op.kind === "=" && minLevel <= Level.Comparison) throw this.assignmentError(op);
        this.nesting--;
        return left;
      }
      this.next();
      if (level === Level.Comparison) {
        left = this.comparison(left, op);
        continue;
      }
      const right = this.parseBinary(level + 1);
      left =
        level === Level.Or || level === Level.And
          ? { kind: "Logical", op: op.kind as "or" | "and", left, right, loc: span(left.loc, right.loc) }
          : { kind: "Arithmetic", op: op.kind as ArithmeticOp, left, right, loc: span(left.loc, right.loc) };
    }
  }

  /** `not` binds looser than comparisons: `not a == b` negates the comparison. */
  private parseNot(): Expression {
    const t = this.peek();
    if (t.kind === "not") {
      this.next();
      const operand = this.parseBinary(Level.Not);
      return { kind: "Not", operand, loc: { start: t.start, end: operand.loc.end } };
    }
    if (t.kind === "identifier" && this.peekAfter().kind === "of") {
      throw this.errorAt(
        { start: t.start, end: this.peekAfter().end },
        "Process relationships are not supported",
      );
    }
    return this.parseUnary();
  }

  /** A comparison's right side, after its operator; comparisons do not chain. */
  private comparison(left: Expression, op: Token): Expression {
    const right = this.parseBinary(Level.Additive);
    const after = this.peek();
    if (binaryLevel(after.kind) === Level.Comparison || after.kind === "=") {
      throw this.error(
        after,
        `mismatched input ${describeToken(after, this.source.body)}: comparisons cannot be chained; write 'a < b and b < c'`,
      );
    }
    return { kind: "Comparison", op: op.kind as ComparisonOp, left, right, loc: span(left.loc, right.loc) };
  }

  private parseUnary(): Expression {
    const t = this.peek();
    if (t.kind === "-" || t.kind === "+") {
      this.next();
      this.enter();
      const operand = this.parseUnary();
      this.nesting--;
      return { kind: "Negate", op: t.kind, operand, loc: { start: t.start, end: operand.loc.end } };
    }
    return this.parsePredicate(this.parsePrimary());
  }

  /** `in`, `:`, `like` and `regex` bind to the primary before them, tighter than arithmetic. */
  private parsePredicate(subject: Expression): Expression {
    const t = this.peek();
    if (t.kind === "in" || t.kind === "in~") {
      this.next();
      return this.parseInList(subject, false, t.kind === "in~");
    }
    if (t.kind === "not") {
      const next = this.peekAfter();
      if (next.kind === "in" || next.kind === "in~") {
        this.next();
        this.next();
        return this.parseInList(subject, true, next.kind === "in~");
      }
      if (MATCH_OPS.has(next.kind)) {
        throw this.error(
          t,
          `'not' cannot stand between a value and '${this.text(next)}'; write 'not ${this.text(subject.loc)} ${this.text(next)} ...'`,
        );
      }
      throw this.error(t, `unexpected 'not' here; only 'not in' may follow a value`);
    }
    if (MATCH_OPS.has(t.kind)) {
      this.next();
      const op = t.kind === ":" ? ":" : t.kind.startsWith("like") ? "like" : "regex";
      const caseInsensitive = t.kind === ":" || t.kind.endsWith("~");
      const open = this.peek();
      if (open.kind === "(") {
        this.next();
        const patterns: Literal[] = [];
        do patterns.push(this.parsePatternConstant(t));
        while (this.accept(","));
        const close = this.expectClosing(")", open);
        return {
          kind: "Match",
          op,
          caseInsensitive,
          subject,
          patterns,
          list: true,
          loc: { start: subject.loc.start, end: close.end },
        };
      }
      const pattern = this.parsePatternConstant(t);
      return {
        kind: "Match",
        op,
        caseInsensitive,
        subject,
        patterns: [pattern],
        list: false,
        loc: span(subject.loc, pattern.loc),
      };
    }
    return subject;
  }

  private parsePatternConstant(op: Token): Literal {
    const t = this.peek();
    const literal = this.tryLiteral();
    if (literal) return literal;
    throw this.error(
      t,
      `the right side of '${this.text(op)}' must be a constant string (or a list of them), not ${describeToken(t, this.source.body)}; fields and expressions cannot be patterns`,
    );
  }

  private parseInList(subject: Expression, negated: boolean, caseInsensitive: boolean): Expression {
    const open = this.peek();
    if (open.kind !== "(") {
      throw this.error(
        open,
        `expected '(' and a list of values after 'in', but found ${describeToken(open, this.source.body)}`,
      );
    }
    this.next();
    if (this.peek().kind === ")") throw this.error(this.peek(), "an 'in' list cannot be empty");
    const values: Expression[] = [];
    do values.push(this.parseExpression());
    while (this.accept(","));
    const close = this.expectClosing(")", open);
    return {
      kind: "In",
      subject,
      values,
      negated,
      caseInsensitive,
      loc: { start: subject.loc.start, end: close.end },
    };
  }

  private parsePrimary(): Expression {
    const t = this.peek();
    const literal = this.tryLiteral();
    if (literal) return literal;
    switch (t.kind) {
      case "(": {
        this.next();
        const inner = this.parseExpression();
        this.expectClosing(")", t);
        return inner;
      }
      case "identifier":
      case "tildeIdentifier":
        if (this.peekAfter().kind === "(") return this.parseFunctionCall();
        if (t.kind === "tildeIdentifier") {
          throw this.error(
            t,
            `'${t.value}~' must be followed by '(' : only functions have a case-insensitive '~' form`,
          );
        }
        return this.parseField();
      case "quotedIdentifier":
      case "?":
        return this.parseField();
      case "<EOF>":
        throw this.error(t, "the query ends too early: expected a value, a field or a function call");
      case "=":
        throw this.assignmentError(t);
      default:
        if (KEYWORDS.has(t.kind)) {
          throw this.error(
            t,
            `'${t.value}' is a keyword and cannot be used as a value here; to use it as a field name write \`${t.value}\``,
          );
        }
        throw this.error(
          t,
          `expected a value, a field or a function call, but found ${describeToken(t, this.source.body)}`,
        );
    }
  }

  private tryLiteral(): Literal | null {
    const t = this.peek();
    switch (t.kind) {
      case "string":
        this.next();
        return { kind: "Literal", value: t.value, type: "keyword", loc: { start: t.start, end: t.end } };
      case "true":
      case "false":
        this.next();
        return {
          kind: "Literal",
          value: t.kind === "true",
          type: "boolean",
          loc: { start: t.start, end: t.end },
        };
      case "null":
        this.next();
        return { kind: "Literal", value: null, type: "null", loc: { start: t.start, end: t.end } };
      case "integer":
        this.next();
        return this.integerLiteral(t);
      case "decimal": {
        this.next();
        const value = Number(t.value);
        if (!Number.isFinite(value)) throw this.error(t, `Number [${t.value}] is too large`);
        return { kind: "Literal", value, type: "double", loc: { start: t.start, end: t.end } };
      }
      default:
        return null;
    }
  }

  /** Integers are 32-bit when they fit, else 64-bit; beyond a long they quietly become doubles, as in ES. */
  private integerLiteral(t: Token): Literal {
    const loc = { start: t.start, end: t.end };
    const big = BigInt(t.value);
    const value = Number(t.value);
    if (big <= BigInt(INT_MAX)) return { kind: "Literal", value, type: "integer", loc };
    if (big <= LONG_MAX) return { kind: "Literal", value, type: "long", loc };
    if (!Number.isFinite(value)) throw this.error(t, `Number [${t.value}] is too large`);
    return { kind: "Literal", value, type: "double", loc };
  }

  private parseFunctionCall(): Expression {
    const name = this.next();
    const open = this.next();
    const args: Expression[] = [];
    if (this.peek().kind !== ")") {
      do args.push(this.parseExpression());
      while (this.accept(","));
    }
    const close = this.expectClosing(")", open);
    return {
      kind: "FunctionCall",
      name: name.value,
      caseInsensitive: name.kind === "tildeIdentifier",
      args,
      loc: { start: name.start, end: close.end },
    };
  }

  private parseField(): Field {
    const first = this.peek();
    const optional = this.accept("?");
    const parts: string[] = [this.fieldPart()];
    let end = this.tokens[this.index - 1].end;
    while (true) {
      const t = this.peek();
      if (t.kind === ".") {
        this.next();
        parts.push(this.fieldPart());
        end = this.tokens[this.index - 1].end;
      } else if (t.kind === "[" && this.peekAfter().kind === "integer") {
        let close = this.index + 1;
        while (this.tokens[close].kind === "integer") close++;
        throw this.errorAt(
          { start: t.start, end: this.tokens[close].end },
          "Array indexes are not supported",
        );
      } else {
        break;
      }
    }
    const name = parts.join(".");
    const problem = fieldNameProblem(name);
    if (problem !== undefined) throw this.errorAt({ start: first.start, end }, problem);
    return { kind: "Field", name, optional, parts, loc: { start: first.start, end } };
  }

  private fieldPart(): string {
    const t = this.next();
    if (t.kind === "identifier" || t.kind === "quotedIdentifier") return t.value;
    if (KEYWORDS.has(t.kind)) {
      throw this.error(
        t,
        `'${t.value}' is a keyword; to use it as part of a field name write \`${t.value}\``,
      );
    }
    throw this.error(t, `expected a field name but found ${describeToken(t, this.source.body)}`);
  }

  // ---- nesting ------------------------------------------------------------------

  /** One level deeper; refused past MAX_NESTING, before the stack runs out. */
  private enter(): void {
    if (++this.nesting > MAX_NESTING) throw this.error(this.peek(), TOO_DEEP);
  }

  /**
   * A chain of operators is parsed in a loop, but its tree leans one level deeper per operator.
   * A tree has fewer nodes than its query has tokens, so only long queries need looking at.
   */
  checkNesting(condition: Expression): void {
    if (this.tokens.length <= MAX_NESTING) return;
    const deep = tooDeepNode(condition);
    if (deep) throw this.errorAt({ start: deep.start, end: deep.start + 1 }, TOO_DEEP);
  }

  // ---- token helpers ------------------------------------------------------------

  /** `next` stops at the end-of-input token, so the token at `index` always exists. */
  private peek(): Token {
    return this.tokens[this.index];
  }

  private peekAfter(): Token {
    return this.tokens[Math.min(this.index + 1, this.tokens.length - 1)];
  }

  private next(): Token {
    const t = this.tokens[this.index];
    if (this.index < this.tokens.length - 1) this.index++;
    return t;
  }

  private accept(kind: TokenKind): boolean {
    if (this.peek().kind !== kind) return false;
    this.next();
    return true;
  }

  private expect(kind: TokenKind, context: string): Token {
    const t = this.next();
    if (t.kind !== kind)
      throw this.error(t, `expected '${kind}' ${context}, but found ${describeToken(t, this.source.body)}`);
    return t;
  }

  /** Points at the opening bracket too, since that is usually where the mistake is. */
  private expectClosing(kind: ")" | "]", open: Token): Token {
    const t = this.peek();
    if (t.kind === kind) return this.next();
    // where the bracket is in the file that holds the query, as the error's own position is
    const { line, column } = placeOf(this.source, open.start);
    if (t.kind === "=") throw this.assignmentError(t);
    throw this.error(
      t,
      `expected '${kind}' to close '${this.text(open)}' opened at ${line}:${column}, but found ${describeToken(t, this.source.body)}`,
    );
  }

  private assignmentError(t: Token): EqlError {
    return this.error(
      t,
      "'=' is not a comparison operator; use '==' (case-sensitive) or ':' (case-insensitive)",
    );
  }

  private text(x: Token | Loc): string {
    return quote(this.source, x.start, x.end);
  }

  private error(t: Token, message: string): EqlError {
    return syntaxError(this.source, t.start, t.end, message);
  }

  private errorAt(loc: Loc, message: string): EqlError {
    return syntaxError(this.source, loc.start, loc.end, message);
  }
}

const span = (a: Loc, b: Loc): Loc => ({ start: a.start, end: b.end });

/** How tightly an operator binds; `not` is a prefix between `and` and the comparisons. */
enum Level {
  None = 0,
  Or,
  And,
  Not,
  Comparison,
  Additive,
  Multiplicative,
}

function binaryLevel(kind: TokenKind): Level {
  switch (kind) {
    case "or":
      return Level.Or;
    case "and":
      return Level.And;
    case "==":
    case "!=":
    case "<":
    case "<=":
    case ">":
    case ">=":
      return Level.Comparison;
    case "+":
    case "-":
      return Level.Additive;
    case "*":
    case "/":
    case "%":
      return Level.Multiplicative;
    default:
      return Level.None;
  }
}
