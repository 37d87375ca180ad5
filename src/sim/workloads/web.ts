/**
 * Web servers and application servers serving requests: mostly file activity (static files, upload
 * temp files, templates), occasionally a process (Node's child_process.exec running an image tool
 * through `/bin/sh -c`). Long-lived processes are never ended here: scenes overlap in time, and
 * one must not end a process another still uses.
 */
import { podsWithRole } from "../cluster.ts";
import type { SimProcess } from "../process.ts";
import type { Scene } from "../scene.ts";
import type { Workload } from "../workload.ts";

const STATIC = [
  "index.html",
  "assets/app.3f9c1b7e.js",
  "assets/app.8e21d0a4.css",
  "img/logo.svg",
  "favicon.ico",
];
const TEMPLATES = ["base.html", "catalog/list.html", "catalog/product.html", "cart/summary.html"];

function worker(scene: Scene, main: SimProcess, workers: SimProcess[]): SimProcess {
  return workers.length ? scene.rng.pick(workers) : main;
}

export const webWorkload: Workload = {
  kind: "web",
  description: "nginx, Node, gunicorn and Java servers handling requests (static files, uploads, templates)",
  share: 0.2,
  nominalEvents: 6,
  play(scene, cluster) {
    const rng = scene.rng;
    const pods = podsWithRole(cluster, "web");
    if (!pods.length) return;
    const pod = rng.pick(pods);
    const container = pod.app;
    const main = container.main;
    if (!main) return;
    const requests = rng.between(2, 6);
    switch (pod.spec.app) {
      case "frontend":
        for (let i = 0; i < requests; i++) {
          const w = worker(scene, main, container.workers);
          scene.file(w, "open", `/usr/share/nginx/html/${rng.pick(STATIC)}`);
          if (rng.chance(0.2)) {
            const temp = `/var/cache/nginx/proxy_temp/${rng.int(10)}/${rng.between(10, 99)}/00000${rng.between(10000, 99999)}`;
            scene.file(w, "creation", temp);
            scene.think(40);
            scene.file(w, "deletion", temp);
          }
          scene.think(120);
        }
        break;
      case "shop-api":
        for (let i = 0; i < requests; i++) {
          const upload = `/tmp/upload_${rng.hex(16)}`;
          scene.file(main, "creation", upload);
          scene.file(main, "modification", upload);
          if (rng.chance(0.02)) {
            // child_process.exec() goes through /bin/sh -c
            const sh = scene.spawn(main, ["/bin/sh", "-c", `gm identify -format %wx%h ${upload}`]);
            scene.run(sh, ["gm", "identify", "-format", "%wx%h", upload], { ms: rng.between(15, 80) });
            scene.end(sh, 0);
          }
          scene.think(60);
          scene.file(main, "deletion", upload);
        }
        break;
      case "storefront":
        for (let i = 0; i < requests; i++) {
          scene.file(
            worker(scene, main, container.workers),
            "open",
            `/app/storefront/templates/${rng.pick(TEMPLATES)}`,
          );
          scene.think(150);
        }
        break;
      default:
        for (let i = 0; i < requests; i++) {
          const upload = `/tmp/tomcat.8080.${rng.between(1000000, 9999999)}/work/Tomcat/localhost/ROOT/upload_${rng.hex(8)}_00000001.tmp`;
          scene.file(main, "creation", upload);
          scene.think(80);
          scene.file(main, "deletion", upload);
        }
        if (rng.chance(0.3)) scene.file(main, "open", "/app/config/application.yaml");
    }
  },
};
