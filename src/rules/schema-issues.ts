import type { z } from "zod";
import type { DocumentPath } from "./position-map.ts";

/** One schema problem, worded for a rule author, at a path of the checked object. */
export interface SchemaIssue {
  path: DocumentPath;
  message: string;
}

/** `threat[0].technique[1].id`: how an author would point at a value. */
export function formatPath(path: DocumentPath): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out ? `.${segment}` : segment;
  }
  return out;
}

/** zod's issues, reworded: the field, what it must be, and what was found. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown): SchemaIssue[] {
  return issues.map((issue) => {
    const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    const found = valueAt(input, path);
    return { path, message: `${formatPath(path) || "document"} ${describe(issue, found)}` };
  });
}

function describe(issue: z.core.$ZodIssue, found: unknown): string {
  if (found === undefined && issue.code !== "unrecognized_keys" && issue.code !== "custom")
    return "is required";
  switch (issue.code) {
    case "invalid_type":
      // TOML's inf and nan are numbers, though not ones a rule can use
      if (typeof found === "number" && !Number.isFinite(found))
        return `must be a finite number (found ${show(found)})`;
      return `must be ${article(issue.expected)} (found ${show(found)})`;
    case "too_big":
    case "too_small": {
      const bound = issue.code === "too_big" ? issue.maximum : issue.minimum;
      const limit = issue.code === "too_big" ? "at most" : "at least";
      if (issue.origin === "array")
        return `must have ${limit} ${bound} item${Number(bound) === 1 ? "" : "s"} (found ${(found as unknown[]).length})`;
      if (issue.origin === "string") {
        return issue.code === "too_small" && Number(bound) === 1
          ? "must not be empty"
          : `must have ${limit} ${bound} characters`;
      }
      return `must be ${limit} ${bound} (found ${show(found)})`;
    }
    case "invalid_value":
      return issue.values.length === 1 && !issue.message.startsWith("Invalid")
        ? issue.message
        : `must be ${issue.values.length === 1 ? "" : "one of "}${issue.values.map(show).join(", ")} (found ${show(found)})`;
    case "invalid_union":
      // zod names the allowed discriminator values in `options`, which its types leave out
      if ("options" in issue && Array.isArray(issue.options))
        return `must be one of ${(issue.options as unknown[]).map(show).join(", ")} (found ${show(found)})`;
      return issue.message.startsWith("Invalid")
        ? `has the wrong shape (found ${show(found)})`
        : issue.message;
    case "unrecognized_keys":
      return `has unexpected key${issue.keys.length === 1 ? "" : "s"} ${issue.keys.join(", ")}`;
    default:
      return issue.message;
  }
}

const article = (expected: string): string =>
  expected === "int" ? "an integer" : /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;

export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  // TOML's unquoted dates and times parse to Date objects; smol-toml's print as written
  if (value instanceof Date) return `${value.toISOString()}, a date or time without quotes`;
  if (value !== null && typeof value === "object") return "a table";
  // what JSON would print as null
  if (typeof value === "number" && !Number.isFinite(value))
    return Number.isNaN(value) ? "nan" : value > 0 ? "inf" : "-inf";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function valueAt(input: unknown, path: DocumentPath): unknown {
  let value = input;
  for (const segment of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}
