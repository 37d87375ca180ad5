import { basename } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { buildLineFilter } from "../engine/line-prefilter.ts";
import type { Statement } from "../eql/ast.ts";
import { prepareQuery } from "../eql/compile-query.ts";
import { DEFAULT_MAX_OPEN_PARTIALS } from "../eql/correlate/sequence-matcher.ts";
import { SpillBudget } from "../eql/correlate/spill.ts";
import { EqlError } from "../eql/error.ts";
import type { EsMapping } from "../eql/mapping.ts";
import { MappingShapeError, mappingOfDocument } from "../eql/mapping-document.ts";
import { parse } from "../eql/parser.ts";
import { statementRequirement } from "../eql/requirement.ts";
import {
  type EqlIndex,
  type EqlSearchResponse,
  EVENT_POSITION,
  EVENT_TEXT,
  type EventWithPosition,
  type EventWithText,
  eqlSearch,
} from "../eql/search.ts";
import { terminalSafeJson } from "../eql/terminal-text.ts";
import { eventFilesOf } from "../io/event-files.ts";
import {
  DecodeError,
  type DecodeProblem,
  formatProblem,
  readEvents,
  readJsonDocument,
} from "../io/event-source.ts";
import type { LineFilter } from "../io/line-filter.ts";
import { eventJson, hitJson } from "./hit-json.ts";
import { reportInputError } from "./input-errors.ts";
import {
  addSpillOptions,
  DEFAULT_SPILL_AFTER,
  removeRunsOnSignals,
  reportSpillError,
} from "./spill-options.ts";
import { sayWhenReadingTerminal } from "./terminal-input.ts";

interface QueryOptions {
  mapping?: string;
  size: number;
  timestampField: string;
  tiebreakerField?: string;
  eventCategoryField: string;
  resultPosition: "head" | "tail";
  maxSamplesPerKey: number;
  format: "ndjson" | "es";
  strict?: boolean;
  prefilter?: boolean;
  spillAfter?: number;
  spillDir?: string;
}

