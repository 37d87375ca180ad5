import { createHash } from "node:crypto";
import type { Ancestor } from "./ancestors.ts";
import type { SourceIdentity } from "./source-identity.ts";

/**
 * Alert ids (`kibana.alert.uuid`, also the document `_id`), computed the way Kibana
 * computes them so that the same match always gets the same id: a sink that keeps
 * the ids it has written drops the duplicates of overlapping windows and replays.
 * The strings are concatenated without separators, as Kibana does; changing that
 * would change every id.
 */

export const DEFAULT_SPACE_ID = "default";

function sha256Hex(...parts: string[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part, "utf8");
  return hash.digest("hex");
}

/** A single-event alert: the source document and the rule (per space). */
export function eventAlertId(source: SourceIdentity, ruleUuid: string, spaceId = DEFAULT_SPACE_ID): string {
  return sha256Hex(source.index, source.id, source.version, `${spaceId}:${ruleUuid}`);
}

function ancestryKey(ancestors: readonly Ancestor[]): string {
  let key = "";
  for (const ancestor of ancestors) key += ancestor.id + ancestor.index;
  return key;
}

/**
 * The building blocks of one sequence: every id depends on all the events of the
 * sequence and on the block's position, so an event that takes part in two
 * sequences gets a distinct building block in each.
 */
export function buildingBlockIds(
  blockAncestors: ReadonlyArray<readonly Ancestor[]>,
  ruleUuid: string,
): string[] {
  let base = "";
  for (const ancestors of blockAncestors) base += ancestryKey(ancestors) + ruleUuid;
  return blockAncestors.map((_, i) => sha256Hex(base, String(i)));
}

/** The shell alert of a sequence: its whole ancestry and the rule. */
export function shellAlertId(ancestors: readonly Ancestor[], ruleUuid: string): string {
  return sha256Hex(ancestryKey(ancestors), ruleUuid);
}
