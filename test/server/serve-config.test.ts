import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { isLoopback } from "../../src/server/auth.ts";
import { ConfigError, resolveConfig } from "../../src/server/config.ts";
import { tempDir } from "./serve-helpers.ts";

test("settings: defaults, then the file (TOML or JSON), then EQLITE_* variables, then flags", (t) => {
  const dir = tempDir("eqlite-config-");
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const defaults = resolveConfig({ defaultRules: ["rules"] });
  assert.equal(defaults.host, "127.0.0.1");
  assert.equal(defaults.port, 9200);
  assert.deepEqual(defaults.rules, ["rules"]);
  assert.equal(defaults.defaultIndex, "logs-eqlite-default");
  assert.equal(defaults.setIngested, true);

  const toml = join(dir, "serve.toml");
  writeFileSync(
    toml,
    `host = "0.0.0.0"
port = 9201
rules = ["/etc/eqlite/rules"]
api_keys = ["ingest:s3cr3t"]
queue_events = 5000
set_ingested = false
`,
  );
  const fromFile = resolveConfig({ file: toml });
  assert.equal(fromFile.host, "0.0.0.0");
  assert.equal(fromFile.port, 9201);
  assert.deepEqual(fromFile.rules, ["/etc/eqlite/rules"]);
  assert.deepEqual(fromFile.auth.apiKeys, ["ingest:s3cr3t"]);
  assert.equal(fromFile.queueEvents, 5000);
  assert.equal(fromFile.setIngested, false);

  const env = { EQLITE_CONFIG: toml, EQLITE_PORT: "9300", EQLITE_TOKENS: "a, b", EQLITE_SET_INGESTED: "yes" };
  const fromEnv = resolveConfig({ env });
  assert.equal(fromEnv.port, 9300);
  assert.deepEqual(fromEnv.auth.tokens, ["a", "b"]);
  assert.equal(fromEnv.setIngested, true);

  const fromFlags = resolveConfig({ env, flags: { port: "9400", rules: ["x", "y"], setIngested: false } });
  assert.equal(fromFlags.port, 9400);
  assert.deepEqual(fromFlags.rules, ["x", "y"]);
  assert.equal(fromFlags.setIngested, false);

  const json = join(dir, "serve.json");
  writeFileSync(json, JSON.stringify({ port: 1234, tls_cert: "c.pem", tls_key: "k.pem" }));
  assert.deepEqual(resolveConfig({ file: json }).tls, { cert: "c.pem", key: "k.pem" });
});

test("settings problems name where they come from", (t) => {
  const dir = tempDir("eqlite-config-");
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const problem = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.message;
    }
    assert.fail("no error");
  };
  assert.match(
    problem(() => resolveConfig({ env: { EQLITE_PORT: "http" } })),
    /^EQLITE_PORT: "http" is not a whole number/,
  );
  assert.match(
    problem(() => resolveConfig({ flags: { port: "-1" } })),
    /^--port: /,
  );
  const json = join(dir, "bad.json");
  writeFileSync(json, '{\n  "port": 9200,\n  "host": \n}');
  assert.match(
    problem(() => resolveConfig({ file: json })),
    /bad\.json:4:1: invalid JSON/,
  );
  const typed = join(dir, "typed.toml");
  writeFileSync(typed, '# the service\nhost = "127.0.0.1"\n  port = "9200"\n');
  assert.match(
    problem(() => resolveConfig({ file: typed })),
    /typed\.toml:3:3: port: expected a whole number/,
  );
  const nested = join(dir, "nested.json");
  writeFileSync(nested, '{\n  "port": 1,\n  "nats": { "partitions": 4, "servers": 7 }\n}');
  assert.match(
    problem(() => resolveConfig({ file: nested })),
    /nested\.json:3:30: nats_servers: expected a list/,
  );
  assert.match(
    problem(() => resolveConfig({ flags: { tlsCert: "c.pem" } })),
    /TLS needs both/,
  );
  assert.match(
    problem(() => resolveConfig({ flags: { logLevel: "loud" } })),
    /log_level "loud"/,
  );
});

