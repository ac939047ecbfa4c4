/**
 * Hardware addresses: the kernel's rules for the ones a link may have, the random ones it makes,
 * and the IPv6 interface identifier it derives from one.
 *
 * @module
 */

/** The six bytes of a hardware address, or undefined when `text` is not "xx:xx:xx:xx:xx:xx". */
export function readMac(text: string): number[] | undefined {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(text)) return undefined;
  return text.split(":").map((part) => parseInt(part, 16));
}

/** The lower case text of six bytes. */
export function macText(bytes: readonly number[]): string {
  return bytes.map((byte) => byte.toString(16).padStart(2, "0")).join(":");
}

/**
 * True when an Ethernet link may have the address: not all zeros and not multicast (the
 * kernel's `is_valid_ether_addr`; anything else is EADDRNOTAVAIL).
 */
export function isValidEtherAddress(bytes: readonly number[]): boolean {
  return (bytes[0]! & 1) === 0 && bytes.some((byte) => byte !== 0);
}

/** A random-number generator: the next value in [0, 1). */
export type Random = () => number;

/**
 * A small deterministic generator (mulberry32): the same seed gives the same sequence, so a test
 * sees the same "random" addresses on every run.
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random locally administered unicast address, as the kernel's `eth_random_addr` makes. */
export function randomMac(random: Random): string {
  const bytes = Array.from({ length: 6 }, () => Math.floor(random() * 256));
  bytes[0] = (bytes[0]! & 0xfe) | 0x02;
  return macText(bytes);
}

/**
 * The IPv6 link-local address the kernel derives from a hardware address (modified EUI-64:
 * ff:fe in the middle, the universal/local bit flipped), as a 128-bit value.
 */
export function linkLocalFromMac(mac: string): bigint {
  const bytes = readMac(mac) ?? [0, 0, 0, 0, 0, 0];
  const id = [bytes[0]! ^ 0x02, bytes[1]!, bytes[2]!, 0xff, 0xfe, bytes[3]!, bytes[4]!, bytes[5]!];
  let value = 0xfe80n << 112n;
  for (let i = 0; i < 8; i++) value |= BigInt(id[i]!) << BigInt(8 * (7 - i));
  return value;
}
