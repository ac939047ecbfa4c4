/**
 * Reading and writing files by fd through the C library, with EINTR retried: the way to use a
 * file opened inside a namespace from outside it, and to read /proc without Deno's permissions.
 *
 * @module
 */
import { close, open, read, SystemCallError, write } from "./_libc.ts";
import { O_CLOEXEC, O_RDONLY } from "./_uapi.ts";
import { ERRNO } from "./errno.ts";

function retried<T>(call: () => T): T {
  for (;;) {
    try {
      return call();
    } catch (error) {
      if (error instanceof SystemCallError && error.errno === ERRNO.EINTR) continue;
      throw error;
    }
  }
}

/**
 * Reads an fd to its end, at most `limit` bytes.
 *
 * @throws {SystemCallError} when a read fails
 */
export function readAll(fd: number, limit = 1 << 20): string {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buffer = new Uint8Array(4096);
  for (;;) {
    const count = retried(() => read(fd, buffer));
    if (count === 0) break;
    chunks.push(buffer.slice(0, count));
    total += count;
    if (total > limit) throw new RangeError(`more than ${limit} bytes to read`);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return new TextDecoder().decode(bytes);
}

/**
 * Writes all of `text` to an fd.
 *
 * @throws {SystemCallError} when a write fails
 */
export function writeAll(fd: number, text: string): void {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  while (at < bytes.length) {
    const rest = bytes.slice(at);
    const count = retried(() => write(fd, rest));
    if (count === 0) throw new SystemCallError("write", ERRNO.EIO);
    at += count;
  }
}

/**
 * Reads a file by path (e.g. under /proc).
 *
 * @throws {SystemCallError} when it cannot be opened or read
 */
export function readPath(path: string): string {
  const fd = retried(() => open(path, O_RDONLY | O_CLOEXEC));
  try {
    return readAll(fd);
  } finally {
    close(fd);
  }
}
