/**
 * The Prometheus text exposition format (version 0.0.4), written by hand: a family is
 * `# HELP`, `# TYPE`, then one sample per label set. Label values are escaped (`\`, `"`,
 * newlines), so a rule name can hold any character.
 */
export type MetricType = "counter" | "gauge";

export interface Sample {
  labels?: Record<string, string>;
  value: number;
}

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export class PrometheusText {
  private readonly lines: string[] = [];

  family(name: string, type: MetricType, help: string, samples: readonly Sample[] | number): this {
    this.lines.push(`# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
    this.lines.push(`# TYPE ${name} ${type}`);
    const list = typeof samples === "number" ? [{ value: samples }] : samples;
    for (const s of list) this.lines.push(`${name}${labelText(s.labels)} ${formatValue(s.value)}`);
    return this;
  }

  toString(): string {
    return `${this.lines.join("\n")}\n`;
  }
}

function labelText(labels: Record<string, string> | undefined): string {
  if (!labels) return "";
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

export function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}
