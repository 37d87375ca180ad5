/**
 * A connection to a NATS cluster for a long-running role: it reconnects forever (a cluster
 * restarting node by node must not end an ingest node), authenticates with a credentials file
 * or a token, and a first connection that fails names the servers tried and why.
 */
import { readFileSync } from "node:fs";
import {
  type Authenticator,
  connect,
  credsAuthenticator,
  type NatsConnection,
  tokenAuthenticator,
} from "@nats-io/transport-node";

export interface NatsAccess {
  servers: string[];
  /** a credentials file (JWT and NKey seed), as `nsc` writes them */
  creds?: string;
  token?: string;
}

export class NatsConnectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NatsConnectError";
  }
}

export async function connectNats(access: NatsAccess, name: string): Promise<NatsConnection> {
  const authenticator: Authenticator[] = [];
  if (access.creds) {
    let creds: Uint8Array;
    try {
      creds = readFileSync(access.creds);
    } catch (error) {
      throw new NatsConnectError(
        `cannot read the NATS credentials file ${access.creds}: ${(error as Error).message}`,
      );
    }
    authenticator.push(credsAuthenticator(creds));
  }
  if (access.token) authenticator.push(tokenAuthenticator(access.token));
  try {
    return await connect({
      servers: access.servers,
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      ...(authenticator.length ? { authenticator } : {}),
    });
  } catch (error) {
    throw new NatsConnectError(
      `cannot connect to NATS at ${access.servers.join(", ")}: ${(error as Error).message ?? error}`,
    );
  }
}
