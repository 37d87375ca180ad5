/** Identifiers in the shapes the sensor and Kubernetes use. */
import type { Rng } from "./random.ts";

/** a random UUID (version 4 layout) */
export function uuid(rng: Rng): string {
  const h = rng.hex(32);
  const variant = "89ab"[rng.int(4)];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** a container id: 64 hexadecimal digits */
export function containerId(rng: Rng): string {
  return rng.hex(64);
}

/**
 * `process.entity_id` as the open-source session-metadata implementation derives it: base64 of
 * `<pid namespace inode>__<boot id>__<pid>__<start, unix seconds>`, unique per host boot.
 */
export function entityId(pidNsIno: number, bootId: string, pid: number, startMs: number): string {
  return Buffer.from(`${pidNsIno}__${bootId}__${pid}__${Math.floor(startMs / 1000)}`).toString("base64");
}
