/**
 * CI jobs in runner pods: git fetch, dependency installs (npm ci, pip install, sometimes apt-get
 * install of a tool), tests and compilers, with bursts of file creation. Package managers here are
 * legitimate, and are what package-install rules will also see.
 */
import { podsWithRole } from "../cluster.ts";
import type { SimProcess } from "../process.ts";
import type { Scene } from "../scene.ts";
import type { Workload } from "../workload.ts";

const PROJECTS = [
  { name: "shop-api", lang: "node" },
  { name: "storefront", lang: "python" },
  { name: "media-worker", lang: "python" },
  { name: "imgproxy-plugin", lang: "c" },
] as const;

const NPM_PACKAGES = [
  "express",
  "pg",
  "ioredis",
  "zod",
  "pino",
  "undici",
  "sharp",
  "jest",
  "typescript",
  "tsx",
];
const PY_PACKAGES = ["django", "psycopg", "celery", "redis", "pillow", "requests", "pytest", "boto3"];
const C_SOURCES = ["main", "resize", "decode", "encode", "util", "config"];

function gitFetch(scene: Scene, shell: SimProcess, dir: string, project: string): void {
  const rng = scene.rng;
  scene.run(
    shell,
    ["git", "fetch", "--prune", "--quiet", "origin", "+refs/heads/main:refs/remotes/origin/main"],
    { ms: rng.between(400, 3000) },
    (git) => {
      scene.run(
        git,
        ["/usr/lib/git-core/git-remote-https", "origin", `https://git.acme.example/acme/${project}.git`],
        {
          exe: "/usr/lib/git-core/git-remote-https",
          ms: rng.between(300, 2500),
        },
      );
      const pack = `${dir}/.git/objects/pack/pack-${rng.hex(40)}`;
      scene.file(git, "creation", `${pack}.pack`);
      scene.file(git, "creation", `${pack}.idx`);
    },
  );
  scene.run(shell, ["git", "checkout", "-f", "-q", rng.hex(40)], { ms: rng.between(50, 600) });
}

function aptInstall(scene: Scene, shell: SimProcess): void {
  const rng = scene.rng;
  scene.run(shell, ["apt-get", "update", "-qq"], { ms: rng.between(2000, 8000) }, (apt) => {
    scene.run(apt, ["/usr/lib/apt/methods/http"], { ms: rng.between(1500, 6000) });
    scene.file(apt, "creation", "/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease");
  });
  scene.run(shell, ["apt-get", "install", "-y", "-qq", "jq"], { ms: rng.between(2000, 6000) }, (apt) => {
    scene.file(apt, "creation", "/var/cache/apt/archives/jq_1.6-2.1_amd64.deb");
    scene.run(
      apt,
      ["/usr/bin/dpkg", "--status-fd", "35", "--no-triggers", "--unpack", "--auto-deconfigure"],
      { ms: rng.between(300, 1200) },
      (dpkg) => scene.file(dpkg, "creation", "/usr/bin/jq"),
    );
  });
}

function nodeSteps(scene: Scene, shell: SimProcess, dir: string): void {
  const rng = scene.rng;
  scene.run(
    shell,
    ["npm", "ci", "--no-audit", "--prefer-offline"],
    { ms: rng.between(8000, 40000) },
    (npm) => {
      for (const pkg of rng.shuffle(NPM_PACKAGES).slice(0, rng.between(4, 9))) {
        scene.file(npm, "creation", `${dir}/node_modules/${pkg}/package.json`);
      }
      if (rng.chance(0.5)) {
        const sh = scene.spawn(npm, ["sh", "-c", "node-gyp-build"]);
        scene.run(sh, ["node", `${dir}/node_modules/node-gyp-build/bin.js`], { ms: rng.between(200, 3000) });
        scene.end(sh, 0);
      }
    },
  );
  scene.run(shell, ["npm", "test"], { ms: rng.between(5000, 30000) }, (npm) => {
    const sh = scene.spawn(npm, ["sh", "-c", "jest --ci --reporters=default"]);
    scene.run(sh, ["node", `${dir}/node_modules/.bin/jest`, "--ci", "--reporters=default"], {
      ms: rng.between(4000, 25000),
    });
    scene.end(sh, 0);
    scene.file(npm, "creation", `${dir}/coverage/lcov.info`);
  });
}

function pythonSteps(scene: Scene, shell: SimProcess, dir: string): void {
  const rng = scene.rng;
  scene.run(shell, ["python3", "-m", "venv", ".venv"], { ms: rng.between(1500, 4000) });
  const pip = `${dir}/.venv/bin/pip`;
  scene.run(shell, [pip, "install", "-r", "requirements.txt"], { ms: rng.between(6000, 30000) }, (p) => {
    for (const pkg of rng.shuffle(PY_PACKAGES).slice(0, rng.between(3, 7))) {
      scene.file(p, "creation", `${dir}/.venv/lib/python3.12/site-packages/${pkg}/__init__.py`);
    }
  });
  scene.run(shell, [`${dir}/.venv/bin/pytest`, "-q"], { ms: rng.between(4000, 20000) }, (pytest) =>
    scene.file(pytest, "creation", `${dir}/.pytest_cache/v/cache/lastfailed`),
  );
}

function cSteps(scene: Scene, shell: SimProcess, dir: string): void {
  const rng = scene.rng;
  scene.run(shell, ["make", "-j4"], { ms: rng.between(100, 500) }, (make) => {
    for (const src of rng.shuffle(C_SOURCES).slice(0, rng.between(3, 6))) {
      const object = `build/${src}.o`;
      scene.run(make, ["cc", "-O2", "-Wall", "-c", `src/${src}.c`, "-o", object], { ms: 5 }, (cc) => {
        const asm = `/tmp/cc${rng.alnum(6)}.s`;
        scene.run(cc, ["/usr/lib/gcc/x86_64-linux-gnu/12/cc1", "-quiet", `src/${src}.c`, "-O2", "-o", asm], {
          exe: "/usr/lib/gcc/x86_64-linux-gnu/12/cc1",
          ms: rng.between(200, 1500),
        });
        scene.run(cc, ["as", "--64", "-o", object, asm], { ms: rng.between(10, 60) });
        scene.file(cc, "creation", `${dir}/${object}`);
      });
    }
    scene.run(make, ["cc", "-o", "build/imgproxy-plugin.so", "-shared", "build/main.o"], {
      ms: rng.between(50, 300),
    });
  });
}

export const buildWorkload: Workload = {
  kind: "build",
  description: "CI jobs: git fetch, npm ci / pip install / apt-get install, tests, C compiles",
  share: 0.14,
  nominalEvents: 40,
  play(scene, cluster) {
    const rng = scene.rng;
    const pods = podsWithRole(cluster, "build");
    if (!pods.length) return;
    const runner = pods[rng.int(pods.length)].app.main;
    if (!runner) return;
    const project = rng.pick(PROJECTS);
    const dir = `/builds/acme/${project.name}`;
    const shell = scene.spawn(
      runner,
      [
        "/bin/bash",
        "--noprofile",
        "--norc",
        "-eo",
        "pipefail",
        `/builds/tmp/job-${rng.between(100000, 999999)}/step_script`,
      ],
      { cwd: dir },
    );
    gitFetch(scene, shell, dir, project.name);
    if (rng.chance(0.2)) aptInstall(scene, shell);
    if (project.lang === "node") nodeSteps(scene, shell, dir);
    else if (project.lang === "python") pythonSteps(scene, shell, dir);
    else cSteps(scene, shell, dir);
    scene.end(shell, 0);
  },
};
