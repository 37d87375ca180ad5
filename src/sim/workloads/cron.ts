/**
 * CronJobs: the runtime starts a new pod, its entrypoint runs a backup, a report, a cleanup with
 * kubectl or a reindex, and the pod goes away. Entrypoints of the form `sh -c …` are container entry
 * leaders running a shell — what shell-exec-into-container rules look for.
 */
import { type AppSpec, adHocApp } from "../apps.ts";
import { transientPod } from "../cluster.ts";
import { SERVICE_ACCOUNT_TOKEN } from "../pod.ts";
import type { SimProcess } from "../process.ts";
import { startContainer, startPod, stopPod } from "../runtime.ts";
import type { Scene } from "../scene.ts";
import type { Workload } from "../workload.ts";

interface Job {
  spec: AppSpec;
  steps(scene: Scene, main: SimProcess): void;
}

const JOBS: readonly Job[] = [
  {
    spec: adHocApp({
      app: "db-backup",
      namespace: "data",
      controller: "Job",
      image: "ghcr.io/acme/db-backup",
      tag: "1.3.0",
      argv: [
        "/bin/sh",
        "-c",
        "pg_dump -h postgres-0.postgres.data.svc -U shop shop | gzip > /backup/shop-$(date +%Y%m%d%H%M).sql.gz && aws s3 cp /backup/ s3://acme-backups/postgres/ --recursive",
      ],
      shell: "bash",
      packages: "apt",
    }),
    steps(scene, main) {
      const rng = scene.rng;
      scene.run(main, ["date", "+%Y%m%d%H%M"], { ms: 2 });
      const dump = `/backup/shop-${new Date(scene.t).toISOString().slice(0, 16).replace(/[-T:]/g, "")}.sql.gz`;
      const pgDump = scene.spawn(main, [
        "pg_dump",
        "-h",
        "postgres-0.postgres.data.svc",
        "-U",
        "shop",
        "shop",
      ]);
      const gzip = scene.spawn(main, ["gzip"]);
      scene.file(gzip, "creation", dump);
      scene.wait(rng.between(3000, 25000));
      scene.file(gzip, "modification", dump);
      scene.end(pgDump, 0);
      scene.end(gzip, 0);
      scene.run(
        main,
        [
          "/usr/local/bin/python3",
          "/usr/local/bin/aws",
          "s3",
          "cp",
          "/backup/",
          "s3://acme-backups/postgres/",
          "--recursive",
        ],
        { exe: "/usr/local/bin/aws", ms: rng.between(1500, 6000) },
        (aws) => scene.file(aws, "open", dump),
      );
    },
  },
  {
    spec: adHocApp({
      app: "daily-reports",
      namespace: "shop",
      controller: "Job",
      image: "ghcr.io/acme/storefront",
      tag: "5.2.0",
      argv: ["python3", "manage.py", "send_daily_reports"],
      executable: "/usr/local/bin/python3",
      user: "1000",
      cwd: "/app",
      shell: "bash",
      packages: "apt",
    }),
    steps(scene, main) {
      const report = `/tmp/report-${new Date(scene.t).toISOString().slice(0, 10)}.pdf`;
      scene.file(main, "open", "/app/storefront/templates/reports/daily.html");
      scene.file(main, "creation", report);
      scene.wait(scene.rng.between(500, 4000));
      scene.file(main, "modification", report);
      scene.file(main, "deletion", report);
    },
  },
  {
    spec: adHocApp({
      app: "ci-pod-cleanup",
      namespace: "ci",
      controller: "Job",
      image: "bitnami/kubectl",
      tag: "1.30.4",
      argv: ["/bin/sh", "-c", "kubectl delete pod -n ci --field-selector=status.phase==Succeeded"],
      user: "1001",
      shell: "bash",
    }),
    steps(scene, main) {
      scene.run(
        main,
        ["kubectl", "delete", "pod", "-n", "ci", "--field-selector=status.phase==Succeeded"],
        { ms: scene.rng.between(300, 1500) },
        (kubectl) => scene.file(kubectl, "open", SERVICE_ACCOUNT_TOKEN),
      );
    },
  },
  {
    spec: adHocApp({
      app: "search-reindex",
      namespace: "shop",
      controller: "Job",
      image: "ghcr.io/acme/shop-api",
      tag: "2.14.3",
      argv: ["node", "dist/jobs/reindex.js"],
      executable: "/usr/local/bin/node",
      user: "1000",
      cwd: "/app",
      shell: "sh",
      packages: "apk",
    }),
    steps(scene, main) {
      const batch = `/tmp/reindex-${scene.rng.hex(8)}.json`;
      scene.file(main, "creation", batch);
      scene.wait(scene.rng.between(1000, 8000));
      scene.file(main, "modification", batch);
      scene.file(main, "deletion", batch);
    },
  },
];

export const cronWorkload: Workload = {
  kind: "cron",
  description: "CronJob pods: database backup with sh -c, report mailer, kubectl cleanup, search reindex",
  share: 0.07,
  nominalEvents: 14,
  play(scene, cluster) {
    const rng = scene.rng;
    const job = rng.pick(JOBS);
    const host = rng.pick(cluster.hosts);
    const minutes = Math.floor(scene.t / 60000);
    const pod = transientPod(rng, cluster, host, job.spec, `${job.spec.app}-${minutes}-${rng.alnum(5)}`);
    startPod(scene, pod);
    const main = startContainer(scene, pod.app);
    scene.wait(rng.between(20, 200));
    job.steps(scene, main);
    scene.wait(rng.between(5, 50));
    stopPod(scene, pod, 0);
  },
};
