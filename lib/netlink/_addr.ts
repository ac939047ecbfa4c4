/**
 * IP addresses and prefixes as the kernel takes them: a family and 4 or 16 bytes. Text is read
 * with the toolkit's strict rules (`../ip.ts`) and written canonically.
 *
 * @module
 */
import { cidrText, ipText, isV4Mapped, readCidr, readIp } from "../_ip_text.ts";
import { invalid } from "./_check.ts";
import { AF_INET, AF_INET6 } from "./_uapi.ts";

/** An address: its family and its bytes (4 for IPv4, 16 for IPv6). */
export interface KernelAddress {
  /** 4 or 6. */
  readonly family: 4 | 6;
  /** The address's bytes. */
  readonly bytes: Uint8Array<ArrayBuffer>;
}

/** A prefix: an address with host bits kept and its prefix length. */
export interface KernelPrefix extends KernelAddress {
  /** The prefix length, up to 32 or 128. */
  readonly prefixLength: number;
}

/** AF_INET or AF_INET6 for a family. */
export function addressFamily(family: 4 | 6): number {
  return family === 4 ? AF_INET : AF_INET6;
}

function fromMapped(mapped: Uint8Array): KernelAddress {
  return isV4Mapped(mapped)
    ? { family: 4, bytes: mapped.slice(12, 16) }
    : { family: 6, bytes: mapped.slice() };
}

/**
 * Reads an address ("10.1.0.1", "2001:db8::1"); an IPv4-mapped IPv6 address is IPv4.
 *
 * @throws {CniError} code 7 naming `what` when it is not one
 */
export function parseAddress(text: string, what: string): KernelAddress {
  const mapped = new Uint8Array(16);
  if (typeof text !== "string" || !readIp(text, mapped)) throw invalid(what, text);
  return fromMapped(mapped);
}

/**
 * Reads a prefix ("10.1.0.0/16"); a bare address is a host prefix (/32 or /128) when `bare` is
 * true. An IPv4-mapped IPv6 prefix is IPv4, its length less 96.
 *
 * @throws {CniError} code 7 naming `what` when it is not one
 */
export function parsePrefix(text: string, what: string, bare = false): KernelPrefix {
  if (typeof text !== "string") throw invalid(what, text);
  const mapped = new Uint8Array(16);
  if (bare && !text.includes("/")) {
    if (!readIp(text, mapped)) throw invalid(what, text);
    const address = fromMapped(mapped);
    return { ...address, prefixLength: address.family === 4 ? 32 : 128 };
  }
  const length = readCidr(text, mapped);
  if (length < 0) throw invalid(what, text);
  const address = fromMapped(mapped);
  const v6Text = text.lastIndexOf(":", text.indexOf("/")) >= 0;
  const prefixLength = address.family === 4 && v6Text ? length - 96 : length;
  if (prefixLength < 0) throw invalid(what, text, "an IPv4-mapped prefix shorter than 96 bits");
  return { ...address, prefixLength };
}

function toMapped(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 16) return bytes;
  const mapped = new Uint8Array(16);
  mapped[10] = 0xff;
  mapped[11] = 0xff;
  mapped.set(bytes, 12);
  return mapped;
}

/** The canonical text of 4 or 16 address bytes. */
export function formatAddress(bytes: Uint8Array): string {
  return ipText(toMapped(bytes));
}

/** The canonical text of a prefix of 4 or 16 bytes ("10.1.0.0/16"). */
export function formatPrefix(bytes: Uint8Array, prefixLength: number): string {
  return bytes.length === 4
    ? `${formatAddress(bytes)}/${prefixLength}`
    : cidrText(bytes, prefixLength, 128);
}
