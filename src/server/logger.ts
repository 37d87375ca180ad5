import { type DestinationStream, type Logger, pino } from "pino";

/**
 * The service's structured log: JSON lines on stderr, never stdout, where alerts may
 * go. Credentials never reach it: the Authorization header is redacted wherever a
 * request's headers are logged.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "eqlite" },
      redact: { paths: ["req.headers.authorization", "headers.authorization"], censor: "[redacted]" },
    },
    destination ?? pino.destination({ dest: 2, sync: true }),
  );
}
