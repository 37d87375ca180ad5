/**
 * A small seeded PRNG (sfc32, state filled by splitmix32) so that the same seed always gives the same
 * telemetry. Not for cryptography. `derive(label)` gives an independent stream, so that, e.g., the
 * cluster topology does not change when the number of events does.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, label = "") {
    let s = mix32((seed >>> 0) ^ hashLabel(label)) ^ mix32(Math.floor(seed / 0x100000000) >>> 0);
    const next = () => {
      s = (s + 0x9e3779b9) | 0;
      return mix32(s);
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next() | 1;
    for (let i = 0; i < 12; i++) this.u32();
    this.seed = seed;
  }

  private readonly seed: number;

  /** an independent generator for one purpose, derived from the seed and a label */
  derive(label: string): Rng {
    return new Rng(this.seed, label);
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** uniform in [0, 1) */
  float(): number {
    return this.u32() / 0x100000000;
  }

  /** uniform integer in [0, n) */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** uniform integer in [lo, hi] */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** an item chosen with probability proportional to its weight */
  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    let total = 0;
    for (const w of weights) total += w;
    let x = this.float() * total;
    for (let i = 0; i < items.length; i++) {
      x -= weights[i];
      if (x < 0) return items[i];
    }
    return items[items.length - 1];
  }

  /** exponentially distributed with the given mean (waiting times between independent arrivals) */
  exp(mean: number): number {
    return -mean * Math.log(1 - this.float());
  }

  /** `chars` lowercase hexadecimal digits */
  hex(chars: number): string {
    let out = "";
    while (out.length < chars) out += this.hex8();
    return out.length === chars ? out : out.slice(0, chars);
  }

  /** 32 lowercase hexadecimal digits (an event id) */
  hex32(): string {
    return this.hex8() + this.hex8() + this.hex8() + this.hex8();
  }

  private hex8(): string {
    const x = this.u32();
    return HEX[x >>> 24] + HEX[(x >>> 16) & 255] + HEX[(x >>> 8) & 255] + HEX[x & 255];
  }

  /** lowercase letters and digits, as in Kubernetes generated names */
  alnum(chars: number): string {
    const alphabet = "bcdfghjklmnpqrstvwxz2456789";
    let out = "";
    for (let i = 0; i < chars; i++) out += alphabet[this.int(alphabet.length)];
    return out;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}

/** two hexadecimal digits per byte value (Number.prototype.toString(16) is slow for the job) */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** splitmix32's finaliser */
function mix32(x: number): number {
  let z = x | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a */
function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
