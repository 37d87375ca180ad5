/**
 * IP addresses and CIDR blocks: `cidrMatch` and equality / ordering of `ip`
 * fields. IPv4 is parsed by hand (it is the common case and must be strict);
 * IPv6 goes through ipaddr.js.
 *
 * Like Elasticsearch's `ip` type, an IPv4 address and its IPv4-mapped IPv6
 * form (`::ffff:10.1.2.3`) are the same address everywhere in this module.
 */
import ipaddr from "ipaddr.js";
import { parseJavaInt } from "./java.ts";

/** A CIDR block given to cidrMatch that is not an IPv4 or IPv6 block. */
export class CidrError extends Error {
  readonly block: string;

  constructor(block: string, reason?: string) {
    super(`invalid CIDR block [${block}]${reason ? `: ${reason}` : ""}`);
    this.name = "CidrError";
    this.block = block;
  }
}

/** `::ffff:0:0/96`, the IPv4-mapped range, as a 128-bit integer. */
const MAPPED_PREFIX = 0xffffn << 32n;
const MAPPED_MASK = ((1n << 96n) - 1n) << 32n;

interface V4Block {
  base: number;
  mask: number;
}

interface V6Block {
  base: bigint;
  mask: bigint;
}

/**
 * Compiles blocks once into a predicate. A block without `/` is a single
 * address; host bits need not be zero (`10.6.48.157/8` is `10.0.0.0/8`).
 * IPv4 inputs are also tested against IPv6 blocks in their mapped form, so
 * `::/0` matches every address. An input that is not a valid IP never matches.
 *
 * @throws CidrError naming the first invalid block
 */
export function compileCidrMatcher(blocks: string[]): (ip: string) => boolean {
  const v4 = new PrefixSets<number>();
  const v6 = new PrefixSets<bigint>();
  for (const block of blocks) {
    const compiled = compileBlock(block);
    if (isV4Block(compiled)) v4.add(compiled.mask, compiled.base);
    else v6.add(compiled.mask, compiled.base);
  }

  const matchesV4 = (ip: number): boolean => v4.has((mask) => (ip & mask) >>> 0);
  const matchesV6 = (ip: bigint): boolean => v6.has((mask) => ip & mask);

  return (text) => {
    const address = parseIPv4(text);
    if (address >= 0) return matchesV4(address) || (!v6.empty && matchesV6(MAPPED_PREFIX | BigInt(address)));
    const wide = parseIPv6(text);
    if (wide === null) return false;
    const mapped = mappedIPv4(wide);
    return (mapped >= 0 && matchesV4(mapped)) || matchesV6(wide);
  };
}

/**
 * Blocks grouped by their mask, each group a set of bases: an address is looked up once per
 * prefix length in use (at most 33 for IPv4, 129 for IPv6), however many blocks there are. A
 * rule's cidrMatch or an exception's value list may hold tens of thousands, and each event's
 * address is tested against all of them.
 */
class PrefixSets<T extends number | bigint> {
  private readonly byMask = new Map<T, Set<T>>();

  get empty(): boolean {
    return this.byMask.size === 0;
  }

  add(mask: T, base: T): void {
    const bases = this.byMask.get(mask) ?? new Set<T>();
    bases.add(base);
    this.byMask.set(mask, bases);
  }

  has(masked: (mask: T) => T): boolean {
    for (const [mask, bases] of this.byMask) if (bases.has(masked(mask))) return true;
    return false;
  }
}

/**
 * The canonical text of an address, or null if `s` is not one: IPv4 in
 * dotted decimal, IPv6 compressed and lower-case per RFC 5952, an
 * IPv4-mapped IPv6 address as its IPv4 form. Two spellings of one address
 * give the same string, so it serves for equality and as a join key.
 */
export function canonicalIp(s: string): string | null {
  const v4 = parseIPv4(s);
  if (v4 >= 0) return formatIPv4(v4);
  const v6 = parseIPv6(s);
  if (v6 === null) return null;
  const mapped = mappedIPv4(v6);
  return mapped >= 0 ? formatIPv4(mapped) : ipaddr.IPv6.parse(bigintToIPv6Text(v6)).toRFC5952String();
}

/**
 * Orders addresses as Elasticsearch sorts `ip` fields: as 128-bit numbers with
 * IPv4 in its mapped form, so IPv4 sorts inside `::ffff:0:0/96` (after `::1`,
 * before `2001:db8::`), not simply before all IPv6. Strings that are not
 * addresses sort after all addresses, among themselves by plain text.
 */
