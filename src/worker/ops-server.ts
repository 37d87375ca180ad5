import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PROMETHEUS_CONTENT_TYPE } from "../server/prometheus.ts";

/** What the ops endpoints read of a running worker. */
export interface Observed {
  metrics(): string;
  /** why the worker is not serving, or undefined when it is */
  unhealthy(): string | undefined;
}

export interface OpsServer {
  /** `http://host:port`, with the port the system chose for port 0 */
  url: string;
  close(): Promise<void>;
}

/**
 * A worker's HTTP endpoints for its operators: `GET /metrics` (Prometheus) and `GET /healthz`
 * (200 `ok`, or 503 with the reason). Nothing else is served, and nothing is read from the
 * requests: the endpoints take no input.
 */
export async function startOpsServer(host: string, port: number, worker: Observed): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("method not allowed\n");
      return;
    }
    if (path === "/metrics") {
      res.writeHead(200, { "content-type": PROMETHEUS_CONTENT_TYPE }).end(worker.metrics());
      return;
    }
    if (path === "/healthz") {
      const problem = worker.unhealthy();
      res
        .writeHead(problem ? 503 : 200, { "content-type": "text/plain" })
        .end(problem ? `${problem}\n` : "ok\n");
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found: /metrics and /healthz are served\n");
  });
  // a scrape is small and quick: a stalled client must not hold a socket
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
