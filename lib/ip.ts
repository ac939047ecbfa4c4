/**
 * IP addresses and CIDRs with the Go reference's rules: strict parsing (no leading zeros in IPv4,
 * no zones), canonical printing (IPv6 compressed per RFC 5952, IPv4-mapped IPv6 as IPv4) and host
 * bits kept in CIDRs.
 */
import { cidrText, ipText, isIpv4CidrText, isV4Mapped, readCidr, readIp } from "./_ip_text.ts";

/** A parsed address: 16 bytes, IPv4 held as IPv4-mapped IPv6. */
export interface IpAddress {
  /** The 16 bytes of the address. */
  readonly bytes: Uint8Array;
}

/** A parsed CIDR: an address with host bits kept, and its prefix length over 32 or 128 bits. */
export interface IpCidr {
  /** The address, host bits kept. */
  readonly address: IpAddress;
  /** The prefix length. */
  readonly prefixLength: number;
  /** 32 for an IPv4 CIDR, 128 for an IPv6 one (IPv4-mapped IPv6 included). */
  readonly bits: 32 | 128;
}

/** Parses an IPv4 or IPv6 address (no zone), or returns undefined. */
export function parseIp(text: string): IpAddress | undefined {
  const bytes = new Uint8Array(16);
  return readIp(text, bytes) ? { bytes } : undefined;
}

/** True for IPv4 addresses and IPv4-mapped IPv6 addresses (Go's `To4() != nil`). */
export function isIpv4(address: IpAddress): boolean {
  return isV4Mapped(address.bytes);
}

/** Formats an address as Go does: dotted IPv4 (also for IPv4-mapped), else compressed IPv6. */
export function formatIp(address: IpAddress): string {
  return ipText(address.bytes);
}

/**
 * Parses "address/prefix" like Go's net.ParseCIDR, keeping the host bits. IPv4 takes a prefix up
 * to 32; IPv6, including IPv4-mapped IPv6, up to 128.
 */
export function parseCidr(text: string): IpCidr | undefined {
  const bytes = new Uint8Array(16);
  const prefixLength = readCidr(text, bytes);
  if (prefixLength < 0) return undefined;
  const bits = text.lastIndexOf(":", text.indexOf("/")) >= 0 ? 128 : 32;
  return { address: { bytes }, prefixLength, bits };
}

/**
 * Formats a CIDR as Go does. An IPv4-mapped IPv6 CIDR prints as IPv4 with its prefix length
 * reduced by 96 (never below 0).
 */
export function formatCidr(cidr: IpCidr): string {
  return cidrText(cidr.address.bytes, cidr.prefixLength, cidr.bits);
}

/** True when `address` lies inside `cidr`. */
export function cidrContains(cidr: IpCidr, address: IpAddress): boolean {
  const prefix = cidr.bits === 32 ? cidr.prefixLength + 96 : cidr.prefixLength;
  for (let bit = 0; bit < prefix; bit++) {
    const mask = 0x80 >> (bit % 8);
    const index = Math.floor(bit / 8);
    if ((cidr.address.bytes[index]! & mask) !== (address.bytes[index]! & mask)) return false;
  }
  return true;
}

/** True when `text` is a CIDR whose address is IPv4 or IPv4-mapped (so "<nil>" is not). */
export function cidrIsIpv4(text: string): boolean {
  return isIpv4CidrText(text);
}
