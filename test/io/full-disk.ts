import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";

const enospc = () => Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });

/**
 * Files on a disk with `room` bytes left, for the file sinks' `openFile`: an append that does
 * not fit writes what fits and then fails, as a write to a full disk does. `free` makes room;
 * with `truncateFails`, cutting a file back fails too.
 */
export function fullDisk(room: number, options: { truncateFails?: boolean } = {}) {
  let left = room;
  const openFile = async (path: string, flags: string): Promise<FileHandle> => {
    const handle = await open(path, flags);
    const appendFile = async (data: Buffer) => {
      const fits = Math.min(left, data.length);
      left -= fits;
      await handle.appendFile(data.subarray(0, fits));
      if (fits < data.length) throw enospc();
    };
    const truncate = async (length?: number) => {
      if (options.truncateFails) throw Object.assign(new Error("EIO: i/o error, ftruncate"), { code: "EIO" });
      await handle.truncate(length);
    };
    return new Proxy(handle, {
      get(target, key) {
        if (key === "appendFile") return appendFile;
        if (key === "truncate") return truncate;
        const value = Reflect.get(target, key, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  };
  return {
    openFile,
    free(bytes: number) {
      left += bytes;
    },
  };
}

/** The alerts of a file's whole lines, and the lines that are no alert (a write cut short). */
export function alertLines(path: string): { ids: string[]; torn: string[] } {
  const lines = readFileSync(path, "utf8").split("\n");
  assert.equal(lines.pop(), "", "the file ends with a whole line");
  const ids: string[] = [];
  const torn: string[] = [];
  for (const line of lines) {
    try {
      ids.push(JSON.parse(line)["kibana.alert.uuid"]);
    } catch {
      torn.push(line);
    }
  }
  return { ids, torn };
}
