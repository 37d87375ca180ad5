/**
 * A legitimate debug pod: `kubectl run -it --rm debug --image=busybox -- sh`. Its entrypoint is an
 * interactive shell that enters the container, so it looks to an interactive-exec rule exactly like
 * `kubectl exec -it` although nobody exec'd into anything: the documented false positive.
 */
import { adHocApp } from "../apps.ts";
import { transientPod } from "../cluster.ts";
import { containerPts, startContainer, startPod, stopPod } from "../runtime.ts";
import type { Workload } from "../workload.ts";

export const debugWorkload: Workload = {
  kind: "debug",
  description: "kubectl run -it debug pods (busybox, netshoot): interactive container entry shells",
  share: 0.0005,
  nominalEvents: 16,
  play(scene, cluster) {
    const rng = scene.rng;
    const netshoot = rng.chance(0.4);
    const spec = adHocApp({
      app: "debug",
      namespace: rng.pick(["default", "shop", "data"]),
      image: netshoot ? "nicolaka/netshoot" : "busybox",
      tag: netshoot ? "v0.13" : "1.36",
      argv: netshoot ? ["bash"] : ["sh"],
      executable: netshoot ? "/bin/bash" : "/bin/sh",
      shell: netshoot ? "bash" : "sh",
    });
    const host = rng.pick(cluster.hosts);
    const pod = transientPod(rng, cluster, host, spec, `debug-${rng.alnum(5)}`);
    startPod(scene, pod);
    const shell = startContainer(scene, pod.app, { tty: containerPts(scene) });
    const commands = [
      ["nslookup", "shop-api.shop.svc.cluster.local"],
      ["wget", "-qO-", "http://shop-api.shop:8080/healthz"],
      ["ping", "-c", "3", "postgres-0.postgres.data.svc"],
      netshoot ? ["curl", "-sv", "http://storefront.shop:8000/"] : ["env"],
      netshoot ? ["dig", "+short", "redis-0.redis.data.svc.cluster.local"] : ["cat", "/etc/resolv.conf"],
    ];
    for (const argv of rng.shuffle(commands).slice(0, rng.between(2, 5))) {
      scene.think(5000);
      scene.run(shell, argv, { newGroup: true, ms: rng.between(20, 3000) }, (p) => {
        if (argv[0] === "cat") scene.file(p, "open", argv[1]);
      });
    }
    scene.think(3000);
    stopPod(scene, pod, 0);
  },
};
