import type { Logger } from "pino";
import { openAlertState } from "./alert-state.ts";
import type { ServeConfig } from "./config.ts";
import { openDurability } from "./durability.ts";
import { mergeExtensions } from "./merge-extensions.ts";
import { openNatsRole } from "./nats-role.ts";
import type { ServeExtensions } from "./service.ts";

/**
 * The extensions a configuration asks for, opened:
 * - `--data-dir` alone: the write-ahead log, the store and webhooks (durability.ts);
 * - `--nats`: events to JetStream, the cluster's alerts from it (nats-role.ts), and with
 *   `--data-dir` the store and webhooks without a write-ahead log: the stream is the log.
 * On failure, whatever was opened is closed again before the error is thrown.
 */
export async function openServeRoles(
  config: ServeConfig,
  options: { logger: Logger; clock?: () => number },
): Promise<ServeExtensions | undefined> {
  const opened: ServeExtensions[] = [];
  try {
    if (config.nats) {
      if (config.dataDir) {
        const alertState = openAlertState(config, { ...options, recordRuleStats: false });
        opened.push({ ...alertState.extensions, close: async () => alertState.close() });
      }
      const nats = await openNatsRole(config.nats, {
        logger: options.logger,
        maxPendingEvents: config.queueEvents,
      });
      opened.push(nats.extensions);
    } else if (config.dataDir) opened.push((await openDurability(config, options)).extensions);
  } catch (error) {
    for (const extension of opened.reverse()) await extension.close?.().catch(() => {});
    throw error;
  }
  return opened.length ? mergeExtensions(...opened) : undefined;
}
