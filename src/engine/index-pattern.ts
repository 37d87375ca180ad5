import { compileFieldGetter, type Event } from "../eql/field-access.ts";
import { compileSimpleMatch } from "../eql/simple-match.ts";

/**
 * Which rules see which events. A rule's `index` lists Elasticsearch index patterns
 * (`logs-cloud_defend*`, `-logs-excluded*`); an event's index is the data stream it
 * would be written to (`<type>-<dataset>-<namespace>`), or the index the source
 * names. An event with no known index is seen by every rule, as a file of events
 * given on the command line is meant for the rules given with it.
 */
export type IndexMatcher = (index: string | undefined) => boolean;

export function compileIndexPatterns(patterns: readonly string[] | undefined): IndexMatcher {
  if (!patterns || patterns.length === 0) return () => true;
  const include = patterns.filter((p) => !p.startsWith("-")).map((p) => compileSimpleMatch(stripCluster(p)));
  const exclude = patterns
    .filter((p) => p.startsWith("-"))
    .map((p) => compileSimpleMatch(stripCluster(p.slice(1))));
  return (index) => {
    if (index === undefined) return true;
    if (!include.some((m) => m(index))) return false;
    return !exclude.some((m) => m(index));
  };
}

/** Cross-cluster patterns (`remote:logs-*`) name the remote; locally only the index part matters. */
const stripCluster = (pattern: string) => pattern.slice(pattern.indexOf(":") + 1);

const dataStreamType = compileFieldGetter("data_stream.type");
const dataStreamDataset = compileFieldGetter("data_stream.dataset");
const dataStreamNamespace = compileFieldGetter("data_stream.namespace");

/** The data stream an event belongs to, from its `data_stream.*` fields, if it says. */
export function eventIndex(event: Event): string | undefined {
  const type = dataStreamType(event);
  const dataset = dataStreamDataset(event);
  if (typeof type !== "string" || typeof dataset !== "string") return undefined;
  const namespace = dataStreamNamespace(event);
  const ns = typeof namespace === "string" ? namespace : "default";
  // Events come in runs of one data stream: its name is built once per run, not per event.
  if (type !== last.type || dataset !== last.dataset || ns !== last.namespace)
    last = { type, dataset, namespace: ns, index: `${type}-${dataset}-${ns}` };
  return last.index;
}

let last = { type: "", dataset: "", namespace: "", index: "--" };
