/**
 * IP and CIDR arithmetic with the Go reference's rules, on the addresses and CIDRs of the kit's
 * IP parser (`parseIp`, `parseCidr`, re-exported here with their printers): the network of a
 * CIDR, its first, last and broadcast addresses and size, the next, previous and n-th address,
 * comparison, containment and iteration over a range.
 *
 * Families follow Go's `To4`: an IPv4 address and an IPv4-mapped IPv6 address are the same IPv4
 * address (4 bytes in canonical form), every other address is IPv6 (16 bytes). A CIDR written in
 * IPv6 with an IPv4-mapped address ("::ffff:10.1.0.0/120") is an IPv4 network whose prefix is
 * 96 less, as Go's `IPNet.Contains` treats it. Arithmetic never leaves the family: the address
 * after 255.255.255.255 does not exist (Go's `ip.NextIP` would make a 5-byte address of it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatCidr, formatIp, lastIp, networkOf, nextIp, parseCidr, parseIp } from "./ip_math.ts";
 *
 * const cidr = parseCidr("10.1.2.5/24")!;
 * assert.equal(formatCidr(networkOf(cidr)), "10.1.2.0/24");
 * assert.equal(formatIp(lastIp(cidr)), "10.1.2.255");
 * assert.equal(formatIp(nextIp(parseIp("10.1.2.255")!)!), "10.1.3.0");
 * ```
 *
 * @module
 */
import type { IpAddress, IpCidr } from "./ip.ts";
import { formatCidr, formatIp, isIpv4, parseCidr, parseIp } from "./ip.ts";
import { canonicalCidr, canonicalIp } from "./_ip_text.ts";

export { formatCidr, formatIp, type IpAddress, type IpCidr, isIpv4, parseCidr, parseIp };

/** An address family: 4 for IPv4 (IPv4-mapped IPv6 included), 6 for IPv6. */
export type IpFamily = 4 | 6;

/** The number of bits of an address of `family`. */
function familyBits(family: IpFamily): 32 | 128 {
  return family === 4 ? 32 : 128;
}

/** The 16 bytes of `family`'s address at offset 0: where its own bits start in the bytes. */
function firstByte(family: IpFamily): number {
  return family === 4 ? 12 : 0;
}

/**
 * The family of an address: 4 for IPv4 and IPv4-mapped IPv6, else 6.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ipFamily, parseIp } from "./ip_math.ts";
 *
 * assert.equal(ipFamily(parseIp("::ffff:10.0.0.1")!), 4);
 * assert.equal(ipFamily(parseIp("fd00::1")!), 6);
 * ```
 */
export function ipFamily(address: IpAddress): IpFamily {
  return isIpv4(address) ? 4 : 6;
}

/**
 * The family of a CIDR's network: 4 for an IPv4 CIDR and for an IPv6 CIDR whose address is
 * IPv4-mapped (Go reads "::ffff:10.0.0.0/120" as 10.0.0.0/24), else 6.
 */
export function cidrFamily(cidr: IpCidr): IpFamily {
  return isIpv4(cidr.address) ? 4 : 6;
}

/**
 * The prefix length of a CIDR within its family ({@link cidrFamily}): an IPv4-mapped IPv6 CIDR's
 * is 96 less, and never below 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { familyPrefixLength, parseCidr } from "./ip_math.ts";
 *
 * assert.equal(familyPrefixLength(parseCidr("::ffff:10.0.0.0/120")!), 24);
 * assert.equal(familyPrefixLength(parseCidr("fd00::/64")!), 64);
 * ```
 */
export function familyPrefixLength(cidr: IpCidr): number {
  if (cidr.bits === 128 && isIpv4(cidr.address)) return Math.max(0, cidr.prefixLength - 96);
  return cidr.prefixLength;
}

/**
 * An address in Go's canonical byte form (`canonicalizeIP`): 4 bytes for IPv4 and IPv4-mapped
 * IPv6, 16 for IPv6. A new array.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { canonicalBytes, parseIp } from "./ip_math.ts";
 *
 * assert.deepEqual(canonicalBytes(parseIp("::ffff:10.0.0.1")!), new Uint8Array([10, 0, 0, 1]));
 * assert.equal(canonicalBytes(parseIp("::1")!).length, 16);
 * ```
 */
export function canonicalBytes(address: IpAddress): Uint8Array {
  return address.bytes.slice(firstByte(ipFamily(address)));
}

/**
 * An address from its bytes: 4 bytes are IPv4, 16 bytes IPv6 (IPv4-mapped ones are IPv4).
 *
 * @throws {RangeError} for any other length
 */
