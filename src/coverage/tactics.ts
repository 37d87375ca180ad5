/** The enterprise ATT&CK tactics in kill-chain order, with the shortnames the Navigator uses. */
export const ATTACK_TACTICS: ReadonlyArray<{ id: string; name: string; shortname: string }> = [
  { id: "TA0043", name: "Reconnaissance", shortname: "reconnaissance" },
  { id: "TA0042", name: "Resource Development", shortname: "resource-development" },
  { id: "TA0001", name: "Initial Access", shortname: "initial-access" },
  { id: "TA0002", name: "Execution", shortname: "execution" },
  { id: "TA0003", name: "Persistence", shortname: "persistence" },
  { id: "TA0004", name: "Privilege Escalation", shortname: "privilege-escalation" },
  { id: "TA0005", name: "Defense Evasion", shortname: "defense-evasion" },
  { id: "TA0006", name: "Credential Access", shortname: "credential-access" },
  { id: "TA0007", name: "Discovery", shortname: "discovery" },
  { id: "TA0008", name: "Lateral Movement", shortname: "lateral-movement" },
  { id: "TA0009", name: "Collection", shortname: "collection" },
  { id: "TA0011", name: "Command and Control", shortname: "command-and-control" },
  { id: "TA0010", name: "Exfiltration", shortname: "exfiltration" },
  { id: "TA0040", name: "Impact", shortname: "impact" },
];

const byId = new Map(ATTACK_TACTICS.map((t, i) => [t.id, { ...t, order: i }]));

/** Kill-chain position of a tactic; tactics outside enterprise ATT&CK come after, by id. */
export function tacticOrder(id: string): number {
  return byId.get(id)?.order ?? ATTACK_TACTICS.length;
}

/** The Navigator's shortname: known tactics from the table, others from their name ("Command and Control" → "command-and-control"). */
export function tacticShortname(id: string, name: string): string {
  return (
    byId.get(id)?.shortname ??
    name
      .trim()
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "")
  );
}

/** The canonical name of a known tactic, else the name the rules give it. */
export function tacticName(id: string, fallback: string): string {
  return byId.get(id)?.name ?? fallback;
}
