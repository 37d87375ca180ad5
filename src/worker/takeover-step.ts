/**
 * A takeover is a handful of NATS calls, and any of them can fail with just "timeout": the
 * partition's failure then names the step it failed at ("creating its consumer part-3-e12:
 * timeout"), so that the operator knows whether the checkpoints bucket, the events stream or
 * the object store did not answer. A fence is not a failure and passes through as it is.
 */
import { CheckpointFenced } from "./checkpoint-claim.ts";
import { errorText } from "./compare-and-set.ts";

export class TakeoverStepFailed extends Error {
  constructor(
    readonly step: string,
    cause: unknown,
  ) {
    super(`${step}: ${errorText(cause)}`, { cause });
    this.name = "TakeoverStepFailed";
  }
}

export async function takeoverStep<T>(step: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof CheckpointFenced || error instanceof TakeoverStepFailed) throw error;
    throw new TakeoverStepFailed(step, error);
  }
}