export function compareIps(a: string, b: string): number {
  const ka = ipKey(a);
  const kb = ipKey(b);
  if (ka !== null && kb !== null) return ka < kb ? -1 : ka > kb ? 1 : 0;
  if (ka !== null) return -1;
  if (kb !== null) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function ipKey(s: string): bigint | null {
  const v4 = parseIPv4(s);
  return v4 >= 0 ? MAPPED_PREFIX | BigInt(v4) : parseIPv6(s);
}

/**
 * A block as (base, mask) with the host bits of base cleared. An IPv4-mapped address alone is the
 * IPv4 address; with a prefix length it is refused, as Elasticsearch's `InetAddresses.parseCidr`
 * refuses it, since the prefix could count IPv4 or IPv6 bits.
 *
 * @throws CidrError
 */
function compileBlock(block: string): V4Block | V6Block {
  const invalid = () => new CidrError(block);
  // Elasticsearch splits on "/" as Java's String.split does, dropping empty trailing parts
  // (`10.0.0.0/8/` is `10.0.0.0/8`), and reads the prefix with Integer.parseInt (`+8`, `008`).
  const fields = block.split("/");
  while (fields.length > 1 && fields[fields.length - 1] === "") fields.pop();
  if (block.includes("/") && fields.length !== 2) throw invalid();
  const [address, prefixText = null] = fields;
  const prefixLength = prefixText === null ? null : parseJavaInt(prefixText);
  if (prefixText !== null && (prefixLength === null || prefixLength < 0)) throw invalid();

  const v4 = parseIPv4(address);
  if (v4 >= 0) {
    const prefix = prefixLength ?? 32;
    if (prefix > 32) throw invalid();
    return v4Block(v4, prefix);
  }
  const v6 = parseIPv6(address);
  if (v6 === null) throw invalid();
  const prefix = prefixLength ?? 128;
  if (prefix > 128) throw invalid();
  const mapped = mappedIPv4(v6);
  if (mapped >= 0 && prefixText !== null) {
    throw new CidrError(block, "an IPv4-mapped IPv6 address takes no prefix length; write the IPv4 block");
  }
  if (mapped >= 0) return v4Block(mapped, 32);
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(128 - prefix);
  return { base: v6 & mask, mask };
}

function isV4Block(block: V4Block | V6Block): block is V4Block {
  return typeof block.base === "number";
}

function v4Block(address: number, prefix: number): V4Block {
  // `x << 32` is `x << 0` in JS, hence the special case; `>>> 0` keeps masks unsigned.
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (address & mask) >>> 0, mask };
}

/**
 * Strict dotted-quad IPv4 as an unsigned 32-bit number, or -1: exactly four
 * decimal parts 0-255 without leading zeros (`010.0.0.1` could mean octal
 * elsewhere) and no shorthand (`10.1`).
 */
function parseIPv4(s: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1;
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else {
      return -1;
    }
  }
  // Multiplication instead of shifts keeps the result unsigned.
  return dots === 3 && digits > 0 ? value * 256 + part : -1;
}

/**
 * IPv6 as a 128-bit integer, or null. Zone ids (`fe80::1%eth0`) are refused:
 * they are not part of the address that `ip` fields store. A dotted IPv4 tail
 * is parsed here with the strict IPv4 rules and replaced by two hex groups,
 * because ipaddr.js accepts octal/hex parts there and reads `::1.2.3.4` as
 * IPv4-mapped.
 */
function parseIPv6(s: string): bigint | null {
  if (!s.includes(":") || s.includes("%")) return null;
  let text = s;
  const tailStart = s.lastIndexOf(":") + 1;
  if (s.indexOf(".", tailStart) >= 0) {
    const v4 = parseIPv4(s.slice(tailStart));
    if (v4 < 0) return null;
    text = `${s.slice(0, tailStart)}${Math.floor(v4 / 65536).toString(16)}:${(v4 % 65536).toString(16)}`;
  }
  if (!ipaddr.IPv6.isValid(text)) return null;
  let value = 0n;
  for (const part of ipaddr.IPv6.parse(text).parts) value = (value << 16n) | BigInt(part);
  return value;
}

/** The IPv4 address inside `::ffff:a.b.c.d`, or -1. */
function mappedIPv4(v6: bigint): number {
  return (v6 & MAPPED_MASK) === MAPPED_PREFIX ? Number(v6 & 0xffffffffn) : -1;
}

function formatIPv4(v: number): string {
  return `${Math.floor(v / 16777216)}.${Math.floor(v / 65536) % 256}.${Math.floor(v / 256) % 256}.${v % 256}`;
}

function bigintToIPv6Text(v: bigint): string {
  const groups: string[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(((v >> shift) & 0xffffn).toString(16));
  return groups.join(":");
}
