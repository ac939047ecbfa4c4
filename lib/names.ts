/**
 * The rules for names that reach the kernel or a runtime: network names, container IDs and
 * interface names.
 *
 * @module
 */

const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$/;

/**
 * True for a valid network name or container ID: a letter or digit, then letters, digits, `_`,
 * `.` and `-` (spec "Section 1: Network configuration format" and "Section 2: Execution
 * Protocol").
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isValidName } from "./names.ts";
 *
 * assert.equal(isValidName("mynet-1.0"), true);
 * assert.equal(isValidName("-mynet"), false);
 * ```
 */
export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name);
}

/** The longest interface name in bytes: the kernel's IFNAMSIZ (16) less the terminating NUL. */
export const MAX_INTERFACE_NAME_BYTES = 15;

/** Unicode white space, as the runtime's validation of CNI_IFNAME rejects it. */
const UNICODE_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;

/**
 * What is wrong with CNI_IFNAME by the runtime's rules (spec "Section 2: Execution Protocol"): more than
 * 15 UTF-8 bytes, "." or "..", or a "/", ":" or white space character. An empty name passes:
 * whether it may be missing depends on the verb.
 *
 * @param name the interface name
 * @param byteLength its length in bytes, when it came as bytes that are not UTF-8
 * @returns the problem as the error message and details to report, or undefined
 */
export function interfaceNameProblem(
  name: string,
  byteLength: number = new TextEncoder().encode(name).length,
): { msg: string; details?: string } | undefined {
  if (byteLength > MAX_INTERFACE_NAME_BYTES) {
    return {
      msg: "interface name is too long",
      details: "interface name should be less than 16 characters",
    };
  }
  if (name === "." || name === "..") return { msg: "interface name is . or .." };
  if (name.includes("/") || name.includes(":") || hasUnicodeSpace(name)) {
    return { msg: "interface name contains / or : or whitespace characters" };
  }
  return undefined;
}

/**
 * `UNICODE_SPACE.test(name)`, without the regular expression for an ASCII name (the usual one),
 * whose white space is tab, line feed, vertical tab, form feed, carriage return and space.
 */
function hasUnicodeSpace(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code >= 0x80) return UNICODE_SPACE.test(name);
    if (code === 0x20 || (code >= 0x09 && code <= 0x0d)) return true;
  }
  return false;
}

/** Bytes the kernel treats as white space in a name (its `isspace`). */
function isKernelSpace(byte: number): boolean {
  return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d) || byte === 0xa0;
}

/**
 * Why the kernel would refuse `name` as an interface name, or undefined when it is valid both to
 * the kernel (`dev_valid_name`: 1 to 15 bytes, not "." or "..", no "/", ":", NUL or white space
 * byte) and to the runtime's rules above. Names that pass never need quoting: a program gets them
 * as one argument.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kernelInterfaceNameProblem } from "./names.ts";
 *
 * assert.equal(kernelInterfaceNameProblem("eth0"), undefined);
 * assert.equal(kernelInterfaceNameProblem("lo\nx"), "contains / or : or white space");
 * assert.equal(kernelInterfaceNameProblem("lo\nlink del eth0"), "is longer than 15 bytes");
 * ```
 */
export function kernelInterfaceNameProblem(name: string): string | undefined {
  const bytes = new TextEncoder().encode(name);
  if (bytes.length === 0) return "is empty";
  if (bytes.length > MAX_INTERFACE_NAME_BYTES) {
    return `is longer than ${MAX_INTERFACE_NAME_BYTES} bytes`;
  }
  if (name === "." || name === "..") return 'is "." or ".."';
  if (bytes.includes(0)) return "contains a NUL character";
  const bad = bytes.some((b) => b === 0x2f || b === 0x3a || isKernelSpace(b)) ||
    UNICODE_SPACE.test(name);
  return bad ? "contains / or : or white space" : undefined;
}
