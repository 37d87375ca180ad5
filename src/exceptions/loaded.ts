/**
 * What exception files contribute, gathered in one place: lists, items by the
 * way they reach rules, value lists and the problems met on the way.
 */
import {
  type Diagnostic,
  diagnosticAt,
  type ExceptionItem,
  type ExceptionList,
  type Origin,
} from "./model.ts";
import type { ValueList } from "./value-lists.ts";

/** Everything read from exception files, ready for `attachExceptions`. */
export interface LoadedExceptions {
  lists: ExceptionList[];
  /** items that rules use through their `exceptions_list` (by `list_id`) */
  items: ExceptionItem[];
  /** items that name their rules (plain format `rules = [...]`), by rule_id */
  byRuleId: Map<string, ExceptionItem[]>;
  /** items for every rule */
  allRules: ExceptionItem[];
  valueLists: Map<string, ValueList>;
  diagnostics: Diagnostic[];
}

export interface LoadOptions {
  /** the file was given for all rules (`--exceptions FILE`): its items apply to every rule */
  allRules?: boolean;
  /** largest exception file accepted; default 64 MiB */
  maxBytes?: number;
  /** largest value list file accepted; default DEFAULT_MAX_VALUE_LIST_BYTES */
  valueListMaxBytes?: number;
}

export function emptyExceptions(): LoadedExceptions {
  return { lists: [], items: [], byRuleId: new Map(), allRules: [], valueLists: new Map(), diagnostics: [] };
}

/** Adds `from` to `into`. A value list id loaded twice keeps its first list, with a warning. */
export function mergeExceptions(into: LoadedExceptions, from: LoadedExceptions): LoadedExceptions {
  into.lists.push(...from.lists);
  into.items.push(...from.items);
  for (const [ruleId, items] of from.byRuleId) appendTo(into.byRuleId, ruleId, ...items);
  into.allRules.push(...from.allRules);
  into.diagnostics.push(...from.diagnostics);
  for (const list of from.valueLists.values()) addValueList(into, list);
  return into;
}

export function addValueList(into: LoadedExceptions, list: ValueList, origin?: Origin): void {
  const existing = into.valueLists.get(list.id);
  if (existing === undefined) {
    into.valueLists.set(list.id, list);
    return;
  }
  into.diagnostics.push(
    diagnosticAt(
      "warning",
      origin ?? { file: list.source },
      `value list "${list.id}" is already loaded from ${existing.source}; this one is ignored`,
    ),
  );
}

export function appendTo<K, V>(map: Map<K, V[]>, key: K, ...values: V[]): void {
  const list = map.get(key);
  if (list) list.push(...values);
  else map.set(key, [...values]);
}
