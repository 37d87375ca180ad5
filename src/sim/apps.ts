/**
 * The workloads the simulated cluster runs: what each image's main process is, who it runs as, whether
 * it has a shell and a package manager, what role it plays in the background activity, and its exec
 * probe if it has one. Images and names are invented for the simulation (an "acme" shop).
 */

export type Role = "web" | "worker" | "postgres" | "redis" | "build" | "proxy" | "logs" | "dns" | "sandbox";

export interface AppSpec {
  app: string;
  namespace: string;
  /** the owner of the pod; "none" for bare pods (`kubectl run`) */
  controller: "ReplicaSet" | "StatefulSet" | "DaemonSet" | "Job" | "none";
  image: string;
  tag: string;
  argv: readonly string[];
  /** the path the main process was executed from; defaults to argv[0] resolved on PATH */
  executable: string;
  user: string;
  cwd: string;
  /** children the main process forks when it starts (nginx workers, postgres auxiliary processes) */
  forks: number;
  /** undefined for distroless images */
  shell?: "bash" | "sh";
  /** undefined when the image has no package manager */
  packages?: "apt" | "apk";
  role: Role;
  /** the exec readiness probe the kubelet runs through the runtime */
  probe?: readonly string[];
  /** pods per node (fraction), and at least this many pods in the cluster */
  perHost: number;
  min: number;
}

export const APPS: readonly AppSpec[] = [
  {
    app: "frontend",
    namespace: "shop",
    controller: "ReplicaSet",
    image: "nginx",
    tag: "1.27.2",
    argv: ["nginx", "-g", "daemon off;"],
    executable: "/usr/sbin/nginx",
    user: "0",
    cwd: "/",
    forks: 2,
    shell: "bash",
    packages: "apt",
    role: "web",
    perHost: 0.5,
    min: 2,
  },
  {
    app: "shop-api",
    namespace: "shop",
    controller: "ReplicaSet",
    image: "ghcr.io/acme/shop-api",
    tag: "2.14.3",
    argv: ["node", "dist/server.js"],
    executable: "/usr/local/bin/node",
    user: "1000",
    cwd: "/app",
    forks: 0,
    shell: "sh",
    packages: "apk",
    role: "web",
    perHost: 0.5,
    min: 1,
  },
  {
    app: "storefront",
    namespace: "shop",
    controller: "ReplicaSet",
    image: "ghcr.io/acme/storefront",
    tag: "5.2.0",
    argv: [
      "/usr/local/bin/python3.12",
      "/usr/local/bin/gunicorn",
      "storefront.wsgi:application",
      "--bind",
      "0.0.0.0:8000",
      "--workers",
      "3",
    ],
    executable: "/usr/local/bin/gunicorn",
    user: "1000",
    cwd: "/app",
    forks: 3,
    shell: "bash",
    packages: "apt",
    role: "web",
    perHost: 0.4,
    min: 1,
  },
  {
    app: "payments",
    namespace: "payments",
    controller: "ReplicaSet",
    image: "ghcr.io/acme/payments",
    tag: "1.9.0",
    argv: ["java", "-XX:MaxRAMPercentage=75.0", "-jar", "/app/payments.jar"],
    executable: "/opt/java/openjdk/bin/java",
    user: "1001",
    cwd: "/app",
    forks: 0,
    shell: "bash",
    packages: "apt",
    role: "web",
    perHost: 0.3,
    min: 1,
  },
  {
    app: "media-worker",
    namespace: "shop",
    controller: "ReplicaSet",
    image: "ghcr.io/acme/media-worker",
    tag: "3.4.1",
    argv: [
      "/usr/local/bin/python3.12",
      "/usr/local/bin/celery",
      "-A",
      "worker.tasks",
      "worker",
      "--loglevel=INFO",
      "--concurrency=4",
    ],
    executable: "/usr/local/bin/celery",
    user: "1000",
    cwd: "/app",
    forks: 4,
    shell: "bash",
    packages: "apt",
    role: "worker",
    probe: ["/bin/sh", "-c", "celery -A worker.tasks inspect ping -d celery@$HOSTNAME"],
    perHost: 0.4,
    min: 1,
  },
  {
    app: "postgres",
    namespace: "data",
    controller: "StatefulSet",
    image: "postgres",
    tag: "16.4",
    argv: ["postgres"],
    executable: "/usr/lib/postgresql/16/bin/postgres",
    user: "999",
    cwd: "/var/lib/postgresql/data",
    forks: 5,
    shell: "bash",
    packages: "apt",
    role: "postgres",
    probe: ["/bin/sh", "-c", 'exec pg_isready -U "shop" -d "dbname=shop" -h 127.0.0.1 -p 5432'],
    perHost: 0.15,
    min: 1,
  },
  {
    app: "redis",
    namespace: "data",
    controller: "StatefulSet",
    image: "redis",
    tag: "7.2.5",
    argv: ["redis-server", "*:6379"],
    executable: "/usr/local/bin/redis-server",
    user: "999",
    cwd: "/data",
    forks: 0,
    shell: "bash",
    packages: "apt",
    role: "redis",
    probe: ["sh", "-c", "redis-cli -h 127.0.0.1 -p 6379 ping"],
    perHost: 0.15,
    min: 1,
  },
  {
    app: "ci-runner",
    namespace: "ci",
    controller: "ReplicaSet",
    image: "ghcr.io/acme/ci-runner",
    tag: "2024.9.2",
    argv: ["/usr/local/bin/runner", "run", "--working-directory", "/builds"],
    executable: "/usr/local/bin/runner",
    user: "1000",
    cwd: "/builds",
    forks: 0,
    shell: "bash",
    packages: "apt",
    role: "build",
    perHost: 0.3,
    min: 1,
  },
  {
    app: "coredns",
    namespace: "kube-system",
    controller: "ReplicaSet",
    image: "registry.k8s.io/coredns/coredns",
    tag: "v1.11.1",
    argv: ["/coredns", "-conf", "/etc/coredns/Corefile"],
    executable: "/coredns",
    user: "65532",
    cwd: "/",
    forks: 0,
    role: "dns",
    perHost: 0,
    min: 2,
  },
];

/** One pod of each on every node. */
export const DAEMONSETS: readonly AppSpec[] = [
  {
    app: "kube-proxy",
    namespace: "kube-system",
    controller: "DaemonSet",
    image: "registry.k8s.io/kube-proxy",
    tag: "v1.30.4",
    argv: ["/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf"],
    executable: "/usr/local/bin/kube-proxy",
    user: "0",
    cwd: "/",
    forks: 0,
    role: "proxy",
    perHost: 1,
    min: 0,
  },
  {
    app: "fluent-bit",
    namespace: "logging",
    controller: "DaemonSet",
    image: "cr.fluentbit.io/fluent/fluent-bit",
    tag: "3.1.7",
    argv: ["/fluent-bit/bin/fluent-bit", "-c", "/fluent-bit/etc/conf/fluent-bit.conf"],
    executable: "/fluent-bit/bin/fluent-bit",
    user: "0",
    cwd: "/",
    forks: 0,
    role: "logs",
    perHost: 1,
    min: 0,
  },
];

/** Short-lived pods (CronJobs, debug pods, attackers' pods) are described on the fly with this. */
export function adHocApp(
  fields: Partial<AppSpec> & Pick<AppSpec, "app" | "image" | "tag" | "argv">,
): AppSpec {
  return {
    namespace: "default",
    controller: "ReplicaSet",
    executable: fields.argv[0],
    user: "0",
    cwd: "/",
    forks: 0,
    role: "worker",
    perHost: 0,
    min: 0,
    ...fields,
  };
}
