import { createHash } from "node:crypto";
import { hostname } from "node:os";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { esError } from "./es-error.ts";
import { UNHANDLED } from "./unhandled-requests.ts";
import { unknownGetAnswer } from "./unknown-gets.ts";

/**
 * The Elasticsearch API that shippers call besides `_bulk`: the product checks
 * (`GET /`, `HEAD /`, `_license`), health checks, sniffing, and the setup calls made
 * before sending — index and component templates, ILM policies, data streams, ingest
 * pipelines, index and alias creation — acknowledged without effect, so no setup step
 * blocks a pipeline. Anything else: `HEAD` says "exists"; `GET` is answered as Elasticsearch
 * answers a path it has no such index or handler for (unknownGetAnswer); searches are 405
 * (eqlite is not a search store, and says so); any other write
 * is a 400 "no handler found", as Elasticsearch answers it — never an acknowledgement,
 * because a write to an unknown path (a shipper's path prefix eqlite was not told of, a
 * document POSTed to `/{index}/{type}`) carries events that would otherwise be gone
 * without anyone knowing. These answers are logged once a minute per path by the app.
 */
export interface EsSurfaceOptions {
  esVersion: string;
  /** the node name and the seed of the stable cluster uuid */
  name: string;
  /** what sniffing clients are told to connect to */
  publishAddress: () => string;
  maxBodyBytes: number;
}

const ACK = { acknowledged: true };
const SEARCH_APIS =
  /(^|\/)(_search|_msearch|_count|_mget|_eql|_sql|_query|_update|_update_by_query|_delete_by_query|_async_search|_pit|_scroll|_explain|_termvectors)(\/|$)/;
/** An index, alias or data stream name as a path segment: not an API (`_bulk`) nor one of eqlite's own paths. */
const NAME = "(?!_|api(?:/|$)|ingest(?:/|$))[^/]+";
/**
 * Setup calls besides the templates, policies, pipelines and data streams routed above,
 * acknowledged wherever they come: index creation (Logstash's and libbeat's rollover
 * alias `PUT /<logstash-{now/d}-000001>`, Fluentd's), aliases, mappings and settings,
 * rollover, cluster settings. None carries events.
 */
const SETUP_CALLS: ReadonlyArray<[methods: readonly string[], path: RegExp]> = [
  [["PUT"], new RegExp(`^/${NAME}$`)],
  [["PUT", "POST", "DELETE"], new RegExp(`^/${NAME}/_alias(es)?/[^/]+$`)],
  [["PUT"], /^\/_alias(es)?\/[^/]+$/],
  [["POST"], /^\/_aliases$/],
  [["PUT", "POST"], new RegExp(`^/${NAME}/_(mapping|mappings|settings)$`)],
  [["POST"], new RegExp(`^/${NAME}/_rollover(/[^/]+)?$`)],
  [["PUT"], /^\/_cluster\/settings$/],
];

export async function esSurface(app: FastifyInstance, options: EsSurfaceOptions): Promise<void> {
  const info = infoBody(options.esVersion, options.name);
  const nodeId = info.cluster_uuid.slice(0, 22);

  app.get("/", async () => info);
  app.get("/_license", async () => licenseBody(info.cluster_uuid));
  app.get("/_xpack", async () => ({
    build: { hash: "eqlite", date: info.version.build_date },
    license: { uid: info.cluster_uuid, type: "basic", mode: "basic", status: "active" },
    features: {},
  }));
  app.get("/_cluster/health", async () => healthBody());
  app.get("/_cluster/health/*", async () => healthBody());
  app.get("/_cat/health", async (_request, reply) => {
    const now = new Date();
    const time = now.toISOString().slice(11, 19);
    reply.type("text/plain; charset=UTF-8");
    return `${Math.floor(now.getTime() / 1000)} ${time} eqlite green 1 1 0 0 0 0 0 0 - 100.0%\n`;
  });
  const nodes = async () => ({
    _nodes: { total: 1, successful: 1, failed: 0 },
    cluster_name: "eqlite",
    nodes: {
      [nodeId]: {
        name: info.name,
        version: options.esVersion,
        roles: ["data", "ingest", "master"],
        http: {
          publish_address: options.publishAddress(),
          max_content_length_in_bytes: options.maxBodyBytes,
        },
      },
    },
  });
  app.get("/_nodes", nodes);
  app.get("/_nodes/*", nodes);

  // setup calls: templates, ILM, data streams, ingest pipelines
  for (const kind of ["_index_template", "_template", "_component_template"] as const) {
    app.get(`/${kind}/:name`, async (request) =>
      templateBody(kind, (request.params as { name: string }).name),
    );
    app.route({ method: ["PUT", "POST", "DELETE"], url: `/${kind}/:name`, handler: async () => ACK });
  }
  app.get("/_ilm/policy", async () => ({}));
  app.get("/_ilm/policy/:name", async (request) => {
    const name = (request.params as { name: string }).name;
    return { [name]: { version: 1, modified_date: info.version.build_date, policy: { phases: {} } } };
  });
  app.route({ method: ["PUT", "DELETE"], url: "/_ilm/policy/:name", handler: async () => ACK });
  app.get("/_data_stream/:name", async (request) => ({
    data_streams: [dataStreamBody((request.params as { name: string }).name)],
  }));
  app.route({ method: ["PUT", "DELETE"], url: "/_data_stream/:name", handler: async () => ACK });
  app.route({ method: ["PUT", "DELETE"], url: "/_data_stream/:name/_lifecycle", handler: async () => ACK });
  app.get("/_ingest/pipeline/:id", async (request) => {
    const id = (request.params as { id: string }).id;
    return { [id]: { description: "accepted by eqlite; not run", processors: [] } };
  });
  app.route({ method: ["PUT", "DELETE"], url: "/_ingest/pipeline/:id", handler: async () => ACK });
  const refreshed = async () => ({ _shards: { total: 1, successful: 1, failed: 0 } });
  app.route({ method: ["GET", "POST"], url: "/_refresh", handler: refreshed });
  app.route({ method: ["GET", "POST"], url: "/:index/_refresh", handler: refreshed });
  app.post("/_monitoring/bulk", async () => ({ took: 0, ignored: false, errors: false }));
  // Logstash's central pipeline management: no pipelines are kept here
  const logstash = async () => ({});
  app.route({ method: ["GET", "PUT", "DELETE"], url: "/_logstash/pipeline", handler: logstash });
  app.route({ method: ["GET", "PUT", "DELETE"], url: "/_logstash/pipeline/:id", handler: logstash });

  app.all("/*", { config: UNHANDLED }, async (request: FastifyRequest, reply: FastifyReply) => {
    // the path within this surface: the same setup calls are known under --path-prefix
    const path = request.url.split("?")[0].slice(app.prefix.length) || "/";
    if (request.method === "HEAD") {
      reply.code(200).header("content-length", "0");
      return reply.send();
    }
    if (SEARCH_APIS.test(path)) {
      reply.code(405);
      return esError(
        405,
        "illegal_argument_exception",
        `eqlite runs detection rules over the events it is sent and keeps no searchable copy: ${request.method} ${path} is not available (send events with _bulk or _doc)`,
      );
    }
    if (request.method === "GET") {
      const answer = unknownGetAnswer(path, request.url);
      reply.code(answer.status);
      return answer.body;
    }
    if (SETUP_CALLS.some(([methods, pattern]) => methods.includes(request.method) && pattern.test(path)))
      return ACK;
    reply.code(400);
    return esError(
      400,
      "illegal_argument_exception",
      `no handler found for uri [${request.url}] and method [${request.method}]${hint(path)}`,
    );
  });
}