export function ipFromBytes(bytes: Uint8Array): IpAddress {
  if (bytes.length === 16) return { bytes: Uint8Array.from(bytes) };
  if (bytes.length !== 4) {
    throw new RangeError(`an IP address has 4 or 16 bytes, not ${bytes.length}`);
  }
  const all = new Uint8Array(16);
  all[10] = 0xff;
  all[11] = 0xff;
  all.set(bytes, 12);
  return { bytes: all };
}

/**
 * An address as an unsigned integer within its family: 32 bits for IPv4, 128 for IPv6.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ipToBigInt, parseIp } from "./ip_math.ts";
 *
 * assert.equal(ipToBigInt(parseIp("10.0.0.1")!), 0x0a000001n);
 * assert.equal(ipToBigInt(parseIp("::ffff:0:1")!), 1n);
 * ```
 */
export function ipToBigInt(address: IpAddress): bigint {
  let value = 0n;
  for (let i = firstByte(ipFamily(address)); i < 16; i++) {
    value = (value << 8n) | BigInt(address.bytes[i]!);
  }
  return value;
}

/**
 * The address of `family` whose integer value is `value`.
 *
 * @throws {RangeError} when `value` is negative or does not fit the family's bits
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIp, ipFromBigInt } from "./ip_math.ts";
 *
 * assert.equal(formatIp(ipFromBigInt(0x0a000001n, 4)), "10.0.0.1");
 * assert.equal(formatIp(ipFromBigInt(1n, 6)), "::1");
 * assert.throws(() => ipFromBigInt(2n ** 32n, 4), RangeError);
 * ```
 */
