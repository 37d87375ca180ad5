/**
 * Databases: postgres forks a backend per client connection and recycles WAL segments; redis forks
 * a child for a background save that writes a temp file and renames it over dump.rdb.
 */
import { podsWithRole } from "../cluster.ts";
import type { Workload } from "../workload.ts";

export const databaseWorkload: Workload = {
  kind: "database",
  description: "postgres connection backends and WAL segments, redis background saves",
  share: 0.1,
  nominalEvents: 5,
  play(scene, cluster) {
    const rng = scene.rng;
    const pods = [...podsWithRole(cluster, "postgres"), ...podsWithRole(cluster, "redis")];
    if (!pods.length) return;
    const pod = rng.pick(pods);
    const main = pod.app.main;
    if (!main) return;
    if (pod.spec.role === "redis") {
      const saver = scene.fork(main);
      const temp = `/data/temp-${saver.pid}.rdb`;
      scene.file(saver, "creation", temp);
      scene.wait(rng.between(20, 400));
      scene.file(saver, "modification", temp);
      scene.file(saver, "rename", "/data/dump.rdb");
      scene.end(saver, 0);
      return;
    }
    const connections = rng.between(1, 3);
    for (let i = 0; i < connections; i++) {
      const backend = scene.fork(main);
      if (rng.chance(0.3))
        scene.file(
          backend,
          "modification",
          `/var/lib/postgresql/data/base/16384/${rng.between(16384, 16500)}`,
        );
      scene.think(300);
      scene.end(backend, 0);
    }
    if (rng.chance(0.15)) {
      const walwriter = pod.app.workers[2] ?? main;
      const segment = `/var/lib/postgresql/data/pg_wal/00000001000000${rng.hex(2).toUpperCase()}000000${rng.hex(2).toUpperCase()}`;
      scene.file(walwriter, "rename", segment);
    }
  },
};
