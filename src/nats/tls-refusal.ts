/**
 * Why NATS servers refuse this client's TLS, found with a handshake of our own. Under TLS 1.3 a
 * server that verifies clients rejects a missing or unknown client certificate only after the
 * client thinks the handshake is done; the NATS client then waits out its 20 s connection
 * timeout and reports "timeout", the server's reason lost. Read directly, the server's alert
 * says it at once ("bad certificate", "certificate required", "unknown ca").
 */
import { connect as connectTcp, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";

export interface ClientTls {
  ca?: string;
  cert?: string;
  key?: string;
}

const DEFAULT_PORT = 4222;
/** a server that does not answer within this is left to the NATS client's own timeout */
const PROBE_MS = 2_000;
/** an INFO line is a few hundred bytes; more without a line end is not a NATS server */
const MAX_LINE_BYTES = 64 * 1024;
/**
 * Under TLS 1.3, after the client's side of the handshake: a server that took the certificate
 * sends a session ticket, one that did not its alert. A server that sends neither within this is
 * taken to accept (the NATS client finds out, as it would without this probe). Nothing is sent:
 * a word of NATS protocol without the client's credentials would be an authentication error in
 * the server's log.
 */
const VERDICT_MS = 1_000;

/**
 * The refusal when every server refuses this client's TLS; undefined as soon as one takes it,
 * or does not answer in time, does not require TLS or cannot be read (the NATS client then says
 * what it finds).
 */
export function tlsRefusal(servers: readonly string[], tls: ClientTls): Promise<string | undefined> {
  if (servers.length === 0) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const refusals: string[] = [];
    for (const server of servers) {
      void probe(server, tls).then((refusal) => {
        if (refusal === undefined) return resolve(undefined);
        refusals.push(refusal);
        if (refusals.length === servers.length) resolve([...new Set(refusals)].join("; "));
      });
    }
  });
}

/** `nats://host:port`, `tls://host:port` or `host:port`, as the NATS client reads them. */
function hostPort(server: string): { host: string; port: number } | undefined {
  try {
    const url = new URL(server.includes("://") ? server : `nats://${server}`);
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    return { host, port: url.port ? Number(url.port) : DEFAULT_PORT };
  } catch {
    return undefined;
  }
}

/**
 * The server's alert in a TLS error (`…:sslv3 alert bad certificate:…`, code
 * ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE), or undefined for an error of the client's own: a server
 * certificate this client does not trust, or a name it does not match, is the NATS client's to
 * report (it checks the name its own way, and says so at once).
 */
export function serverAlert(error: Error & { code?: string }): string | undefined {
  if (!/_ALERT_/.test(error.code ?? "") && !/\balert\b/.test(error.message)) return undefined;
  const alert = /\balert ([a-z ]+?)(?::|$)/m.exec(error.message)?.[1];
  return `its TLS alert: ${alert ?? error.message.split("\n")[0]}`;
}

function probe(server: string, tls: ClientTls): Promise<string | undefined> {
  const address = hostPort(server);
  if (!address) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const sockets: Socket[] = [];
    const timers: NodeJS.Timeout[] = [];
    let settled = false;
    const done = (refusal: string | undefined) => {
      // destroying a socket can emit its close at once, which calls this again
      if (settled) return;
      settled = true;
      resolve(refusal);
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
    };
    timers.push(setTimeout(() => done(undefined), PROBE_MS));
    const tcp = connectTcp(address.port, address.host);
    sockets.push(tcp);
    tcp.on("error", () => done(undefined));
    tcp.on("close", () => done(undefined));
    let info = "";
    tcp.on("data", (chunk: Buffer) => {
      info += chunk.toString("latin1");
      const end = info.indexOf("\r\n");
      if (end < 0) {
        if (info.length > MAX_LINE_BYTES) done(undefined);
        return;
      }
      tcp.removeAllListeners("data");
      // from here the TLS socket speaks for the connection
      tcp.removeAllListeners("close");
      tcp.removeAllListeners("error");
      if (!/^INFO\s+\{.*"tls_required"\s*:\s*true/.test(info.slice(0, end))) return done(undefined);
      const secure = connectTls({
        socket: tcp,
        ...tls,
        // a name, not an address: SNI takes no IP address
        ...(/^[\d.]+$|:/.test(address.host) ? {} : { servername: address.host }),
      });
      sockets.push(secure);
      secure.on("error", (error: Error) => done(serverAlert(error)));
      secure.on("close", () => done(undefined));
      // emitted from inside OpenSSL's callback: destroying the socket there crashes the process
      secure.on("session", () => setImmediate(() => done(undefined)));
      secure.on("secureConnect", () => {
        // before 1.3 the server checked the certificate within the handshake
        if (secure.getProtocol() !== "TLSv1.3") return done(undefined);
        timers.push(setTimeout(() => done(undefined), VERDICT_MS));
      });
    });
  });
}
