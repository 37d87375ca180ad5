import { createHash } from "node:crypto";
import type { WebhookTarget } from "../io/sinks/webhook.ts";
import type { ServeConfig } from "./config.ts";

export function webhookTargets(config: Pick<ServeConfig, "webhooks" | "webhookHeaders">): WebhookTarget[] {
  return config.webhooks.map((url) => ({
    url,
    name: webhookName(url, config.webhooks),
    headers: { ...config.webhookHeaders.all, ...config.webhookHeaders.byUrl[url] },
  }));
}

/**
 * A webhook's sink name keys its delivery records and its dead letters, so it must stay the
 * same across restarts, and it shows in logs and metrics, so it must not carry the URL's path
 * or query (chat webhooks hold their token there): the host, and a hash of the URL when two
 * webhooks share a host.
 */
function webhookName(url: string, all: readonly string[]): string {
  const host = new URL(url).host;
  const shared = all.filter((u) => new URL(u).host === host).length > 1;
  if (!shared) return `webhook:${host}`;
  return `webhook:${host}#${createHash("sha256").update(url).digest("hex").slice(0, 8)}`;
}