const nonNegativeInteger = (name: string) => (value: string) => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number >= 0`);
  return Number(value);
};

export function registerQueryCommand(program: Command): void {
  const queryCommand = program
    .command("query")
    .description("run an EQL query over JSON events (NDJSON, JSON arrays, gzip, zstd) and print the matches")
    .argument("<query>", "the EQL query, e.g. 'process where process.name : \"bash\"'")
    .argument("[files...]", "event files or directories of them; '-' or none reads stdin")
    .option("--mapping <file>", "an Elasticsearch mapping (JSON) giving field types")
    .option("--size <n>", "the most events or sequences to return", nonNegativeInteger("--size"), 10)
    .option("--timestamp-field <field>", "the field that orders events", "@timestamp")
    .option("--tiebreaker-field <field>", "orders events with equal timestamps")
    .option("--event-category-field <field>", "the field that 'process where' tests", "event.category")
    .addOption(
      new Option("--result-position <pos>", "with more matches than --size: keep the earliest or the latest")
        .choices(["head", "tail"])
        .default("tail"),
    )
    .option(
      "--max-samples-per-key <n>",
      "samples per join key (sample queries)",
      nonNegativeInteger("--max-samples-per-key"),
      1,
    )
    .addOption(
      new Option("--format <format>", "ndjson: one match per line; es: the _eql/search response")
        .choices(["ndjson", "es"])
        .default("ndjson"),
    )
    .option(
      "--strict",
      "a malformed input line is an error instead of being reported and skipped (parses every line)",
    )
    .option(
      "--no-prefilter",
      "parse every line: without it, lines the query cannot match are skipped unparsed (never with --mapping)",
    );
  addSpillOptions(queryCommand, "sequence queries: events a stage matches,").action(
    async (query: string, files: string[], options: QueryOptions, command: Command) => {
      const code = await runQuery(query, files, options);
      command.parent?.setOptionValue("exitCode", code);
    },
  );
}

export async function runQuery(query: string, files: string[], options: QueryOptions): Promise<number> {
  let _kind: Statement["query"]["kind"];
  try {
    // Syntax first, before any input is read: a typo should not wait for a large file.
    _kind = parse(query).query.kind;
  } catch (error) {
    if (error instanceof EqlError) {
      process.stderr.write(`${error.pretty()}\n`);
      return 2;
    }
    throw error;
  }
  let paths: string[];
  let mapping: EsMapping | undefined;
  try {
    paths = eventFilesOf(files.length ? files : ["-"]);
    sayWhenReadingTerminal(paths);
    mapping = options.mapping ? mappingOfDocument(await readJsonDocument(options.mapping)) : undefined;
  } catch (error) {
    if (error instanceof MappingShapeError) {
      process.stderr.write(`eqlite: --mapping ${options.mapping}: ${error.message}\n`);
      return 2;
    }
    if (error instanceof DecodeError) {
      process.stderr.write(`${formatProblem(error.problem)}\neqlite: the --mapping file cannot be used\n`);
      return 2;
    }
    if (reportInputError(error)) return 2;
    throw error;
  }
  // --strict promises that every malformed line stops the query; a mapping may alias a field or
  // give it a null_value, which the raw text does not show
  const lineFilter =
    options.prefilter === false || options.strict || mapping !== undefined
      ? undefined
      : queryLineFilter(query, options);
  let problems = 0;
  const onProblem = (p: DecodeProblem) => {
    problems++;
    process.stderr.write(`${formatProblem(p)}\n`);
  };
  const names = indexNames(paths);
  const indices: EqlIndex[] = paths.map((path, i) => ({
    name: names[i],
    mapping,
    // held as text until the input ends by a sequence or sample search, and printed as read
    events: eventsOf(path, { strict: options.strict, onProblem, keepText: true, lineFilter }),
  }));
  let response: EqlSearchResponse;
  let dropped = 0;
  // events read from JSON, which a sequence query writes to disk past the budget
  const spill = new SpillBudget(options.spillAfter ?? DEFAULT_SPILL_AFTER, options.spillDir);
  const restoreSignals = removeRunsOnSignals(spill);
  try {
    response = await eqlSearch(
      indices,
      {
        query,
        size: options.size,
        result_position: options.resultPosition,
        timestamp_field: options.timestampField,
        tiebreaker_field: options.tiebreakerField,
        event_category_field: options.eventCategoryField,
        max_samples_per_key: options.maxSamplesPerKey,
      },
      {
        spill,
        onDropped: (partials) => {
          dropped = partials;
        },
      },
    );
  } catch (error) {
    if (error instanceof EqlError) {
      process.stderr.write(`${error.pretty()}\n`);
      return 2;
    }
    if (reportInputError(error)) return 2;
    if (reportSpillError(error, (line) => process.stderr.write(`${line}\n`))) return 2;
    throw error;
  } finally {
    spill.close();
    restoreSignals();
  }
  writeResponse(response, options.format);
  // `--format es` carries them in the response; NDJSON has only matches, so they are said here
  if (options.format === "ndjson") {
    for (const failure of response.shard_failures ?? []) {
      process.stderr.write(
        `eqlite: ${failure.index}: the query failed there and matched nothing in it: ${failure.reason.reason}\n`,
      );
    }
  }
  const returned = response.hits.events?.length ?? response.hits.sequences?.length ?? 0;
  const total = response.hits.total.value;
  if (total > returned && options.format === "ndjson")
    process.stderr.write(`eqlite: showing ${returned} of ${total} matches (use --size to see more)\n`);
  if (problems)
    process.stderr.write(`eqlite: ${problems} malformed input line(s) reported above were skipped\n`);
  if (dropped)
    process.stderr.write(
      `eqlite: ${dropped} partial sequences dropped: the search holds at most ${DEFAULT_MAX_OPEN_PARTIALS} open, the stalest go first; sequences may be missing\n`,
    );
  return 0;
}

/**
 * The prefilter of a query (line-prefilter.ts): what an event must hold for some term of it to
 * match, searched for in each line's text. Undefined when every line may match, or when the query
 * does not check (the search reports that).
 */
export function queryLineFilter(
  query: string,
  options: Pick<QueryOptions, "eventCategoryField" | "timestampField">,
): LineFilter | undefined {
  try {
    const { eventCategoryField, timestampField } = options;
    const prepared = prepareQuery(query, { eventCategoryField, timestampField });
    return buildLineFilter([
      statementRequirement(prepared.compiler(), prepared.statement, eventCategoryField),
    ]);
  } catch (error) {
    if (error instanceof EqlError) return undefined;
    throw error;
  }
}

/**
 * The events of a file; with `keepText`, each carries the text it was read from (see
 * EVENT_TEXT). Behind a line filter, each carries its position in the file (EVENT_POSITION),
 * counting the lines skipped before it, so that hit ids do not depend on the filter.
 */
export async function* eventsOf(
  path: string,
  options: {
    strict?: boolean;
    onProblem: (p: DecodeProblem) => void;
    keepText: boolean;
    lineFilter?: LineFilter;
  },
) {
  let position = 0;
  for await (const { event, text, skippedBefore } of readEvents([path], options)) {
    if (text !== undefined) (event as EventWithText)[EVENT_TEXT] = text;
    if (skippedBefore !== undefined) (event as EventWithPosition)[EVENT_POSITION] = position + skippedBefore;
    position++;
    yield event;
  }
}

/** Writes the matches, each event as it was read (see hit-json.ts). */
function writeResponse(response: EqlSearchResponse, format: "ndjson" | "es"): void {
  if (format === "es") {
    process.stdout.write(`${terminalSafeJson(hitJson(response, 2))}\n`);
    return;
  }
  const { events = [], sequences = [] } = response.hits;
  const lines = [...events.map((hit) => eventJson(hit._source)), ...sequences.map((s) => hitJson(s))].map(
    terminalSafeJson,
  );
  if (lines.length) process.stdout.write(`${lines.join("\n")}\n`);
}

/** Each file is an index of its own name; files of one name from different directories keep their paths. */
function indexNames(paths: string[]): string[] {
  const names = paths.map((path) => (path === "-" ? "stdin" : basename(path)));
  return names.map((name, i) =>
    names.indexOf(name) !== names.lastIndexOf(name) && paths[i] !== "-" ? paths[i] : name,
  );
}
