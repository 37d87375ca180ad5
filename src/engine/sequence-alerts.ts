import type { Event } from "../eql/field-access.ts";
import type { AlertDocument } from "./alert.ts";
import { type AlertFieldsInput, type AlertOptions, writeAlertFields } from "./alert-fields.ts";
import { buildingBlockIds, shellAlertId } from "./alert-id.ts";
import { type AlertRule, ruleUuid, withRuleDefaults } from "./alert-rule.ts";
import { alertSourceFields, originalTimeOf } from "./alert-source.ts";
import { type Ancestor, ancestorsOf, depthBelow, parentOf } from "./ancestors.ts";
import { intersectDocuments } from "./field-intersection.ts";
import { setOwn } from "./json-tree.ts";
import { ruleValues } from "./overrides.ts";
import { buildReason } from "./reason.ts";
import type { SourceIdentity } from "./source-identity.ts";

/** One event of a sequence (or sample) with the identity of its document. */
export interface SequenceMember {
  event: Event;
  source: SourceIdentity;
}

export interface SequenceAlerts {
  /** one per event, in sequence order; hidden in Kibana's default views */
  buildingBlocks: AlertDocument[];
  /** what analysts see: the fields all events share, linked to the blocks by `kibana.alert.group.id` */
  shell: AlertDocument;
}

/**
 * The alerts for one sequence or sample match: a building-block alert per event
 * and a shell alert tying them together, as Kibana writes them.
 *
 * `members` are the events in sequence order; `null` stands for a missing event
 * (`![…]`) and is left out, as Kibana leaves it out. Ids depend only on the
 * events' identities and the rule, so the same sequence found again gives the
 * same ids. Severity, risk score and rule name are the rule's own: Kibana does
 * not apply the mappings and name override to sequences.
 *
 * The shell is built on the building blocks: its ancestors are, per block, the
 * block's event followed by the block itself (type "signal", index "" — the
 * block is not written yet when Kibana computes this) and its depth is 2 for
 * raw events. This follows Kibana's code and tests; its original time is the
 * first event's `@timestamp` (Kibana takes the first block's execution time
 * there, which says nothing about the events).
 *
 * Callers should skip a sequence any of whose events `descendsFromRule`.
 */
export function buildSequenceAlerts(
  rule: AlertRule,
  members: ReadonlyArray<SequenceMember | null>,
  options: AlertOptions,
): SequenceAlerts {
  const present = members.filter((m): m is SequenceMember => m !== null);
  if (present.length === 0) throw new RangeError("a sequence alert needs at least one event");
  const complete = withRuleDefaults(rule);
  const uuidOfRule = ruleUuid(complete);
  const values = ruleValues(complete);
  const fieldsOf = (doc: AlertDocument, input: Omit<AlertFieldsInput, "rule" | "ruleUuid" | "values">) =>
    writeAlertFields(doc, { ...input, rule: complete, ruleUuid: uuidOfRule, values }, options);

  const blockAncestry = present.map((m) => ancestorsOf(m.event, m.source));
  const blockIds = buildingBlockIds(blockAncestry, uuidOfRule);
  const blockDepths = present.map((m) => depthBelow([parentOf(m.event, m.source)]));
  const sources = present.map((m) => alertSourceFields(m.event, options.onFieldsLeftOut));

  const shellParents: Ancestor[] = blockIds.map((id, i) => ({
    id,
    type: "signal",
    index: "",
    depth: blockDepths[i],
    rule: uuidOfRule,
  }));
  const shellAncestors = blockAncestry.flatMap((ancestry, i) => [...ancestry, shellParents[i]]);
  const shellId = shellAlertId(shellAncestors, uuidOfRule);

  // The reason describes what the events have in common, so it is read before the alert fields are added.
  const shell: AlertDocument = intersectDocuments(sources) ?? {};
  const shellReason = buildReason(shell, values);
  fieldsOf(shell, {
    uuid: shellId,
    ancestors: shellAncestors,
    parents: shellParents,
    originalTime: originalTimeOf(present[0].event),
    reason: shellReason,
  });
  setOwn(shell, "kibana.alert.group.id", shellId);

  const buildingBlocks = present.map((member, i) => {
    const doc = sources[i];
    const reason = buildReason(member.event, values);
    fieldsOf(doc, {
      uuid: blockIds[i],
      ancestors: blockAncestry[i],
      parents: [parentOf(member.event, member.source)],
      originalTime: originalTimeOf(member.event),
      reason,
    });
    setOwn(doc, "kibana.alert.building_block_type", "default");
    setOwn(doc, "kibana.alert.group.id", shellId);
    setOwn(doc, "kibana.alert.group.index", i);
    return doc;
  });
  return { buildingBlocks, shell };
}
