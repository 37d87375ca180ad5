/** Queue workers: a celery pool process fetches a media file, runs a converter on it, cleans up. */
import { podsWithRole } from "../cluster.ts";
import type { Workload } from "../workload.ts";

export const workerWorkload: Workload = {
  kind: "worker",
  description: "celery media workers running ffmpeg, ImageMagick, pdftotext and Ghostscript on temp files",
  share: 0.14,
  nominalEvents: 9,
  play(scene, cluster) {
    const rng = scene.rng;
    const pods = podsWithRole(cluster, "worker");
    if (!pods.length) return;
    const container = rng.pick(pods).app;
    const main = container.main;
    if (!main) return;
    const pool = container.workers.length ? rng.pick(container.workers) : main;
    const dir = `/tmp/tmp${rng.alnum(8)}`;
    const job = rng.int(4);
    const input = `${dir}/input.${["mp4", "jpg", "pdf", "pdf"][job]}`;
    scene.file(pool, "creation", input);
    scene.file(pool, "modification", input);
    scene.think(200);
    let output: string;
    let argv: string[];
    let ms: number;
    switch (job) {
      case 0:
        output = `${dir}/output.mp4`;
        argv = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", input, "-vf", "scale=1280:-2", "-c:v"];
        argv.push("libx264", "-preset", "veryfast", output);
        ms = rng.between(3000, 20000);
        break;
      case 1:
        output = `${dir}/thumb.jpg`;
        argv = ["convert", input, "-resize", "800x800", "-strip", output];
        ms = rng.between(80, 600);
        break;
      case 2:
        output = `${dir}/output.txt`;
        argv = ["pdftotext", "-layout", input, output];
        ms = rng.between(100, 1500);
        break;
      default:
        output = `${dir}/page-001.png`;
        argv = [
          "gs",
          "-q",
          "-dNOPAUSE",
          "-dBATCH",
          "-sDEVICE=png16m",
          "-r150",
          `-sOutputFile=${dir}/page-%03d.png`,
        ];
        argv.push(input);
        ms = rng.between(300, 4000);
    }
    scene.run(pool, argv, { ms }, (tool) => {
      scene.file(tool, "open", input);
      scene.file(tool, "creation", output);
    });
    scene.think(100);
    scene.file(pool, "deletion", input);
    scene.file(pool, "deletion", output);
  },
};