/** What a refused write was probably meant to be, for the shipper's log and the operator's. */
function hint(path: string): string {
  if (/\/(_bulk|_doc|_create)(\/|$)/.test(path))
    return "; a path prefix before the API? eqlite serves it at the root and under --path-prefix";
  return "; eqlite takes events at /_bulk, /{index}/_bulk, /{index}/_doc, /{index}/_create/{id} and /ingest";
}

/** `GET /`: the body every shipper's version and product checks read. */
export function infoBody(version: string, name: string) {
  const major = Number(version.split(".")[0]);
  return {
    name,
    cluster_name: "eqlite",
    cluster_uuid: createHash("sha256")
      .update(`eqlite:${hostname()}:${name}`)
      .digest("base64url")
      .slice(0, 22),
    version: {
      number: version,
      // never "serverless": that switches libbeat and Logstash into another mode
      build_flavor: "default",
      build_type: "docker",
      build_hash: "eqlite",
      build_date: "2026-01-01T00:00:00.000Z",
      build_snapshot: false,
      lucene_version: major >= 9 ? "10.2.2" : "9.12.2",
      minimum_wire_compatibility_version: major >= 9 ? "8.19.0" : "7.17.0",
      minimum_index_compatibility_version: major >= 9 ? "8.0.0" : "7.0.0",
    },
    tagline: "You Know, for Search",
  };
}

function licenseBody(uid: string) {
  return {
    license: {
      // Logstash marks a node dead unless the license is active
      status: "active",
      uid,
      type: "basic",
      issue_date: "2026-01-01T00:00:00.000Z",
      issue_date_in_millis: Date.parse("2026-01-01T00:00:00.000Z"),
      max_nodes: 1000,
      max_resource_units: null,
      issued_to: "eqlite",
      issuer: "elasticsearch",
      start_date_in_millis: -1,
    },
  };
}

function healthBody() {
  return {
    cluster_name: "eqlite",
    status: "green",
    timed_out: false,
    number_of_nodes: 1,
    number_of_data_nodes: 1,
    active_primary_shards: 0,
    active_shards: 0,
    relocating_shards: 0,
    initializing_shards: 0,
    unassigned_shards: 0,
    delayed_unassigned_shards: 0,
    number_of_pending_tasks: 0,
    number_of_in_flight_fetch: 0,
    task_max_waiting_in_queue_millis: 0,
    active_shards_percent_as_number: 100.0,
  };
}

function templateBody(kind: "_index_template" | "_template" | "_component_template", name: string) {
  if (kind === "_index_template")
    return { index_templates: [{ name, index_template: { index_patterns: ["*"], composed_of: [] } }] };
  if (kind === "_component_template")
    return { component_templates: [{ name, component_template: { template: {} } }] };
  return { [name]: { order: 0, index_patterns: ["*"], settings: {}, mappings: {}, aliases: {} } };
}

function dataStreamBody(name: string) {
  return {
    name,
    timestamp_field: { name: "@timestamp" },
    indices: [],
    generation: 1,
    status: "GREEN",
    template: "eqlite",
    hidden: false,
    system: false,
  };
}
