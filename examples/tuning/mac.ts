/**
 * Hardware addresses as Go's `net.ParseMAC` reads them: 6, 8 or 20 bytes written as pairs of hex
 * digits separated by `:` or `-`, or as groups of four separated by `.`.
 *
 * @module
 */

/** Go's refusal: `address <text>: invalid MAC address`. */
export class InvalidMacError extends Error {
  /**
   * Makes the error.
   *
   * @param text the text that is not an address
   */
  constructor(text: string) {
    super(`address ${text}: invalid MAC address`);
    this.name = "InvalidMacError";
  }
}

function hexPair(text: string): number | undefined {
  return /^[0-9A-Fa-f]{2}$/.test(text) ? parseInt(text, 16) : undefined;
}

/**
 * Parses a hardware address as `net.ParseMAC` does.
 *
 * @param text e.g. "0a:58:0a:01:00:05", "0A-58-0A-01-00-05" or "0a58.0a01.0005"
 * @returns its bytes: 6, 8 or 20 of them
 * @throws {InvalidMacError} when it is none of those forms
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatMac, parseMac } from "./mac.ts";
 *
 * assert.equal(formatMac(parseMac("0A-58-0A-01-00-05")), "0a:58:0a:01:00:05");
 * assert.equal(formatMac(parseMac("0a58.0a01.0005")), "0a:58:0a:01:00:05");
 * assert.equal(parseMac("00:11:22:33:44:55:66:77").length, 8);
 * assert.throws(() => parseMac("0a:58:0a:01:00"), { message: "address 0a:58:0a:01:00: invalid MAC address" });
 * ```
 */
export function parseMac(text: string): Uint8Array {
  const fail = () => new InvalidMacError(text);
  if (text.length < 14) throw fail();
  const separator = text[2];
  let groups: string[];
  let bytes: number[];
  if (separator === ":" || separator === "-") {
    if ((text.length + 1) % 3 !== 0) throw fail();
    groups = text.split(separator);
    bytes = groups.map((group) => group.length === 2 ? hexPair(group) ?? -1 : -1);
  } else if (text[4] === ".") {
    if ((text.length + 1) % 5 !== 0) throw fail();
    groups = text.split(".");
    bytes = groups.flatMap((group) =>
      group.length === 4 ? [hexPair(group.slice(0, 2)) ?? -1, hexPair(group.slice(2)) ?? -1] : [-1]
    );
  } else {
    throw fail();
  }
  if (![6, 8, 20].includes(bytes.length) || bytes.some((byte) => byte < 0)) throw fail();
  return Uint8Array.from(bytes);
}

/** A hardware address as the kernel prints it: lower-case hex pairs separated by colons. */
export function formatMac(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join(":");
}
