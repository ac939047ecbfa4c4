/**
 * Addresses as the model kernel holds them: a family and the address as one unsigned integer
 * (32 bits for IPv4, 128 for IPv6), with the masks and tests routing needs. Text is read and
 * written with the package's own parser and printer (`../ip.ts`).
 *
 * @module
 */
import { formatIp, parseCidr, parseIp } from "../ip.ts";

/** An address family: 4 or 6. */
export type Family = 4 | 6;

/** An address: its family and its value. */
export interface Inet {
  /** 4 or 6. */
  readonly family: Family;
  /** The address as an unsigned integer of 32 or 128 bits. */
  readonly value: bigint;
}

/** A prefix: an address and a prefix length (host bits kept as given). */
export interface Prefix extends Inet {
  /** The prefix length. */
  readonly length: number;
}

/** The number of bits of a family's addresses. */
export function bitsOf(family: Family): 32 | 128 {
  return family === 4 ? 32 : 128;
}

/** The mask of a prefix length. */
export function maskOf(family: Family, length: number): bigint {
  const bits = BigInt(bitsOf(family));
  const all = (1n << bits) - 1n;
  return length <= 0 ? 0n : all ^ ((1n << (bits - BigInt(length))) - 1n);
}

/** The address with its host bits cleared. */
export function networkOf(prefix: Prefix): bigint {
  return prefix.value & maskOf(prefix.family, prefix.length);
}

/** The last address of the prefix (the IPv4 directed broadcast). */
export function lastOf(prefix: Prefix): bigint {
  const bits = BigInt(bitsOf(prefix.family));
  return networkOf(prefix) | (((1n << bits) - 1n) ^ maskOf(prefix.family, prefix.length));
}

/** True when `value` lies in the prefix. */
export function prefixContains(prefix: Prefix, family: Family, value: bigint): boolean {
  if (family !== prefix.family) return false;
  const mask = maskOf(family, prefix.length);
  return (value & mask) === (prefix.value & mask);
}

function valueOf(bytes: Uint8Array, family: Family): bigint {
  let value = 0n;
  for (let i = family === 4 ? 12 : 0; i < 16; i++) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

/**
 * Reads an address: IPv4 when the text has no ":", IPv6 otherwise.
 *
 * @returns the address, or undefined when the text is not one
 */
export function readInet(text: string): Inet | undefined {
  const parsed = parseIp(text);
  if (parsed === undefined) return undefined;
  const family: Family = text.includes(":") ? 6 : 4;
  return { family, value: valueOf(parsed.bytes, family) };
}

/**
 * Reads "address/length" (host bits kept), IPv4 when the address has no ":".
 *
 * @returns the prefix, or undefined when the text is not one
 */
export function readPrefix(text: string): Prefix | undefined {
  const parsed = parseCidr(text);
  if (parsed === undefined) return undefined;
  const family: Family = parsed.bits === 32 ? 4 : 6;
  return { family, value: valueOf(parsed.address.bytes, family), length: parsed.prefixLength };
}

/** An address's canonical text. */
export function inetText(family: Family, value: bigint): string {
  const bytes = new Uint8Array(16);
  if (family === 4) {
    bytes[10] = 0xff;
    bytes[11] = 0xff;
  }
  let rest = value;
  for (let i = 15; i >= (family === 4 ? 12 : 0); i--) {
    bytes[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return formatIp({ bytes });
}

/** A prefix's canonical text, "address/length". */
export function prefixText(family: Family, value: bigint, length: number): string {
  return `${inetText(family, value)}/${length}`;
}

/** True for an IPv6 link-local unicast address (fe80::/10). */
export function isLinkLocal6(value: bigint): boolean {
  return value >> 118n === 0x3fan;
}

/** True for the IPv6 loopback address ::1. */
export function isLoopback6(value: bigint): boolean {
  return value === 1n;
}

/** True for an IPv6 multicast address (ff00::/8). */
export function isMulticast6(value: bigint): boolean {
  return value >> 120n === 0xffn;
}

/** True for an IPv4-mapped IPv6 address (::ffff:0:0/96). */
export function isV4Mapped6(value: bigint): boolean {
  return value >> 32n === 0xffffn;
}

/** 127.0.0.1, the address the kernel gives a loopback device that comes up. */
export const LOOPBACK4 = 0x7f000001n;
