import type { AlertDocument } from "../../engine/alert.ts";
import { explainJsonError } from "../json-error.ts";

/** One line of a webhook's dead-letter file: an alert given up on, and why. */
export interface DeadLetter {
  /** when it was given up on */
  "@timestamp": string;
  /** the webhook's name (`webhook:<host>`) */
  sink: string;
  error: string;
  attempts: number;
  alert: AlertDocument;
}

export function deadLetterLine(letter: DeadLetter): string {
  return `${JSON.stringify(letter)}\n`;
}

export type ReadDeadLetter = { letter: DeadLetter } | { problem: string; column: number };

/**
 * A dead-letter line read back. The file is written by eqlite but kept by people, who may
 * edit it: a line that is not one is a problem with its column, not an exception.
 */
export function readDeadLetter(line: string): ReadDeadLetter {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    const { offset, reason } = explainJsonError(line, error);
    return { problem: reason, column: (offset ?? 0) + 1 };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return { problem: "not a dead letter: expected an object", column: 1 };
  const letter = value as Partial<DeadLetter>;
  if (typeof letter.sink !== "string" || letter.sink === "")
    return { problem: 'not a dead letter: no "sink" (the webhook\'s name)', column: 1 };
  const alert = letter.alert;
  if (typeof alert !== "object" || alert === null || Array.isArray(alert))
    return { problem: 'not a dead letter: no "alert" object', column: 1 };
  const id = alert["kibana.alert.uuid"];
  if (typeof id !== "string" || id === "")
    return { problem: "the alert has no kibana.alert.uuid, which a receiver de-duplicates on", column: 1 };
  return { letter: letter as DeadLetter };
}
