/**
 * The text side of ip.ts: reading an address into 16 bytes and printing 16 bytes as Go does,
 * with no allocation but the result, because a plugin's start-up runs this cold for every
 * address of a previous result. ip.ts wraps it in its public API; result.ts uses
 * canonicalIp and canonicalCidr, which go from text to canonical text directly.
 */

/** One scratch buffer per use: the module is synchronous, so they are never shared in flight. */
let scratch: Uint8Array | undefined;
let scratchTail: Uint8Array | undefined;

/**
 * Reads dotted IPv4 in text[start, end) into out[at, at + 4): four decimal fields of 0-255,
 * each "0" or without leading zeros and at most three digits.
 */
function readIpv4(text: string, start: number, end: number, out: Uint8Array, at: number): boolean {
  let field = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : 0x2e; // the end closes the last field like a "."
    if (c === 0x2e) {
      if (digits === 0 || field === 4) return false;
      out[at + field] = value;
      field++;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if ((digits === 1 && value === 0) || digits === 3) return false;
      value = value * 10 + (c - 0x30);
      digits++;
      if (value > 255) return false;
    } else {
      return false;
    }
  }
  return field === 4;
}

/**
 * Reads the ":"-separated groups of text[start, end) into `out` from 0: each group is 1-4 hex
 * digits, except that the last may be dotted IPv4 when `allowIpv4`. Returns the number of bytes
 * read, or -1 when a group is invalid or the bytes would not fit in 16.
 */
function readGroups(
  text: string,
  start: number,
  end: number,
  out: Uint8Array,
  allowIpv4: boolean,
): number {
  if (start === end) return 0;
  let at = 0;
  let groupStart = start;
  for (let i = start; i <= end; i++) {
    if (i < end && text.charCodeAt(i) !== 0x3a) continue;
    const dot = i === end && allowIpv4 ? text.indexOf(".", groupStart) : -1;
    if (dot >= 0 && dot < end) {
      if (at > 12 || !readIpv4(text, groupStart, end, out, at)) return -1;
      return at + 4;
    }
    if (i - groupStart < 1 || i - groupStart > 4 || at > 14) return -1;
    let value = 0;
    for (let j = groupStart; j < i; j++) {
      const c = text.charCodeAt(j);
      const letter = c | 0x20; // "A"-"F" as "a"-"f"
      if (c >= 0x30 && c <= 0x39) value = value * 16 + (c - 0x30);
      else if (letter >= 0x61 && letter <= 0x66) value = value * 16 + (letter - 0x57);
      else return -1;
    }
    out[at] = value >> 8;
    out[at + 1] = value & 0xff;
    at += 2;
    groupStart = i + 1;
  }
  return at;
}

/**
 * Reads an IPv6 address: groups, at most one "::" standing for at least one zero group, and
 * dotted IPv4 only at the very end (never before a "::").
 */
function readIpv6(text: string, out: Uint8Array): boolean {
  const gap = text.indexOf("::");
  if (gap < 0) return readGroups(text, 0, text.length, out, true) === 16;
  if (text.indexOf("::", gap + 2) >= 0) return false;
  const head = text.indexOf(".") >= 0 && text.indexOf(".") < gap
    ? -1
    : readGroups(text, 0, gap, out, true);
  if (head < 0) return false;
  scratchTail ??= new Uint8Array(16);
  const tail = readGroups(text, gap + 2, text.length, scratchTail, true);
  if (tail < 0 || 16 - head - tail < 2) return false;
  out.fill(0, head, 16 - tail);
  out.set(scratchTail.subarray(0, tail), 16 - tail);
  return true;
}

/** Reads an IPv4 or IPv6 address (no zone) into `out`, IPv4 as IPv4-mapped IPv6. */
export function readIp(text: string, out: Uint8Array): boolean {
  if (text.indexOf(":") >= 0) return readIpv6(text, out);
  out.fill(0, 0, 10);
  out[10] = 0xff;
  out[11] = 0xff;
  return readIpv4(text, 0, text.length, out, 12);
}

/** True for IPv4-mapped bytes: ten zeros, then two 0xff. */
export function isV4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/** Go's text of 16 address bytes: dotted IPv4 for IPv4-mapped, else compressed IPv6. */
export function ipText(bytes: Uint8Array): string {
  if (isV4Mapped(bytes)) return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  // The longest run of two or more zero groups (the first one on a tie) becomes "::".
  let runStart = -1;
  let runLength = 1;
  let zeros = -1;
  for (let i = 0; i <= 8; i++) {
    if (i < 8 && ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!) === 0) {
      if (zeros < 0) zeros = i;
    } else if (zeros >= 0) {
      if (i - zeros > runLength) {
        runStart = zeros;
        runLength = i - zeros;
      }
      zeros = -1;
    }
  }
  let text = "";
  let separate = false;
  for (let i = 0; i < 8; i++) {
    if (i === runStart) {
      text += "::";
      separate = false;
      i += runLength - 1;
      continue;
    }
    if (separate) text += ":";
    text += ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16);
    separate = true;
  }
  return text;
}

/**
 * Reads "address/prefix" into `out`, keeping host bits: the prefix is decimal digits (leading
 * zeros allowed) up to 32 for IPv4, 128 for IPv6. Returns the prefix length, or -1.
 */
export function readCidr(text: string, out: Uint8Array): number {
  const slash = text.indexOf("/");
  if (slash < 0 || slash === text.length - 1) return -1;
  const address = text.slice(0, slash);
  if (!readIp(address, out)) return -1;
  const bits = address.indexOf(":") >= 0 ? 128 : 32;
  let prefix = 0;
  for (let i = slash + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    prefix = Math.min(prefix * 10 + (c - 0x30), 1000);
  }
  return prefix > bits ? -1 : prefix;
}

/** The text of a CIDR as Go prints it: IPv4-mapped IPv6 as IPv4, its prefix less 96 (not below 0). */
export function cidrText(bytes: Uint8Array, prefixLength: number, bits: 32 | 128): string {
  const prefix = bits === 128 && isV4Mapped(bytes) ? Math.max(0, prefixLength - 96) : prefixLength;
  return `${ipText(bytes)}/${prefix}`;
}

// readIpv4 takes only decimal fields without leading zeros, which print back as they were read:
// dotted IPv4 that reads is canonical already, and so is an IPv4 CIDR whose prefix has no leading
// zero. The two functions below return such text as it is.

/** An address in Go's canonical text, or undefined when it is not an address. */
export function canonicalIp(text: string): string | undefined {
  scratch ??= new Uint8Array(16);
  if (!readIp(text, scratch)) return undefined;
  return text.indexOf(":") < 0 ? text : ipText(scratch);
}

/** True when `text` is a CIDR whose address is IPv4 or IPv4-mapped IPv6. */
export function isIpv4CidrText(text: string): boolean {
  scratch ??= new Uint8Array(16);
  return readCidr(text, scratch) >= 0 && isV4Mapped(scratch);
}

/** A CIDR in Go's canonical text (host bits kept), or undefined when it is not a CIDR. */
export function canonicalCidr(text: string): string | undefined {
  scratch ??= new Uint8Array(16);
  const prefix = readCidr(text, scratch);
  if (prefix < 0) return undefined;
  const slash = text.indexOf("/");
  if (text.lastIndexOf(":", slash) >= 0) return cidrText(scratch, prefix, 128);
  return text.charCodeAt(slash + 1) !== 0x30 || prefix === 0 && slash + 2 === text.length
    ? text
    : cidrText(scratch, prefix, 32);
}
