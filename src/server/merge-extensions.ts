import type { ServeExtensions } from "./service.ts";

/**
 * Several extensions as one: an ingest node of a NATS deployment has the NATS role (handoff,
 * alerts feed) and, with a data directory, the alert store and webhooks. Sinks and plugins are
 * joined; hooks run in the order given (closing in reverse, so the last opened closes first).
 * Only one extension may take accepted events (accept, handoff) or replay.
 */
export function mergeExtensions(...all: Array<ServeExtensions | undefined>): ServeExtensions {
  const parts = all.filter((x): x is ServeExtensions => x !== undefined);
  if (parts.length === 1) return parts[0];
  const one = <K extends keyof ServeExtensions>(key: K): ServeExtensions[K] => {
    const having = parts.filter((p) => p[key] !== undefined);
    if (having.length > 1) throw new Error(`more than one serve extension sets ${key}`);
    return having[0]?.[key];
  };
  const merged: ServeExtensions = {
    accept: one("accept"),
    handoff: one("handoff"),
    replay: one("replay"),
    sinks: parts.flatMap((p) => p.sinks ?? []),
    plugins: parts.flatMap((p) => p.plugins ?? []),
    onProcessed: async (batch) => {
      for (const p of parts) await p.onProcessed?.(batch);
    },
    attach: (running) => {
      for (const p of parts) p.attach?.(running);
    },
    metrics: (out) => {
      for (const p of parts) p.metrics?.(out);
    },
    readiness: () => {
      const answers = parts.flatMap((p) => (p.readiness ? [p.readiness()] : []));
      const detail = Object.assign({}, ...answers.map((a) => a.detail ?? {}));
      const notReady = answers.find((a) => !a.ready);
      return notReady ? { ...notReady, detail } : { ready: true, detail };
    },
    stopping: async () => {
      for (const p of parts) await p.stopping?.();
    },
    close: async () => {
      for (const p of [...parts].reverse()) await p.close?.();
    },
  };
  return merged;
}
