/**
 * Sysctls as files under /proc/sys. A file there is resolved against the network namespace of
 * the thread that opens it, at open time; so the file is opened inside the namespace (by the
 * caller's `within`) and read or written from anywhere afterwards.
 *
 * A key is words separated by dots ("net.ipv4.conf.eth0.forwarding") or slashes
 * ("net/ipv4/conf/eth0.100/forwarding"), as `sysctl` takes them: with dots, a slash stands for
 * a dot in a word (an interface name such as "eth0.100"); with a slash first, dots are literal.
 *
 * @module
 */
import { close, open, SystemCallError } from "./_libc.ts";
import { readAll, writeAll } from "./_file.ts";
import { invalid } from "./_check.ts";
import { O_CLOEXEC, O_RDONLY, O_WRONLY } from "./_uapi.ts";
import { kernelError } from "./errno.ts";

/** A word of a key: nothing that could climb out of /proc/sys or be read as an option. */
const WORD = /^[A-Za-z0-9_@#+-][A-Za-z0-9_@#+.-]*$/;

/** Values longer than this are refused: no sysctl takes one. */
const MAX_VALUE_BYTES = 4096;

/**
 * The file of a sysctl key under /proc/sys.
 *
 * @throws {CniError} code 7 for a key that is not words separated by dots or slashes
 */
export function sysctlPath(key: string): string {
  if (typeof key !== "string" || key.length === 0 || key.length > 1024) {
    throw invalid("sysctl key", key);
  }
  const firstDot = key.indexOf(".");
  const firstSlash = key.indexOf("/");
  const slashes = firstSlash >= 0 && (firstDot < 0 || firstSlash < firstDot);
  const words = slashes ? key.split("/") : key.split(".").map((word) => word.replaceAll("/", "."));
  if (words.some((word) => !WORD.test(word) || word === "." || word === "..")) {
    throw invalid("sysctl key", key);
  }
  return `/proc/sys/${words.join("/")}`;
}

function checkValue(value: string): string {
  // deno-lint-ignore no-control-regex
  if (typeof value !== "string" || /[\x00-\x08\x0a-\x1f]/.test(value)) {
    throw invalid("sysctl value", value, "it has control characters");
  }
  if (new TextEncoder().encode(value).length > MAX_VALUE_BYTES) {
    throw invalid("sysctl value", value, `it is longer than ${MAX_VALUE_BYTES} bytes`);
  }
  return value;
}

/** Opens the file for a key inside (through `within`) and hands its fd to `use`, then closes it. */
function withFile<T>(
  key: string,
  flags: number,
  operation: string,
  within: (block: () => number) => number,
  use: (fd: number) => T,
): T {
  const path = sysctlPath(key);
  const object = JSON.stringify(key);
  let fd: number;
  try {
    fd = within(() => open(path, flags | O_CLOEXEC));
  } catch (error) {
    if (error instanceof SystemCallError) throw kernelError(error.errno, operation, object);
    throw error;
  }
  try {
    return use(fd);
  } catch (error) {
    if (error instanceof SystemCallError) throw kernelError(error.errno, operation, object);
    throw error;
  } finally {
    close(fd);
  }
}

/** Runs a block where the caller is: for the plugin's own namespace. */
export function here(block: () => number): number {
  return block();
}

/**
 * Reads a sysctl, trimmed.
 *
 * @param key e.g. "net.ipv4.ip_forward"
 * @param within opens the file inside the namespace; {@link here} for the thread's own
 * @throws {KernelError} ENOENT for a key that does not exist
 */
export function readSysctl(key: string, within: (block: () => number) => number = here): string {
  return withFile(key, O_RDONLY, "read sysctl", within, (fd) => readAll(fd).trim());
}

/**
 * Writes a sysctl.
 *
 * @param key e.g. "net.ipv4.ip_forward"
 * @param value e.g. "1"
 * @param within opens the file inside the namespace; {@link here} for the thread's own
 * @throws {KernelError} ENOENT for a key that does not exist, EINVAL for a value it refuses
 */
export function writeSysctl(
  key: string,
  value: string,
  within: (block: () => number) => number = here,
): void {
  checkValue(value);
  withFile(key, O_WRONLY, "write sysctl", within, (fd) => writeAll(fd, value));
}