export function ipFromBigInt(value: bigint, family: IpFamily): IpAddress {
  const bits = familyBits(family);
  if (value < 0n || value >= 1n << BigInt(bits)) {
    throw new RangeError(`${value} is not an IPv${family} address`);
  }
  const bytes = new Uint8Array(16);
  if (family === 4) {
    bytes[10] = 0xff;
    bytes[11] = 0xff;
  }
  let rest = value;
  for (let i = 15; i >= firstByte(family); i--) {
    bytes[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return { bytes };
}

/**
 * Orders two addresses: every IPv4 address before every IPv6 address, then by value. Returns a
 * negative number, 0 or a positive number, for `Array.prototype.sort`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareIps, formatIp, parseIp } from "./ip_math.ts";
 *
 * const sorted = ["fd00::1", "10.0.0.10", "10.0.0.9"].map((t) => parseIp(t)!).sort(compareIps);
 * assert.deepEqual(sorted.map(formatIp), ["10.0.0.9", "10.0.0.10", "fd00::1"]);
 * ```
 */
export function compareIps(a: IpAddress, b: IpAddress): number {
  const familyA = ipFamily(a);
  const familyB = ipFamily(b);
  if (familyA !== familyB) return familyA - familyB;
  for (let i = 0; i < 16; i++) {
    const difference = a.bytes[i]! - b.bytes[i]!;
    if (difference !== 0) return difference < 0 ? -1 : 1;
  }
  return 0;
}

/** True when `a` and `b` are the same address (an IPv4-mapped IPv6 address equals its IPv4). */
export function ipEquals(a: IpAddress, b: IpAddress): boolean {
  return compareIps(a, b) === 0;
}

/** Adds 1 (or -1) to the family's bytes of `address`; undefined past the family's end. */
function step(address: IpAddress, direction: 1 | -1): IpAddress | undefined {
  const bytes = Uint8Array.from(address.bytes);
  const first = firstByte(ipFamily(address));
  for (let i = 15; i >= first; i--) {
    const value = bytes[i]! + direction;
    bytes[i] = value & 0xff;
    if (value >= 0 && value <= 0xff) return { bytes };
  }
  return undefined;
}

/**
 * The address after `address` in its family, or undefined after the last one
 * (255.255.255.255, ffff:...:ffff).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIp, nextIp, parseIp } from "./ip_math.ts";
 *
 * assert.equal(formatIp(nextIp(parseIp("10.0.0.255")!)!), "10.0.1.0");
 * assert.equal(formatIp(nextIp(parseIp("fd00::ffff")!)!), "fd00::1:0");
 * assert.equal(nextIp(parseIp("255.255.255.255")!), undefined);
 * ```
 */
export function nextIp(address: IpAddress): IpAddress | undefined {
  return step(address, 1);
}

/**
 * The address before `address` in its family, or undefined before the first one (0.0.0.0, ::).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIp, parseIp, previousIp } from "./ip_math.ts";
 *
 * assert.equal(formatIp(previousIp(parseIp("10.0.1.0")!)!), "10.0.0.255");
 * assert.equal(previousIp(parseIp("::")!), undefined);
 * ```
 */
export function previousIp(address: IpAddress): IpAddress | undefined {
  return step(address, -1);
}

/**
 * The address `n` after `address` (before it for a negative `n`), or undefined outside the
 * family.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIp, offsetIp, parseIp } from "./ip_math.ts";
 *
 * assert.equal(formatIp(offsetIp(parseIp("10.0.0.250")!, 10)!), "10.0.1.4");
 * assert.equal(formatIp(offsetIp(parseIp("fd00::10")!, -16n)!), "fd00::");
 * assert.equal(offsetIp(parseIp("0.0.0.1")!, -2), undefined);
 * ```
 */
export function offsetIp(address: IpAddress, n: bigint | number): IpAddress | undefined {
  const family = ipFamily(address);
  const value = ipToBigInt(address) + BigInt(n);
  if (value < 0n || value >= 1n << BigInt(familyBits(family))) return undefined;
  return ipFromBigInt(value, family);
}

/** The bytes of `cidr`'s address with the host bits set to `hostBit` (0 or 1). */
function withHostBits(cidr: IpCidr, hostBit: 0 | 1): Uint8Array {
  const bytes = Uint8Array.from(cidr.address.bytes);
  const family = cidrFamily(cidr);
  const prefix = familyPrefixLength(cidr) + firstByte(family) * 8;
  for (let bit = prefix; bit < 128; bit++) {
    const mask = 0x80 >> (bit & 7);
    if (hostBit === 1) bytes[bit >> 3]! |= mask;
    else bytes[bit >> 3]! &= ~mask;
  }
  return bytes;
}

/**
 * The network of a CIDR: its address with the host bits cleared, same prefix length.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatCidr, networkOf, parseCidr } from "./ip_math.ts";
 *
 * assert.equal(formatCidr(networkOf(parseCidr("10.1.2.5/24")!)), "10.1.2.0/24");
 * assert.equal(formatCidr(networkOf(parseCidr("fd00::1:5/112")!)), "fd00::1:0/112");
 * ```
 */
export function networkOf(cidr: IpCidr): IpCidr {
  return { ...cidr, address: { bytes: withHostBits(cidr, 0) } };
}

/**
 * The first address of a CIDR: its network address.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { firstIp, formatIp, parseCidr } from "./ip_math.ts";
 *
 * assert.equal(formatIp(firstIp(parseCidr("10.1.2.5/24")!)), "10.1.2.0");
 * ```
 */
export function firstIp(cidr: IpCidr): IpAddress {
  return { bytes: withHostBits(cidr, 0) };
}

/**
 * The last address of a CIDR: every host bit set.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIp, lastIp, parseCidr } from "./ip_math.ts";
 *
 * assert.equal(formatIp(lastIp(parseCidr("10.1.2.5/23")!)), "10.1.3.255");
 * assert.equal(formatIp(lastIp(parseCidr("fd00::/120")!)), "fd00::ff");
 * ```
 */
export function lastIp(cidr: IpCidr): IpAddress {
  return { bytes: withHostBits(cidr, 1) };
}

/**
 * The broadcast address of an IPv4 network (its last address); undefined for IPv6, which has
 * none, and for /31 and /32 networks (RFC 3021), which have none either.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { broadcastOf, formatIp, parseCidr } from "./ip_math.ts";
 *
 * assert.equal(formatIp(broadcastOf(parseCidr("10.1.2.5/24")!)!), "10.1.2.255");
 * assert.equal(broadcastOf(parseCidr("10.1.2.4/31")!), undefined);
 * assert.equal(broadcastOf(parseCidr("fd00::/64")!), undefined);
 * ```
 */
export function broadcastOf(cidr: IpCidr): IpAddress | undefined {
  if (cidrFamily(cidr) !== 4 || familyPrefixLength(cidr) > 30) return undefined;
  return lastIp(cidr);
}

/**
 * The number of addresses of a CIDR: 2 to the power of its host bits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cidrSize, parseCidr } from "./ip_math.ts";
 *
 * assert.equal(cidrSize(parseCidr("10.0.0.0/24")!), 256n);
 * assert.equal(cidrSize(parseCidr("fd00::/64")!), 2n ** 64n);
 * ```
 */
export function cidrSize(cidr: IpCidr): bigint {
  return 1n << BigInt(familyBits(cidrFamily(cidr)) - familyPrefixLength(cidr));
}

/**
 * True when `address` lies in `cidr`, with Go's `IPNet.Contains` rules: the families must match
 * (an IPv6 network never contains an IPv4 address, "::/0" included), and the prefix bits equal.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { containsIp, parseCidr, parseIp } from "./ip_math.ts";
 *
 * assert.equal(containsIp(parseCidr("10.1.0.0/16")!, parseIp("10.1.200.3")!), true);
 * assert.equal(containsIp(parseCidr("10.1.0.0/16")!, parseIp("10.2.0.1")!), false);
 * assert.equal(containsIp(parseCidr("::/0")!, parseIp("10.2.0.1")!), false);
 * assert.equal(containsIp(parseCidr("::ffff:10.1.0.0/112")!, parseIp("10.1.0.7")!), true);
 * ```
 */
export function containsIp(cidr: IpCidr, address: IpAddress): boolean {
  const family = cidrFamily(cidr);
  if (ipFamily(address) !== family) return false;
  const prefix = familyPrefixLength(cidr) + firstByte(family) * 8;
  const whole = prefix >> 3;
  for (let i = 0; i < whole; i++) {
    if (cidr.address.bytes[i] !== address.bytes[i]) return false;
  }
  const rest = prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff00 >> rest) & 0xff;
  return (cidr.address.bytes[whole]! & mask) === (address.bytes[whole]! & mask);
}

/**
 * True when the CIDRs share an address: same family, and one's network holds the other's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cidrsOverlap, parseCidr } from "./ip_math.ts";
 *
 * assert.equal(cidrsOverlap(parseCidr("10.0.0.0/16")!, parseCidr("10.0.3.0/24")!), true);
 * assert.equal(cidrsOverlap(parseCidr("10.0.0.0/24")!, parseCidr("10.0.1.0/24")!), false);
 * ```
 */
export function cidrsOverlap(a: IpCidr, b: IpCidr): boolean {
  return containsIp(a, firstIp(b)) || containsIp(b, firstIp(a));
}

/**
 * A CIDR from an address and a prefix length within the address's family; host bits are kept.
 *
 * @throws {RangeError} when the prefix length is not an integer from 0 to 32 (IPv4) or 128
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatCidr, makeCidr, parseIp } from "./ip_math.ts";
 *
 * assert.equal(formatCidr(makeCidr(parseIp("10.1.2.5")!, 24)), "10.1.2.5/24");
 * assert.equal(formatCidr(makeCidr(parseIp("fd00::5")!, 64)), "fd00::5/64");
 * ```
 */
export function makeCidr(address: IpAddress, prefixLength: number): IpCidr {
  const bits = familyBits(ipFamily(address));
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > bits) {
    throw new RangeError(`prefix length ${prefixLength} is not within 0-${bits}`);
  }
  return { address: { bytes: Uint8Array.from(address.bytes) }, prefixLength, bits };
}

