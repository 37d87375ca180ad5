import assert from "node:assert/strict";
import { test } from "node:test";
import Fastify from "fastify";
import { decodeCursor, parseAlertQuery } from "../../src/server/alert-query-params.ts";
import { alertsApi } from "../../src/server/api-routes.ts";
import { AlertStore } from "../../src/server/store.ts";
import { eventAlert, idOf, sequenceAlerts } from "./alerts.ts";
import { appOnly } from "./serve-helpers.ts";

async function app(t: import("node:test").TestContext) {
  const store = AlertStore.open(":memory:");
  const alerts = [
    eventAlert({ host: "web-1", time: "2026-03-02T09:00:00Z", severity: "high", pid: 1 }),
    eventAlert({ host: "web-1", time: "2026-03-02T10:00:00Z", severity: "low", pid: 2 }),
    eventAlert({ host: "db-1", time: "2026-03-02T11:00:00Z", ruleId: "r2", ruleName: "Other Rule", pid: 3 }),
    ...sequenceAlerts("db-1"),
  ];
  store.insertAlerts(alerts);
  const server = Fastify();
  await server.register(alertsApi, { store });
  t.after(async () => {
    await server.close();
    store.close();
  });
  return { server, store, alerts };
}

test("GET /api/alerts filters and pages", async (t) => {
  const { server, alerts } = await app(t);
  const all = await server.inject({ method: "GET", url: "/api/alerts" });
  assert.equal(all.statusCode, 200);
  const body = all.json();
  assert.equal(body.total, 6);
  assert.equal(body.alerts.length, 6);
  assert.equal(body.next_search_after, null);

  const web = (
    await server.inject({
      url: "/api/alerts?host=web-1&since=2026-03-02T09:30:00Z&until=2026-03-02T12:00:00Z",
    })
  ).json();
  assert.deepEqual(web.alerts.map(idOf), [idOf(alerts[1])]);

  const bySeverity = (await server.inject({ url: "/api/alerts?severity=HIGH&severity=low" })).json();
  assert.equal(bySeverity.total, 2);
  const byRule = (
    await server.inject({ url: `/api/alerts?rule=${encodeURIComponent("Other Rule")}` })
  ).json();
  assert.deepEqual(byRule.alerts.map(idOf), [idOf(alerts[2])]);
  const noBlocks = (await server.inject({ url: "/api/alerts?building_blocks=exclude&status=open" })).json();
  assert.equal(noBlocks.total, 4);

  // Paging with search_after until the end visits each alert once.
  const seen: string[] = [];
  let url = "/api/alerts?size=4";
  for (;;) {
    const page = (await server.inject({ url })).json();
    seen.push(...page.alerts.map(idOf));
    if (!page.next_search_after) break;
    url = `/api/alerts?size=4&search_after=${encodeURIComponent(page.next_search_after)}`;
  }
  assert.deepEqual(seen, body.alerts.map(idOf));
  const offset = (await server.inject({ url: "/api/alerts?size=2&from=2" })).json();
  assert.deepEqual(offset.alerts.map(idOf), body.alerts.slice(2, 4).map(idOf));
});

