import type { AlertDocument } from "../../engine/alert.ts";
import { compileFieldGetter } from "../../eql/field-access.ts";

/** What a person needs first from an alert, read from the document with dotted or nested keys alike. */
export interface AlertView {
  time: string;
  severity: string;
  riskScore: number | null;
  rule: string;
  ruleId: string;
  host: string;
  container: string;
  pod: string;
  process: string;
  commandLine: string;
  reason: string;
  uuid: string;
  buildingBlock: boolean;
}

const read = (path: string) => {
  const get = compileFieldGetter(path);
  return (doc: AlertDocument): string => {
    const v = get(doc as Record<string, unknown>);
    if (v === undefined || v === null) return "";
    return Array.isArray(v)
      ? v.filter((x) => x !== null && typeof x !== "object").join(" ")
      : typeof v === "object"
        ? ""
        : String(v);
  };
};

const F = {
  time: read("kibana.alert.original_time"),
  severity: read("kibana.alert.severity"),
  risk: read("kibana.alert.risk_score"),
  rule: read("kibana.alert.rule.name"),
  ruleId: read("kibana.alert.rule.rule_id"),
  host: read("host.name"),
  hostId: read("host.id"),
  containerName: read("container.name"),
  containerId: read("container.id"),
  pod: read("orchestrator.resource.name"),
  namespace: read("orchestrator.namespace"),
  processName: read("process.name"),
  pid: read("process.pid"),
  commandLine: read("process.command_line"),
  args: read("process.args"),
  reason: read("kibana.alert.reason"),
  uuid: read("kibana.alert.uuid"),
  buildingBlock: read("kibana.alert.building_block_type"),
};

export function viewOf(doc: AlertDocument): AlertView {
  const containerId = F.containerId(doc);
  const pod = F.pod(doc);
  const namespace = F.namespace(doc);
  const pid = F.pid(doc);
  const risk = F.risk(doc);
  return {
    time: F.time(doc),
    severity: F.severity(doc),
    riskScore: risk === "" ? null : Number(risk),
    rule: F.rule(doc),
    ruleId: F.ruleId(doc),
    host: F.host(doc) || F.hostId(doc),
    container: F.containerName(doc) || (containerId ? containerId.slice(0, 12) : ""),
    pod: pod ? (namespace ? `${namespace}/${pod}` : pod) : "",
    process: F.processName(doc) ? `${F.processName(doc)}${pid ? ` (${pid})` : ""}` : "",
    commandLine: F.commandLine(doc) || F.args(doc),
    reason: F.reason(doc),
    uuid: F.uuid(doc),
    buildingBlock: F.buildingBlock(doc) !== "",
  };
}
