/**
 * An alert as it travels on the alerts stream: the body is the alert document (Kibana-shaped
 * JSON), the subject names its rule (`alertSubject`), and the message id is the alert id
 * (`kibana.alert.uuid`), so the same match published twice — by a replaying new owner, by a
 * fenced former one, by a retry — is stored once within the stream's duplicate window. A sink
 * reading the stream can write it to Elasticsearch with `_id` = the message id.
 */
import { type MsgHdrs, headers as natsHeaders } from "@nats-io/transport-node";
import type { AlertDocument } from "../engine/alert.ts";
import { MSG_ID_HEADER } from "./event-message.ts";
import { alertSubject } from "./topology.ts";

export const RULE_ID_HEADER = "Eqlite-Rule-Id";

export interface AlertMessage {
  subject: string;
  /** the alert id: also the `Nats-Msg-Id` */
  msgId: string;
  headers: MsgHdrs;
  body: Uint8Array;
}

export function encodeAlertMessage(alert: AlertDocument): AlertMessage {
  const msgId = alert["kibana.alert.uuid"];
  const ruleId = alert["kibana.alert.rule.rule_id"];
  if (typeof msgId !== "string" || msgId === "") throw new Error("an alert without kibana.alert.uuid");
  const rule = typeof ruleId === "string" ? ruleId : "";
  const headers = natsHeaders();
  headers.set(MSG_ID_HEADER, msgId);
  if (rule) headers.set(RULE_ID_HEADER, rule);
  return { subject: alertSubject(rule), msgId, headers, body: Buffer.from(JSON.stringify(alert), "utf8") };
}

export function decodeAlertMessage(message: { data: Uint8Array; seq: number }): AlertDocument {
  const alert = JSON.parse(Buffer.from(message.data).toString("utf8")) as AlertDocument;
  if (alert === null || typeof alert !== "object" || Array.isArray(alert))
    throw new Error(`alerts message ${message.seq}: not a JSON object`);
  return alert;
}
