import { z } from "zod";

/**
 * The MITRE mapping of a rule (`[[rule.threat]]`, `threat` in the API). Only the shape
 * lives here; whether ids, names and references agree with their framework is
 * `checks/threat-framework.ts`.
 */
const reference = z.string().min(1);

export const subtechniqueSchema = z.object({ id: z.string().min(1), name: z.string().min(1), reference });

export const techniqueSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  reference,
  subtechnique: z.array(subtechniqueSchema).optional(),
});

export const tacticSchema = z.object({ id: z.string().min(1), name: z.string().min(1), reference });

export const threatSchema = z.object({
  framework: z.string().min(1),
  tactic: tacticSchema,
  // detection-rules adds `technique = []` when building the API object; so does Kibana
  technique: z.array(techniqueSchema).default([]),
});

export type Threat = z.output<typeof threatSchema>;
export type Technique = z.output<typeof techniqueSchema>;
