import { compileFieldGetter, type Event, scalarValues } from "../eql/field-access.ts";

/**
 * `kibana.alert.reason`: the one-line summary Kibana writes on every alert, e.g.
 * "process event with process bash, parent process runc, on host-1 created high
 * alert Interactive Exec.". Analysts and tools match on it, so the wording,
 * spacing and commas follow Kibana's template exactly.
 */

const read = {
  category: compileFieldGetter("event.category"),
  process: compileFieldGetter("process.name"),
  parent: compileFieldGetter("process.parent.name"),
  file: compileFieldGetter("file.name"),
  sourceIp: compileFieldGetter("source.ip"),
  sourcePort: compileFieldGetter("source.port"),
  destinationIp: compileFieldGetter("destination.ip"),
  destinationPort: compileFieldGetter("destination.port"),
  user: compileFieldGetter("user.name"),
  host: compileFieldGetter("host.name"),
};

/**
 * A field as the template shows it: several values joined with ", ". A field that
 * is absent, empty, or only "-" (the "no value" placeholder of many log formats)
 * is left out. Kibana tests `-` on the whole value, so "-" inside a longer list
 * stays. Unlike Kibana, which reads `_source` and silently drops numeric values
 * there (a number has no `length`), numbers are shown: ports are numbers in ECS
 * and the template has a place for them.
 */
function shown(raw: unknown): string | null {
  if (raw !== null && typeof raw === "object" && !Array.isArray(raw)) return null;
  const values = scalarValues(raw);
  if (values.length === 0) return null;
  if (values.length === 1 && (values[0] === "" || values[0] === "-" || values[0] === false)) return null;
  return values.map(String).join(", ");
}

export function buildReason(event: Event, rule: { name: string; severity: string }): string {
  const category = shown(read.category(event));
  const process = shown(read.process(event));
  const parent = shown(read.parent(event));
  const file = shown(read.file(event));
  const sourceIp = shown(read.sourceIp(event));
  const sourcePort = shown(read.sourcePort(event));
  const destinationIp = shown(read.destinationIp(event));
  const destinationPort = shown(read.destinationPort(event));
  const user = shown(read.user(event));
  const host = shown(read.host(event));
  // "with" introduces the fields that describe what happened; user and host only say where.
  const hasSubject = [process, parent, file, sourceIp, sourcePort, destinationIp, destinationPort].some(
    (v) => v !== null,
  );

  let text = category === null ? "event" : `${category} event`;
  if (hasSubject) text += " with";
  if (process !== null) text += ` process ${process},`;
  if (parent !== null) text += ` parent process ${parent},`;
  if (file !== null) text += ` file ${file},`;
  if (sourceIp !== null) text += ` source ${sourceIp}`;
  if (sourcePort !== null) text += `:${sourcePort},`;
  if (destinationIp !== null) text += ` destination ${destinationIp}`;
  if (destinationPort !== null) text += `:${destinationPort},`;
  if (user !== null) text += ` by ${user}`;
  if (host !== null) text += ` on ${host}`;
  return `${text} created ${rule.severity} alert ${rule.name}.`;
}
