import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { connectNats, type NatsAccess, NatsConnectError } from "../../src/nats/connect.ts";
import { serverAlert } from "../../src/nats/tls-refusal.ts";
import { runCli } from "../cli/run-cli.ts";
import { natsServerMissing, startNats } from "./nats-server.ts";

const opensslMissing: string | false =
  spawnSync("openssl", ["version"]).status === 0 ? false : "openssl not found: NATS TLS tests skipped";

interface Certificates {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** a client certificate of its own making, which the CA never signed */
  strangerCert: string;
  strangerKey: string;
}

/**
 * A throwaway CA that signs a server certificate and a client certificate. The NATS client
 * checks a server reached by IP address under the name localhost.
 */
function makeCertificates(): Certificates {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-tls-"));
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(
    "req",
    "-x509",
    ...ecKey,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=eqlite test CA",
  );
  const sign = (name: string, extensions: string) => {
    writeFileSync(at(`${name}.ext`), extensions);
    openssl("req", ...ecKey, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`);
    openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      `${name}.pem`,
      "-days",
      "2",
      "-extfile",
      `${name}.ext`,
    );
  };
  sign("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  sign("client", "extendedKeyUsage=clientAuth\n");
  openssl(
    "req",
    "-x509",
    ...ecKey,
    "-keyout",
    "stranger.key",
    "-out",
    "stranger.pem",
    "-days",
    "2",
    "-subj",
    "/CN=stranger",
  );
  return {
    dir,
    ca: at("ca.pem"),
    serverCert: at("server.pem"),
    serverKey: at("server.key"),
    clientCert: at("client.pem"),
    clientKey: at("client.key"),
    strangerCert: at("stranger.pem"),
    strangerKey: at("stranger.key"),
  };
}

const skip = natsServerMissing || opensslMissing;

test("NATS over mutual TLS: the CA and client certificate connect; without either the connection is refused", {
  skip,
}, async (t) => {
  const certs = makeCertificates();
  t.after(() => rmSync(certs.dir, { recursive: true, force: true }));
  const cluster = await startNats(
    t,
    1,
    [
      `tls { cert_file: "${certs.serverCert}", key_file: "${certs.serverKey}", ca_file: "${certs.ca}", verify: true }`,
    ],
    {
      tls: {
        ca: readFileSync(certs.ca, "utf8"),
        cert: readFileSync(certs.clientCert, "utf8"),
        key: readFileSync(certs.clientKey, "utf8"),
      },
    },
  );
  const servers = cluster.urls;
  const full: NatsAccess = { servers, tlsCa: certs.ca, tlsCert: certs.clientCert, tlsKey: certs.clientKey };

  const nc = await connectNats(full, "tls-test");
  const reply = await nc.request("$JS.API.INFO", undefined, { timeout: 5000 });
  assert.equal(reply.json<{ error?: unknown }>().error, undefined);
  await nc.close();

  // the server verifies clients: a CA alone is not enough, and the server's alert says why
  // (the NATS client alone would wait out its 20 s timeout and say "timeout")
  await assert.rejects(
    connectNats({ servers, tlsCa: certs.ca }, "tls-test"),
    (error: Error) =>
      error instanceof NatsConnectError &&
      /the server refused this client's TLS \(its TLS alert: (bad certificate|certificate required)\); if it verifies clients, give a client certificate \(--nats-tls-cert and --nats-tls-key\)$/.test(
        error.message,
      ),
  );
  // a client certificate the server's CA did not sign
  await assert.rejects(
    connectNats(
      { servers, tlsCa: certs.ca, tlsCert: certs.strangerCert, tlsKey: certs.strangerKey },
      "tls-test",
    ),
    (error: Error) =>
      error instanceof NatsConnectError &&
      /the server refused this client's TLS \(its TLS alert: [a-z ]+\)$/.test(error.message),
  );
  // Node's trusted CAs do not know this server's
  await assert.rejects(
    connectNats({ servers, tlsCert: certs.clientCert, tlsKey: certs.clientKey }, "tls-test"),
    (error: Error) => error instanceof NatsConnectError && /certificate/i.test(error.message),
  );

  // the flags of `eqlite status` reach the connection
  const status = runCli([
    "status",
    "--nats",
    servers.join(","),
    "--nats-tls-ca",
    certs.ca,
    "--nats-tls-cert",
    certs.clientCert,
    "--nats-tls-key",
    certs.clientKey,
    "--json",
  ]);
  assert.equal(status.code, 0, status.stderr);
  assert.ok(JSON.parse(status.stdout).partitions > 0);
  const withoutCert = runCli(["status", "--nats", servers.join(","), "--nats-tls-ca", certs.ca]);
  assert.equal(withoutCert.code, 1);
  assert.match(
    withoutCert.stderr,
    /cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+: the server refused this client's TLS \(its TLS alert: /,
  );
});

test("TLS files are checked before connecting: a certificate needs its key, a missing file is named", async () => {
  const servers = ["nats://127.0.0.1:1"];
  await assert.rejects(
    connectNats({ servers, tlsCert: "/nowhere/client.pem" }, "tls-test"),
    /--nats-tls-cert and --nats-tls-key go together/,
  );
  await assert.rejects(
    connectNats({ servers, tlsKey: "/nowhere/client.key" }, "tls-test"),
    /--nats-tls-cert and --nats-tls-key go together/,
  );
  await assert.rejects(
    connectNats({ servers, tlsCa: "/nowhere/ca.pem" }, "tls-test"),
    (error: Error) =>
      error instanceof NatsConnectError &&
      /^--nats-tls-ca: cannot read \/nowhere\/ca\.pem: ENOENT/.test(error.message),
  );
});

test("a TLS refusal is the server's alert, read from OpenSSL's error; the client's own errors are not one", () => {
  const error = (message: string, code?: string) => Object.assign(new Error(message), { code });
  assert.equal(
    serverAlert(
      error(
        "80DC63572A7F0000:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 42\n",
        "ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE",
      ),
    ),
    "its TLS alert: bad certificate",
  );
  assert.equal(
    serverAlert(error("error:0A00045C:SSL routines::tlsv13 alert certificate required")),
    "its TLS alert: certificate required",
  );
  assert.equal(
    serverAlert(
      error(
        "Hostname/IP does not match certificate's altnames: IP: 10.0.0.1 is not in the cert's list: 127.0.0.1",
        "ERR_TLS_CERT_ALTNAME_INVALID",
      ),
    ),
    undefined,
  );
  assert.equal(
    serverAlert(error("unable to verify the first certificate", "UNABLE_TO_VERIFY_LEAF_SIGNATURE")),
    undefined,
  );
  assert.equal(serverAlert(error("socket hang up", "ECONNRESET")), undefined);
});