test("space_id and kibana_url: the file, EQLITE_SPACE_ID and EQLITE_KIBANA_URL, --space and --kibana-url; checked", (t) => {
  const dir = tempDir("eqlite-config-");
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.deepEqual(resolveConfig({}).kibana, {});
  const toml = join(dir, "serve.toml");
  writeFileSync(toml, 'space_id = "soc"\nkibana_url = "https://kibana.example.com/"\n');
  assert.deepEqual(resolveConfig({ file: toml }).kibana, {
    spaceId: "soc",
    kibanaUrl: "https://kibana.example.com",
  });
  const env = { EQLITE_CONFIG: toml, EQLITE_SPACE_ID: "soc-eu", EQLITE_KIBANA_URL: "http://10.0.0.5:5601" };
  assert.deepEqual(resolveConfig({ env }).kibana, { spaceId: "soc-eu", kibanaUrl: "http://10.0.0.5:5601" });
  assert.deepEqual(resolveConfig({ env, flags: { space: "blue" } }).kibana, {
    spaceId: "blue",
    kibanaUrl: "http://10.0.0.5:5601",
  });
  assert.throws(() => resolveConfig({ flags: { space: "Blue Team" } }), {
    name: "ConfigError",
    message: /^space_id: space id "Blue Team" may hold only lowercase letters/,
  });
  assert.throws(() => resolveConfig({ env: { EQLITE_KIBANA_URL: "https://kibana.example.com/?x=1" } }), {
    name: "ConfigError",
    message: /^kibana_url: the Kibana URL must not have a query or a fragment/,
  });
});

test("loopback addresses", () => {
  for (const h of ["127.0.0.1", "127.8.9.10", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"])
    assert.ok(isLoopback(h), h);
  for (const h of ["0.0.0.0", "::", "10.0.0.1", "eqlite.example", "128.0.0.1"]) assert.ok(!isLoopback(h), h);
});

test("NATS settings: a [nats] table, EQLITE_NATS and --nats; none of them without servers", (t) => {
  const dir = tempDir("eqlite-config-");
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(resolveConfig({}).nats, undefined);
  const toml = join(dir, "ingest.toml");
  writeFileSync(
    toml,
    `port = 9200
[nats]
servers = ["nats://n1:4222", "nats://n2:4222,nats://n3:4222"]
partitions = 32
replicas = 3
events_max_bytes = 10737418240
alerts = false
tls_ca = "/etc/eqlite/nats-ca.pem"
tls_cert = "/etc/eqlite/ingest.pem"
`,
  );
  const fromFile = resolveConfig({ file: toml }).nats!;
  assert.deepEqual(fromFile.servers, ["nats://n1:4222", "nats://n2:4222", "nats://n3:4222"]);
  assert.equal(fromFile.partitions, 32);
  assert.equal(fromFile.replicas, 3);
  assert.equal(fromFile.eventsMaxBytes, 10737418240);
  assert.equal(fromFile.alerts, false);
  assert.match(fromFile.alertsConsumer, /^sink-[A-Za-z0-9_-]+$/);
  assert.equal(fromFile.publishWindow, 2048);
  assert.equal(fromFile.tlsCa, "/etc/eqlite/nats-ca.pem");
  assert.equal(fromFile.tlsCert, "/etc/eqlite/ingest.pem");
  assert.equal(fromFile.tlsKey, undefined);

  const fromEnv = resolveConfig({
    env: { EQLITE_NATS: "a:4222, b:4222", EQLITE_NATS_PUBLISH_WINDOW: "64", EQLITE_NATS_TLS_KEY: "/k.pem" },
  }).nats!;
  assert.equal(fromEnv.tlsKey, "/k.pem");
  assert.deepEqual(fromEnv.servers, ["a:4222", "b:4222"]);
  assert.equal(fromEnv.publishWindow, 64);
  assert.equal(fromEnv.partitions, 64);
  const fromFlags = resolveConfig({
    file: toml,
    flags: { nats: ["x:4222"], natsAlerts: true, natsAlertsConsumer: "sink-eu", natsTlsCa: "/ca.pem" },
  }).nats!;
  assert.equal(fromFlags.tlsCa, "/ca.pem");
  assert.deepEqual(fromFlags.servers, ["x:4222"]);
  assert.equal(fromFlags.alerts, true);
  assert.equal(fromFlags.alertsConsumer, "sink-eu");

  const problem = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.message;
    }
    assert.fail("no error");
  };
  const typo = join(dir, "typo.toml");
  writeFileSync(typo, `[nats]\nservers = "n1:4222"\npartition = 8\n`);
  assert.match(
    problem(() => resolveConfig({ file: typo })),
    /typo\.toml:3:1: unknown setting "nats\.partition".*partitions/,
  );
  assert.match(
    problem(() => resolveConfig({ env: { EQLITE_NATS_PARTITIONS: "8" } })),
    /^nats_partitions needs NATS servers \(--nats URL/,
  );
  assert.match(
    problem(() => resolveConfig({ flags: { nats: ["n1"], natsAlertsConsumer: "sink.eu" } })),
    /nats_alerts_consumer "sink\.eu" may hold only letters, digits, - and _/,
  );
  assert.match(
    problem(() => resolveConfig({ flags: { nats: ["n1"], natsPartitions: "0" } })),
    /nats_partitions must be from 1 to 4096/,
  );
});
