import type { AlertDocument } from "../../engine/alert.ts";
import type { EventOrigin } from "../../engine/detection-engine.ts";
import { viewOf } from "./alert-view.ts";

/**
 * SARIF 2.1.0, for CI systems that show findings on files: one result per alert
 * (building blocks left out: their shell stands for them), located at the input
 * line of each source event, each detection rule a reporting rule.
 */
export class SarifReport {
  private readonly rules = new Map<
    string,
    { id: string; name: string; shortDescription: { text: string } }
  >();
  private readonly results: unknown[] = [];

  add(alert: AlertDocument, origins: EventOrigin[]): void {
    const v = viewOf(alert);
    if (v.buildingBlock) return;
    if (!this.rules.has(v.ruleId)) {
      this.rules.set(v.ruleId, { id: v.ruleId, name: v.rule, shortDescription: { text: v.rule } });
    }
    this.results.push({
      ruleId: v.ruleId,
      level: LEVEL[v.severity] ?? "warning",
      message: { text: v.reason },
      locations: origins.map((o) => ({
        physicalLocation: { artifactLocation: { uri: o.source }, region: { startLine: o.line } },
      })),
      partialFingerprints: { alertId: v.uuid },
      properties: { severity: v.severity, riskScore: v.riskScore, time: v.time },
    });
  }

  toJSON(): unknown {
    return {
      version: "2.1.0",
      $schema: "https://json.schemastore.org/sarif-2.1.0.json",
      runs: [
        {
          tool: {
            driver: {
              name: "eqlite",
              informationUri: "https://github.com/",
              rules: [...this.rules.values()],
            },
          },
          results: this.results,
        },
      ],
    };
  }
}

const LEVEL: Record<string, string> = { critical: "error", high: "error", medium: "warning", low: "note" };
