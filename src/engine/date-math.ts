import { parseTimestamp } from "../eql/timestamp.ts";

/**
 * Elastic date math, as rules' `from`/`to` and the scan's `--from`/`--to` use it:
 * an anchor (`now`, or a date followed by `||`) then operations: `+N<unit>`,
 * `-N<unit>`, `/<unit>` (round down). Units: y M w d h H m s ms. Results are epoch
 * nanoseconds, UTC.
 */
export class DateMathError extends Error {}

const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  H: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const MS = 1_000_000n;

export function parseDateMath(text: string, nowNs: bigint, roundUp = false): bigint {
  const expr = text.trim();
  let anchor: bigint;
  let rest: string;
  if (expr.startsWith("now")) {
    anchor = nowNs;
    rest = expr.slice(3);
  } else {
    const bar = expr.indexOf("||");
    const date = bar < 0 ? expr : expr.slice(0, bar);
    const parsed = parseTimestamp(date);
    if (parsed === null)
      throw new DateMathError(
        `cannot read [${text}] as a date or date math (e.g. now-6m, 2026-01-01T00:00:00Z)`,
      );
    anchor = parsed;
    rest = bar < 0 ? "" : expr.slice(bar + 2);
  }
  let time = anchor;
  const op = /^([+-])(\d+)(ms|[yMwdhHms])|^\/(ms|[yMwdhHms])/;
  while (rest.length) {
    const m = op.exec(rest);
    if (!m)
      throw new DateMathError(
        `cannot read [${rest}] in [${text}]: expected +N<unit>, -N<unit> or /<unit> with a unit among y M w d h m s ms`,
      );
    rest = rest.slice(m[0].length);
    if (m[4]) time = round(time, m[4], roundUp);
    else time = shift(time, m[1] === "+" ? Number(m[2]) : -Number(m[2]), m[3]);
  }
  return time;
}

function shift(time: bigint, n: number, unit: string): bigint {
  if (unit === "ms") return time + BigInt(n) * MS;
  if (unit === "y" || unit === "M") {
    // Calendar arithmetic clamps to the month's last day (Jan 31 + 1M = Feb 28), as Java's does.
    const d = new Date(Number(time / MS));
    const months = d.getUTCFullYear() * 12 + d.getUTCMonth() + (unit === "y" ? 12 * n : n);
    const year = Math.floor(months / 12);
    const month = months - year * 12;
    const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
    const moved = Date.UTC(
      year,
      month,
      Math.min(d.getUTCDate(), lastDay),
      d.getUTCHours(),
      d.getUTCMinutes(),
      d.getUTCSeconds(),
      d.getUTCMilliseconds(),
    );
    return BigInt(moved) * MS + (((time % MS) + MS) % MS);
  }
  return time + BigInt(n * UNIT_MS[unit]) * MS;
}

/** `/d` rounds down to the unit's start; as an upper bound (`to`) Elasticsearch rounds to its end. */
function round(time: bigint, unit: string, roundUp: boolean): bigint {
  const d = new Date(Number(time / MS));
  switch (unit) {
    case "y":
      d.setUTCMonth(0, 1);
      d.setUTCHours(0, 0, 0, 0);
      break;
    case "M":
      d.setUTCDate(1);
      d.setUTCHours(0, 0, 0, 0);
      break;
    case "w": {
      const day = (d.getUTCDay() + 6) % 7; // weeks start on Monday
      d.setUTCDate(d.getUTCDate() - day);
      d.setUTCHours(0, 0, 0, 0);
      break;
    }
    case "d":
      d.setUTCHours(0, 0, 0, 0);
      break;
    case "h":
    case "H":
      d.setUTCMinutes(0, 0, 0);
      break;
    case "m":
      d.setUTCSeconds(0, 0);
      break;
    case "s":
      d.setUTCMilliseconds(0);
      break;
    case "ms":
      break;
  }
  const start = BigInt(d.getTime()) * MS;
  if (!roundUp) return start;
  return shift(start, 1, unit === "H" ? "h" : unit) - 1n;
}

/** A duration such as `5m`, `1h`, `30s` (rule `interval`) in nanoseconds. */
export function parseDuration(text: string): bigint {
  const m = /^(\d+)(ms|[smhd])$/.exec(text.trim());
  if (!m) throw new DateMathError(`cannot read [${text}] as a duration such as 5m, 1h or 30s`);
  if (m[2] === "ms") return BigInt(m[1]) * MS;
  return BigInt(Number(m[1]) * UNIT_MS[m[2]]) * MS;
}

/** A length of time in ms in the largest unit that states it whole: `5m`, `90s`, `1500ms`. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ] as const) {
    if (ms % size === 0 && ms >= size) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
