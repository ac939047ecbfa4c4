/**
 * Checks of the values a request is built from. The namespace toolkit checks names and addresses
 * before a backend sees them; these checks hold for any caller, so no attribute is ever built
 * from a name the kernel would read differently, a number out of its field's range or a hardware
 * address of the wrong length. A failed check is a code 7 CniError (invalid network
 * configuration), as the value came from a configuration.
 *
 * @module
 */
import { goQuoteCapped } from "../_go_quote.ts";
import { CniError, ErrorCode } from "../errors.ts";
import { kernelInterfaceNameProblem } from "../names.ts";

/** A code 7 error: `invalid <what> <value>: <why>`. */
export function invalid(what: string, value: unknown, why?: string): CniError {
  const shown = typeof value === "string" ? goQuoteCapped(value) : String(value);
  return new CniError(
    ErrorCode.invalidNetworkConfig,
    `invalid ${what} ${shown}${why === undefined ? "" : `: ${why}`}`,
  );
}

/**
 * An interface name the kernel takes as it is: 1 to 15 bytes, no NUL, "/", ":" or white space,
 * not "." or "..".
 *
 * @returns the name
 */
export function checkName(name: string, what = "interface name"): string {
  if (typeof name !== "string") throw invalid(what, name, "it is not a string");
  const problem = kernelInterfaceNameProblem(name);
  if (problem !== undefined) throw invalid(what, name, `it ${problem}`);
  return name;
}

/**
 * An integer from `min` to `max`.
 *
 * @returns the number
 */
export function checkInteger(value: number, what: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(what, value, `it must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** The largest unsigned 32-bit number. */
export const MAX_U32 = 0xffffffff;

/** A hardware address of six bytes, "0a:58:0a:01:00:05" (either case): its bytes. */
export function parseMac(text: string, what = "hardware address"): Uint8Array<ArrayBuffer> {
  if (typeof text !== "string" || !/^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$/.test(text)) {
    throw invalid(what, text, "it must be six hexadecimal bytes separated by colons");
  }
  return Uint8Array.from(text.split(":"), (byte) => parseInt(byte, 16));
}

/** Hardware address bytes as text, lower case with colons. */
export function formatMac(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join(":");
}
