/**
 * Real nats-server processes for the tests: one node, or a 3-node JetStream cluster on loopback,
 * each in its own temp directory, stopped when the test ends. CI installs Debian's nats-server
 * (.ci/run); without it the tests that need one skip with a message.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type ConnectionOptions, connect, type NatsConnection } from "@nats-io/transport-node";

const NATS_SERVER = process.env.NATS_SERVER ?? "nats-server";

export const natsServerMissing: string | false =
  spawnSync(NATS_SERVER, ["--version"], { encoding: "utf8" }).status === 0
    ? false
    : "nats-server not found (apt-get install nats-server, or set NATS_SERVER): NATS tests skipped";

export interface NatsNode {
  name: string;
  url: string;
  monitorUrl: string;
  process: ChildProcess | undefined;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  /** Start it again on the same ports and store. */
  start(): Promise<void>;
}

export interface NatsCluster {
  nodes: NatsNode[];
  urls: string[];
  stop(): Promise<void>;
}

/** `size` 1 is a single JetStream server; 3 is a cluster whose streams can use 3 replicas. */
export async function startNats(
  t: TestContext,
  size: 1 | 3 = 1,
  extraConfig: string[] = [],
  client: Partial<ConnectionOptions> = {},
): Promise<NatsCluster> {
  const cluster = await launchNats(size, extraConfig, client);
  t.after(() => cluster.stop());
  return cluster;
}

/** `startNats` and a client connected to it, both closed when the test ends. */
export async function startNatsConnected(
  t: TestContext,
  size: 1 | 3 = 1,
  extraConfig: string[] = [],
): Promise<{ cluster: NatsCluster; nc: NatsConnection }> {
  const cluster = await startNats(t, size, extraConfig);
  const nc = await connect({ servers: cluster.urls });
  t.after(() => nc.close());
  return { cluster, nc };
}

/** As `startNats`, for callers outside a test (the benchmarks): they must `stop()` it themselves. */
/**
 * `client`: how a client must connect (TLS), for the readiness check. Ports are found free
 * and then given to nats-server, so a concurrent test can take one in between: a node that
 * exits at start is tried again on fresh ports.
 */
export async function launchNats(
  size: 1 | 3 = 1,
  extraConfig: string[] = [],
  client: Partial<ConnectionOptions> = {},
): Promise<NatsCluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchOnce(size, extraConfig, client);
    } catch (error) {
      if (attempt >= 3 || !(error instanceof NodeExited)) throw error;
    }
  }
}

class NodeExited extends Error {}

async function launchOnce(
  size: 1 | 3,
  extraConfig: string[],
  client: Partial<ConnectionOptions>,
): Promise<NatsCluster> {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-nats-"));
  const ports = await freePorts(size * 3);
  const routes = Array.from({ length: size }, (_, i) => `nats-route://127.0.0.1:${ports[i * 3 + 1]}`);
  const nodes = Array.from({ length: size }, (_, i) => {
    const [client, route, monitor] = ports.slice(i * 3, i * 3 + 3);
    const name = `n${i + 1}`;
    const config = join(dir, `${name}.conf`);
    writeFileSync(
      config,
      [
        `server_name: ${name}`,
        `listen: 127.0.0.1:${client}`,
        `http: 127.0.0.1:${monitor}`,
        `jetstream { store_dir: "${join(dir, name)}", max_memory_store: 256MB, max_file_store: 2GB }`,
        ...extraConfig,
        size > 1
          ? `cluster { name: eqlite, listen: 127.0.0.1:${route}, routes: [${routes.join(", ")}] }`
          : "",
      ].join("\n"),
    );
    return natsNode(name, config, `nats://127.0.0.1:${client}`, `http://127.0.0.1:${monitor}`);
  });
  const cluster: NatsCluster = {
    nodes,
    urls: nodes.map((n) => n.url),
    async stop() {
      await Promise.all(nodes.map((n) => n.kill()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(nodes.map((n) => n.start()));
    await untilJetStreamReady(cluster.urls, client);
    if (size > 1) await untilLeaderKnown(nodes);
  } catch (error) {
    // the client port is bound after the monitor's: a node can answer /varz, then fail to listen
    const exited = nodes.find((n) => n.process?.exitCode != null);
    await cluster.stop();
    throw exited ? new NodeExited(`nats-server ${exited.name} exited at start: ${error}`) : error;
  }
  return cluster;
}

function natsNode(name: string, config: string, url: string, monitorUrl: string): NatsNode {
  const node: NatsNode = {
    name,
    url,
    monitorUrl,
    process: undefined,
    async kill() {
      const child = node.process;
      node.process = undefined;
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    },
    async start() {
      const child = spawn(NATS_SERVER, ["-c", config], { stdio: ["ignore", "ignore", "pipe"] });
      let log = "";
      child.stderr?.on("data", (chunk: Buffer) => {
        log = (log + chunk.toString()).slice(-4000);
      });
      node.process = child;
      const clientPort = Number(new URL(url).port);
      for (let attempt = 0; attempt < 100; attempt++) {
        if (child.exitCode !== null) throw new NodeExited(`nats-server ${name} exited: ${log}`);
        // this server's monitor, not whatever else took the port: it names the client port
        const varz = await fetch(`${monitorUrl}/varz`)
          .then((r) => (r.ok ? (r.json() as Promise<{ port?: number }>) : undefined))
          .catch(() => undefined);
        if (varz?.port === clientPort) return;
        await sleep(100);
      }
      throw new Error(`nats-server ${name} did not answer on ${monitorUrl}: ${log}`);
    },
  };
  return node;
}

/** A cluster takes a moment to elect its meta leader; JetStream calls fail until it has one. */
async function untilJetStreamReady(urls: string[], client: Partial<ConnectionOptions>): Promise<void> {
  // nats-server starts its monitor before it listens for clients (JetStream starts in between):
  // the first connection is tried again until the client port answers
  const nc = await connect({
    ...client,
    servers: urls,
    waitOnFirstConnect: true,
    reconnectTimeWait: 100,
    maxReconnectAttempts: 100,
  });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        const reply = await nc.request("$JS.API.INFO", undefined, { timeout: 1000 });
        const info = reply.json<{ error?: unknown }>();
        if (!info.error) return;
      } catch (error) {
        if (attempt >= 60) throw error;
      }
      await sleep(250);
    }
  } finally {
    await nc.close();
  }
}

/**
 * A cluster's JetStream calls go to its meta leader through whichever node a client is on: a
 * client of a node that does not know the leader yet (or an election still going on) waits
 * out its request timeout. Ready when every node is healthy and names the same leader, twice
 * in a row.
 */
async function untilLeaderKnown(nodes: NatsNode[]): Promise<void> {
  const leaderOf = async (node: NatsNode): Promise<string | undefined> => {
    try {
      const health = await fetch(`${node.monitorUrl}/healthz`);
      if (!health.ok) return undefined;
      const jsz = (await (await fetch(`${node.monitorUrl}/jsz`)).json()) as {
        meta_cluster?: { leader?: string };
      };
      return jsz.meta_cluster?.leader || undefined;
    } catch {
      return undefined;
    }
  };
  let agreed = 0;
  for (let attempt = 0; attempt < 120; attempt++) {
    const leaders = await Promise.all(nodes.map(leaderOf));
    const same = leaders[0] !== undefined && leaders.every((l) => l === leaders[0]);
    agreed = same ? agreed + 1 : 0;
    if (agreed === 2) return;
    await sleep(250);
  }
  throw new Error("the NATS cluster's nodes did not agree on a JetStream meta leader within 30 s");
}

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve) => {
          const server = createServer();
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}
