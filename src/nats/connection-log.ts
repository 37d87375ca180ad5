import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";

/**
 * Says in the log when a long-running role loses its NATS connection and when it has it back
 * (the client reconnects by itself, forever): what an operator looks for first when events or
 * alerts stop moving. Ends when the connection is closed.
 */
export async function logConnectionChanges(
  nc: NatsConnection,
  logger: Logger,
  clock = Date.now,
): Promise<void> {
  let lostAt: number | undefined;
  for await (const status of nc.status()) {
    if (status.type === "disconnect" && lostAt === undefined) {
      lostAt = clock();
      logger.warn({ server: status.server }, "NATS connection lost; reconnecting");
    } else if (status.type === "reconnect") {
      logger.info(
        { server: status.server, ...(lostAt !== undefined && { downMs: clock() - lostAt }) },
        "NATS connection back",
      );
      lostAt = undefined;
    }
  }
}
