/**
 * A connection to a NATS cluster for a long-running role: it reconnects forever (a cluster
 * restarting node by node must not end an ingest node), authenticates with a credentials file
 * or a token, over TLS with a private CA and a client certificate when given, and a first
 * connection that fails names the servers tried and why.
 */
import { readFileSync } from "node:fs";
import {
  type Authenticator,
  connect,
  credsAuthenticator,
  type NatsConnection,
  tokenAuthenticator,
} from "@nats-io/transport-node";
import { type ClientTls, tlsRefusal } from "./tls-refusal.ts";

export interface NatsAccess {
  servers: string[];
  /** a credentials file (JWT and NKey seed), as `nsc` writes them */
  creds?: string;
  token?: string;
  /** PEM CA certificates the servers' certificates are checked against (else Node's trusted CAs) */
  tlsCa?: string;
  /** PEM client certificate, for servers that verify clients (mutual TLS); needs `tlsKey` */
  tlsCert?: string;
  tlsKey?: string;
}

/** Where each TLS file comes from, in messages: the flag (serve's config keys say the same). */
const TLS_FILES = {
  tlsCa: "--nats-tls-ca",
  tlsCert: "--nats-tls-cert",
  tlsKey: "--nats-tls-key",
} as const;

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
  const tls = tlsOptions(access);
  const failed = (reason: string) =>
    new NatsConnectError(`cannot connect to NATS at ${access.servers.join(", ")}: ${reason}`);
  // a server refusing the client's certificate is seen at once by a handshake of our own, where
  // the client would wait out its connection timeout and say only "timeout" (tls-refusal.ts)
  const refusal = tls && (await tlsRefusal(access.servers, tls));
  if (refusal) throw failed(`the server refused this client's TLS (${refusal})${certificateHint(access)}`);
  try {
    return await connect({
      servers: access.servers,
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      ...(authenticator.length ? { authenticator } : {}),
      ...(tls ? { tls } : {}),
    });
  } catch (error) {
    throw failed(String((error as Error).message ?? error));
  }
}

/** What to give when the server wants a client certificate and none was. */
const certificateHint = (access: NatsAccess): string =>
  access.tlsCert === undefined
    ? `; if it verifies clients, give a client certificate (${TLS_FILES.tlsCert} and ${TLS_FILES.tlsKey})`
    : "";

/**
 * The client's TLS files, read here so that a missing one is named before any connection.
 * Any of them makes TLS required: a client given a CA must not fall back to plain text.
 */
function tlsOptions(access: NatsAccess): ClientTls | undefined {
  if ((access.tlsCert === undefined) !== (access.tlsKey === undefined)) {
    throw new NatsConnectError(
      `${TLS_FILES.tlsCert} and ${TLS_FILES.tlsKey} go together: a client certificate needs its private key`,
    );
  }
  const read = (key: keyof typeof TLS_FILES): string | undefined => {
    const file = access[key];
    if (file === undefined) return undefined;
    try {
      return readFileSync(file, "utf8");
    } catch (error) {
      throw new NatsConnectError(`${TLS_FILES[key]}: cannot read ${file}: ${(error as Error).message}`);
    }
  };
  const ca = read("tlsCa");
  const cert = read("tlsCert");
  const key = read("tlsKey");
  if (ca === undefined && cert === undefined) return undefined;
  return { ...(ca !== undefined && { ca }), ...(cert !== undefined && { cert, key }) };
}
