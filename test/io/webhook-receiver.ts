import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import pino from "pino";
import type { AlertDocument } from "../../src/engine/alert.ts";
import { idOf } from "../server/alerts.ts";

export interface Received {
  ids: string[];
  key: string;
  authorization: string | undefined;
}

export interface Answer {
  status: number;
  delayMs?: number;
  headers?: Record<string, string>;
}

/** A real HTTP receiver on loopback; `answer(n, request)` decides the reply to the n-th request (from 1). */
export async function receiver(t: TestContext, answer: (n: number, request: Received) => Answer) {
  const requests: Received[] = [];
  const stop = new AbortController();
  const server = createServer(async (req: IncomingMessage, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    requests.push({
      ids: (JSON.parse(body).alerts as AlertDocument[]).map(idOf),
      key: String(req.headers["idempotency-key"]),
      authorization: req.headers.authorization,
    });
    const reply = answer(requests.length, requests.at(-1)!);
    if (reply.delayMs) await sleep(reply.delayMs, undefined, { signal: stop.signal }).catch(() => {});
    if (!res.destroyed) res.writeHead(reply.status, reply.headers).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        stop.abort();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, requests };
}

export function capturingLogger(level = "warn") {
  const lines: Array<{ level: number; msg: string; [key: string]: unknown }> = [];
  const logger = pino({ level }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/** The dead letters of a file, parsed; none when it is not there. */
export async function deadLetters(path: string) {
  const text = await readFile(path, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}
