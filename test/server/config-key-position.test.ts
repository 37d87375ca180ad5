import assert from "node:assert/strict";
import { test } from "node:test";
import { configKeyPosition } from "../../src/server/config-key-position.ts";

test("a TOML key is found in its table, as a dotted key, or quoted; not inside another table", () => {
  const text = [
    "# eqlite serve", // 1
    'host = "0.0.0.0"', // 2
    'nats.stream = "events"', // 3
    "[nats]", // 4
    '  servers = ["n1:4222"]', // 5
    '"partitions" = 8', // 6
    "[tls]", // 7
    'servers = "not nats"', // 8
  ].join("\n");
  assert.deepEqual(configKeyPosition(text, "toml", ["host"]), { line: 2, column: 1 });
  assert.deepEqual(configKeyPosition(text, "toml", ["nats", "stream"]), { line: 3, column: 1 });
  assert.deepEqual(configKeyPosition(text, "toml", ["nats", "servers"]), { line: 5, column: 3 });
  assert.deepEqual(configKeyPosition(text, "toml", ["nats", "partitions"]), { line: 6, column: 1 });
  assert.equal(configKeyPosition(text, "toml", ["servers"]), undefined);
  assert.equal(configKeyPosition(text, "toml", ["port"]), undefined);
});

test("a JSON key is found after its parent, and a value that spells the key is not taken for it", () => {
  const text = '{\r\n  "host": "port",\r\n  "port": 1,\r\n  "nats": {"port": 2}\r\n}';
  assert.deepEqual(configKeyPosition(text, "json", ["port"]), { line: 3, column: 3 });
  assert.deepEqual(configKeyPosition(text, "json", ["nats", "port"]), { line: 4, column: 12 });
  assert.equal(configKeyPosition(text, "json", ["nats", "servers"]), undefined);
});