test("GET /api/alerts answers 400 with a message that names the problem", async (t) => {
  const { server } = await app(t);
  const cases: Array<[string, RegExp]> = [
    ["size=0", /size must be a whole number from 1 to 500, not \[0\]/],
    ["size=501", /size must be a whole number from 1 to 500/],
    ["size=ten", /size must be a whole number/],
    ["from=9990&size=20", /from \+ size must be at most 10000; page further with search_after/],
    ["severity=urgent", /severity \[urgent\] is not one of low, medium, high, critical/],
    [
      "status=acknowleged",
      /status \[acknowleged\] is not one of open, acknowledged, closed, did you mean \[acknowledged\]\?/,
    ],
    ["since=yesterday", /since \[yesterday\] is not a date; use ISO 8601/],
    ["since=2026-03-02T12:00:00Z&until=2026-03-02T11:00:00Z", /since .* must be before until/],
    ["sise=10", /unknown query parameter \[sise\], did you mean any of \[size, since\]\?/],
    ["colour=red", /unknown query parameter \[colour\]; expected one of rule, severity, host/],
    ["host=a&host=b", /host may be given once, it was given 2 times/],
    ["search_after=garbage", /search_after must be the next_search_after of a previous page/],
    ["from=5&search_after=1:abc", /from and search_after cannot be used together/],
    ["building_blocks=maybe", /building_blocks must be one of include, exclude, only/],
  ];
  for (const [query, message] of cases) {
    const response = await server.inject({ url: `/api/alerts?${query}` });
    assert.equal(response.statusCode, 400, query);
    const body = response.json();
    assert.equal(body.error, "Bad Request");
    assert.match(body.message, message, query);
  }
});

test("GET and PATCH /api/alerts/:id", async (t) => {
  const { server, alerts } = await app(t);
  const id = idOf(alerts[0]);
  const got = await server.inject({ url: `/api/alerts/${id}` });
  assert.equal(got.statusCode, 200);
  assert.equal(got.json()["kibana.alert.uuid"], id);
  assert.equal(got.json()["kibana.alert.workflow_status"], "open");

  const patched = await server.inject({
    method: "PATCH",
    url: `/api/alerts/${id}`,
    payload: { status: "acknowledged" },
  });
  assert.equal(patched.statusCode, 200);
  assert.equal(patched.json()["kibana.alert.workflow_status"], "acknowledged");
  assert.ok(patched.json()["kibana.alert.workflow_status_updated_at"]);
  const listed = (await server.inject({ url: "/api/alerts?status=acknowledged" })).json();
  assert.deepEqual(listed.alerts.map(idOf), [id]);

  const missing = await server.inject({ url: "/api/alerts/nope" });
  assert.equal(missing.statusCode, 404);
  assert.match(missing.json().message, /no alert with id \[nope\]/);
  const patchMissing = await server.inject({
    method: "PATCH",
    url: "/api/alerts/nope",
    payload: { status: "closed" },
  });
  assert.equal(patchMissing.statusCode, 404);

  const bad: Array<[unknown, RegExp]> = [
    [{ status: "done" }, /status "done" is not one of open, acknowledged, closed/],
    [{}, /the body has no status/],
    [{ status: "closed", note: "x" }, /unknown field\(s\) \[note\]/],
    [["closed"], /the body must be a JSON object/],
  ];
  for (const [payload, message] of bad) {
    const response = await server.inject({
      method: "PATCH",
      url: `/api/alerts/${id}`,
      payload: payload as object,
    });
    assert.equal(response.statusCode, 400, JSON.stringify(payload));
    assert.match(response.json().message, message);
  }
  const notJson = await server.inject({
    method: "PATCH",
    url: `/api/alerts/${id}`,
    headers: { "content-type": "application/json" },
    payload: "{status",
  });
  assert.equal(notJson.statusCode, 400);
  assert.equal(
    (await server.inject({ url: `/api/alerts/${id}` })).json()["kibana.alert.workflow_status"],
    "acknowledged",
  );
});

test("GET /api/rules lists each rule's counters and stored alerts", async (t) => {
  const { server, store } = await app(t);
  store.addRuleCounters([
    {
      rule_id: "r2",
      name: "Other Rule",
      severity: "medium",
      matches: 4,
      alerts: 1,
      overLimit: 0,
      alertErrors: 1,
      excepted: 2,
      filtered: 0,
      duplicates: 0,
      suppressed: 0,
      errors: 0,
      disabled: false,
    },
  ]);
  const response = await server.inject({ url: "/api/rules" });
  assert.equal(response.statusCode, 200);
  const rules = response.json().rules as Array<Record<string, unknown>>;
  assert.deepEqual(
    rules.map((r) => r.rule_id),
    ["0b6f3c1e-5d2a-4e8b-9a7c-1f2e3d4c5b6a", "r2", "seq-rule"],
  );
  const other = rules.find((r) => r.rule_id === "r2")!;
  assert.equal(other.matches, 4);
  assert.equal(other.excepted, 2);
  assert.equal(other.alert_errors, 1);
  assert.deepEqual(other.stored, { total: 1, open: 1, acknowledged: 0, closed: 0 });
});

