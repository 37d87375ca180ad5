import { z } from "zod";

/**
 * `[metadata]` of a detection-rules TOML file: packaging facts that never reach Kibana as
 * such, but say which integration's fields the query may use and whether it is deprecated.
 */
const repositoryDate = z
  .string()
  .regex(/^\d{4}\/\d{2}\/\d{2}$/, { error: "must be a date written YYYY/MM/DD" });

export const MATURITIES = ["development", "experimental", "beta", "production", "deprecated"] as const;

export const metadataSchema = z
  .object({
    creation_date: repositoryDate,
    updated_date: repositoryDate,
    deprecation_date: repositoryDate.optional(),
    maturity: z.enum(MATURITIES).optional(),
    integration: z
      .union([z.string().min(1), z.array(z.string().min(1))], {
        error: "must be a package name or a list of package names",
      })
      .optional(),
    min_stack_version: z
      .string()
      .regex(/^\d+\.\d+(\.\d+[\w-]*)*$/, { error: "must be a version such as 8.8.0" })
      .optional(),
    min_stack_comments: z.string().optional(),
    bypass_bbr_timing: z.boolean().optional(),
    comments: z.string().optional(),
    os_type_list: z.array(z.enum(["windows", "linux", "macos"])).optional(),
    query_schema_validation: z.boolean().optional(),
    related_endpoint_rules: z.array(z.string()).optional(),
    promotion: z.boolean().optional(),
    extended: z.record(z.string(), z.unknown()).optional(),
    deprecated_reason: z.string().optional(),
  })
  .loose();

export type RuleMetadata = z.output<typeof metadataSchema>;

/** `[transform]`: investigation-guide plugins rendered into `note` when rules are packaged. */
export const transformSchema = z
  .object({
    osquery: z.array(z.object({ label: z.string().min(1), query: z.string().min(1) }).loose()).optional(),
    investigate: z
      .array(
        z
          .object({
            label: z.string().min(1),
            providers: z.array(
              z.array(
                z
                  .object({
                    field: z.string().min(1),
                    queryType: z.enum(["phrase", "range"]),
                    valueType: z.enum(["string", "boolean"]),
                  })
                  .loose(),
              ),
            ),
          })
          .loose(),
      )
      .optional(),
  })
  .loose();

export type RuleTransform = z.output<typeof transformSchema>;
