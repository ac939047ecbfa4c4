/**
 * IP addresses and CIDRs with the Go reference's rules: strict parsing (no leading zeros in IPv4,
 * no zones), canonical printing (IPv6 compressed per RFC 5952, IPv4-mapped IPv6 as IPv4) and host
 * bits kept in CIDRs.
 */

/** A parsed address: 16 bytes, IPv4 held as IPv4-mapped IPv6. */
export interface IpAddress {
  readonly bytes: Uint8Array;
}

/** A parsed CIDR: an address with host bits kept, and its prefix length over 32 or 128 bits. */
export interface IpCidr {
  readonly address: IpAddress;
  readonly prefixLength: number;
  /** 32 for an IPv4 CIDR, 128 for an IPv6 one (IPv4-mapped IPv6 included). */
  readonly bits: 32 | 128;
}

const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function parseIpv4Bytes(text: string): number[] | undefined {
  const fields = text.split(".");
  if (fields.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const field of fields) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(field)) return undefined;
    const value = Number(field);
    if (value > 255) return undefined;
    bytes.push(value);
  }
  return bytes;
}

function parseIpv6Bytes(text: string): number[] | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): number[] | undefined => {
    if (part === "") return [];
    const bytes: number[] = [];
    const groups = part.split(":");
    for (const [i, group] of groups.entries()) {
      if (i === groups.length - 1 && group.includes(".")) {
        const v4 = parseIpv4Bytes(group);
        if (v4 === undefined) return undefined;
        bytes.push(...v4);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
        const value = parseInt(group, 16);
        bytes.push(value >> 8, value & 0xff);
      }
    }
    return bytes;
  };
  // An embedded IPv4 address may only end the address.
  if (halves.length === 2 && halves[0]!.includes(".")) return undefined;
  const head = groupsOf(halves[0]!);
  if (head === undefined) return undefined;
  if (halves.length === 1) return head.length === 16 ? head : undefined;
  const tail = groupsOf(halves[1]!);
  if (tail === undefined) return undefined;
  const missing = 16 - head.length - tail.length;
  // "::" stands for at least one zero group.
  if (missing < 2) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/** Parses an IPv4 or IPv6 address (no zone), or returns undefined. */
export function parseIp(text: string): IpAddress | undefined {
  if (text.includes(":")) {
    const bytes = parseIpv6Bytes(text);
    return bytes && { bytes: Uint8Array.from(bytes) };
  }
  const v4 = parseIpv4Bytes(text);
  return v4 && { bytes: Uint8Array.from([...V4_MAPPED_PREFIX, ...v4]) };
}

/** True for IPv4 addresses and IPv4-mapped IPv6 addresses (Go's `To4() != nil`). */
export function isIpv4(address: IpAddress): boolean {
  return V4_MAPPED_PREFIX.every((byte, i) => address.bytes[i] === byte);
}

/** Formats an address as Go does: dotted IPv4 (also for IPv4-mapped), else compressed IPv6. */
export function formatIp(address: IpAddress): string {
  const b = address.bytes;
  if (isIpv4(address)) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const groups = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  // The longest run of two or more zero groups (the first one on a tie) becomes "::".
  let runStart = -1;
  let runLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > runLength) [runStart, runLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (from: number, to: number) =>
    groups.slice(from, to).map((g) => g.toString(16)).join(":");
  return runStart < 0 ? hex(0, 8) : `${hex(0, runStart)}::${hex(runStart + runLength, 8)}`;
}

/**
 * Parses "address/prefix" like Go's net.ParseCIDR, keeping the host bits. IPv4 takes a prefix up
 * to 32; IPv6, including IPv4-mapped IPv6, up to 128.
 */
export function parseCidr(text: string): IpCidr | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const addressText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const address = parseIp(addressText);
  if (address === undefined || !/^[0-9]+$/.test(prefixText)) return undefined;
  const bits = addressText.includes(":") ? 128 : 32;
  const prefixLength = Number(prefixText);
  if (prefixLength > bits) return undefined;
  return { address, prefixLength, bits };
}

/**
 * Formats a CIDR as Go does. An IPv4-mapped IPv6 CIDR prints as IPv4 with its prefix length
 * reduced by 96 (never below 0).
 */
export function formatCidr(cidr: IpCidr): string {
  const prefix = cidr.bits === 128 && isIpv4(cidr.address)
    ? Math.max(0, cidr.prefixLength - 96)
    : cidr.prefixLength;
  return `${formatIp(cidr.address)}/${prefix}`;
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
  const cidr = parseCidr(text);
  return cidr !== undefined && isIpv4(cidr.address);
}
