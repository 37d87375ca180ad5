import { METADATA, type RuleCheckContext } from "./context.ts";

/** `YYYY/MM/DD` that names a real day (the schema only checks the shape). */
function isCalendarDate(text: string): boolean {
  const y = Number(text.slice(0, 4));
  const m = Number(text.slice(5, 7));
  const d = Number(text.slice(8, 10));
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
  return days !== undefined && d >= 1 && d <= days;
}

export function checkMetadataDates(ctx: RuleCheckContext): void {
  const meta = ctx.metadata;
  if (!meta) return;
  for (const key of ["creation_date", "updated_date", "deprecation_date"] as const) {
    const value = meta[key];
    if (value !== undefined && !isCalendarDate(value)) {
      ctx.report([METADATA, key], "error", "date", `${key} "${value}" is not a calendar date`);
    }
  }
  // YYYY/MM/DD strings order like the dates they spell
  if (meta.updated_date < meta.creation_date) {
    ctx.report(
      [METADATA, "updated_date"],
      "warning",
      "date",
      `updated_date ${meta.updated_date} is before creation_date ${meta.creation_date}`,
    );
  }
  if (meta.maturity === "deprecated" && meta.deprecation_date === undefined) {
    ctx.report([METADATA, "maturity"], "warning", "date", "a deprecated rule should have a deprecation_date");
  }
}