/**
 * Every address from `start` to `end`, both included, in order; nothing when `end` comes
 * before `start` or the families differ. Lazy: a /64 can be walked as far as wanted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIp, ipRange, parseIp } from "./ip_math.ts";
 *
 * const walked = [...ipRange(parseIp("10.0.0.254")!, parseIp("10.0.1.1")!)].map(formatIp);
 * assert.deepEqual(walked, ["10.0.0.254", "10.0.0.255", "10.0.1.0", "10.0.1.1"]);
 * ```
 */
export function* ipRange(start: IpAddress, end: IpAddress): Generator<IpAddress, void, undefined> {
  if (ipFamily(start) !== ipFamily(end)) return;
  let current: IpAddress | undefined = start;
  while (current !== undefined && compareIps(current, end) <= 0) {
    yield current;
    current = nextIp(current);
  }
}

/**
 * An address's text in Go's canonical form, or undefined when it is not an address.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { canonicalIpText } from "./ip_math.ts";
 *
 * assert.equal(canonicalIpText("FD00:0::1"), "fd00::1");
 * assert.equal(canonicalIpText("::ffff:10.0.0.1"), "10.0.0.1");
 * assert.equal(canonicalIpText("10.0.0.01"), undefined);
 * ```
 */
export function canonicalIpText(text: string): string | undefined {
  return canonicalIp(text);
}

/**
 * A CIDR's text in Go's canonical form (host bits kept), or undefined when it is not a CIDR.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { canonicalCidrText } from "./ip_math.ts";
 *
 * assert.equal(canonicalCidrText("FD00::5/064"), "fd00::5/64");
 * assert.equal(canonicalCidrText("::ffff:10.0.0.5/120"), "10.0.0.5/24");
 * ```
 */
export function canonicalCidrText(text: string): string | undefined {
  return canonicalCidr(text);
}
