/** Where commands live: what `execve` receives when a shell or runtime resolves a name on PATH. */

const PATHS: Record<string, string> = {
  sh: "/bin/sh",
  bash: "/bin/bash",
  dash: "/bin/dash",
  busybox: "/bin/busybox",
  nginx: "/usr/sbin/nginx",
  sshd: "/usr/sbin/sshd",
  cron: "/usr/sbin/cron",
  logrotate: "/usr/sbin/logrotate",
  "iptables-save": "/usr/sbin/iptables-save",
  "iptables-restore": "/usr/sbin/iptables-restore",
  ip6tables: "/usr/sbin/ip6tables",
  iptables: "/usr/sbin/iptables",
  ip: "/usr/sbin/ip",
  conntrack: "/usr/sbin/conntrack",
  apk: "/sbin/apk",
  runc: "/usr/bin/runc",
  containerd: "/usr/bin/containerd",
  "containerd-shim-runc-v2": "/usr/bin/containerd-shim-runc-v2",
  kubelet: "/usr/bin/kubelet",
  node: "/usr/local/bin/node",
  npm: "/usr/local/bin/npm",
  python3: "/usr/local/bin/python3",
  pip: "/usr/local/bin/pip",
  celery: "/usr/local/bin/celery",
  "redis-cli": "/usr/local/bin/redis-cli",
  pg_isready: "/usr/lib/postgresql/16/bin/pg_isready",
  pg_dump: "/usr/lib/postgresql/16/bin/pg_dump",
  kubectl: "/usr/local/bin/kubectl",
  aws: "/usr/local/bin/aws",
};

/** The executable path for a command as typed (absolute and relative paths are kept). */
export function resolveCommand(command: string): string {
  if (command.includes("/")) return command;
  return PATHS[command] ?? `/usr/bin/${command}`;
}
