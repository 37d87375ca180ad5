import { checkAlertSuppression } from "./alert-suppression.ts";
import { checkBuildingBlock } from "./building-block.ts";
import type { RuleCheck } from "./context.ts";
import { checkExceptionsList } from "./exceptions-list.ts";
import { checkFilters } from "./filters.ts";
import { checkIndexSource } from "./index-source.ts";
import { checkMetadataDates } from "./metadata-dates.ts";
import { checkRelatedIntegrations } from "./related-integrations.ts";
import { checkRequiredFields } from "./required-fields.ts";
import { checkRuleId } from "./rule-id.ts";
import { checkSchedule } from "./schedule.ts";
import { checkScoreMappings } from "./score-mappings.ts";
import { checkSeverityRiskBand } from "./severity-risk-band.ts";
import { checkThreatFramework } from "./threat-framework.ts";
import { checkThreatMapping } from "./threat-mapping.ts";
import { checkTimestampOverride } from "./timestamp-override.ts";
import { checkUnknownKeys } from "./unknown-keys.ts";

/** Checks run on every rule whose shape is valid, in this order. */
export const RULE_CHECKS: readonly RuleCheck[] = [
  checkUnknownKeys,
  checkRuleId,
  checkMetadataDates,
  checkSeverityRiskBand,
  checkScoreMappings,
  checkSchedule,
  checkTimestampOverride,
  checkBuildingBlock,
  checkIndexSource,
  checkAlertSuppression,
  checkExceptionsList,
  checkFilters,
  checkThreatFramework,
  checkThreatMapping,
  checkRequiredFields,
  checkRelatedIntegrations,
];