test("query parameters as a pure function: lists, dates in epoch milliseconds, cursors", () => {
  assert.deepEqual(parseAlertQuery({ severity: "high, critical,high", since: "1772442000000", size: "10" }), {
    severity: ["high", "critical"],
    since: 1772442000000,
    size: 10,
  });
  assert.deepEqual(decodeCursor("-5:abc:def"), { time: -5, id: "abc:def" });
});

test("another method on an alerts API path is a 405 naming the allowed ones, not the Elasticsearch catch-all's acknowledgement", async (t) => {
  const store = AlertStore.open(":memory:");
  const [alert] = sequenceAlerts("db-1");
  store.insertAlerts([alert]);
  const { app } = appOnly({ plugins: [{ plugin: alertsApi, options: { store } }] });
  t.after(async () => {
    await app.close();
    store.close();
  });
  const id = idOf(alert);
  const calls: Array<[string, string, string]> = [
    ["DELETE", `/api/alerts/${id}`, "GET, PATCH"],
    ["PUT", `/api/alerts/${id}`, "GET, PATCH"],
    ["POST", "/api/alerts", "GET"],
    ["DELETE", "/api/rules", "GET"],
  ];
  for (const [method, url, allow] of calls) {
    const r = await app.inject({ method: method as "PUT", url, payload: { status: "closed" } });
    assert.equal(r.statusCode, 405, `${method} ${url}`);
    assert.equal(r.headers.allow, allow);
    assert.equal(r.json().error, "Method Not Allowed");
    assert.match(r.json().message, new RegExp(`method \\[${method}\\], allowed: \\[${allow}\\]`));
  }
  assert.equal(store.getAlert(id)?.["kibana.alert.workflow_status"], "open");
});

test("since and until take now and date math, as the README's example does", async (t) => {
  const now = Date.parse("2026-03-02T12:34:56Z");
  assert.deepEqual(parseAlertQuery({ since: "now-1h", until: "now" }, now), {
    since: now - 3_600_000,
    until: now,
  });
  assert.equal(parseAlertQuery({ since: "now/d" }, now).since, Date.parse("2026-03-02T00:00:00Z"));
  assert.throws(() => parseAlertQuery({ until: "now-1x" }, now), /until \[now-1x\] is not a date/);
  const { server, alerts } = await app(t);
  const all = (
    await server.inject({ url: "/api/alerts?rule=r2&since=2026-03-02T10:00:00Z&until=now" })
  ).json();
  assert.deepEqual(all.alerts.map(idOf), [idOf(alerts[2])]);
});

test("an alert read with curl cannot drive the terminal: what JSON leaves raw is escaped, the data is the same", async (t) => {
  const store = AlertStore.open(":memory:");
  const alert = eventAlert({ host: "web-1\u009b2J\u202eevil" });
  store.insertAlerts([alert]);
  const { app } = appOnly({ plugins: [{ plugin: alertsApi, options: { store } }] });
  t.after(async () => {
    await app.close();
    store.close();
  });
  for (const url of [`/api/alerts/${idOf(alert)}`, "/api/alerts"]) {
    const r = await app.inject({ url });
    assert.equal(r.statusCode, 200);
    assert.doesNotMatch(r.payload, /[\u007f-\u009f\u202a-\u202e]/, url);
    assert.match(r.payload, /web-1\\u009b2J\\u202eevil/, url);
  }
  assert.deepEqual(
    (await app.inject({ url: `/api/alerts/${idOf(alert)}` })).json(),
    store.getAlert(idOf(alert)),
  );
});
