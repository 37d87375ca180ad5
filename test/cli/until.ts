import { setTimeout as sleep } from "node:timers/promises";

/**
 * Resolves once `check()` holds. A child CLI takes a second to start on a quiet machine and
 * several on a loaded one (two test files at a time on two cores, or more): the deadline is
 * there to fail a wait that will never end, naming what it waited for, not to time the child.
 */
export async function until(check: () => boolean, what: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what()}`);
    await sleep(50);
  }
}
