/**
 * Which live worker should own each partition, with no coordinator: rendezvous (highest random
 * weight) hashing. Every worker scores every (worker, partition) pair the same way and the
 * partition goes to the top score, so workers that see the same members agree, and a worker
 * joining or leaving moves only the partitions it wins or held (about 1/N of them).
 */
import { createHash } from "node:crypto";

/** A well-mixed 48-bit score: FNV over similar names clusters, SHA-256 does not. */
export function rendezvousScore(member: string, key: string): number {
  return createHash("sha256").update(member).update("\u0000").update(key).digest().readUIntBE(0, 6);
}

export function rendezvousOwner(key: string, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const member of members) {
    const score = rendezvousScore(member, key);
    // ties (a 2^-48 chance) go to the smaller name, so every worker still agrees
    if (score > bestScore || (score === bestScore && best !== undefined && member < best)) {
      best = member;
      bestScore = score;
    }
  }
  return best;
}

/** The keys among `keys` that `member` should own, given the live `members` (itself included). */
export function rendezvousShare(
  member: string,
  keys: readonly string[],
  members: readonly string[],
): string[] {
  const all = members.includes(member) ? members : [...members, member];
  return keys.filter((key) => rendezvousOwner(key, all) === member);
}
