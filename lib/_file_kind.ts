/**
 * What a path that is not a regular file is, for error messages.
 *
 * @module
 */

/** "a FIFO", "a directory", "a socket"...; "not a regular file" for anything else. */
export function fileKind(info: Deno.FileInfo): string {
  if (info.isDirectory) return "a directory";
  if (info.isFifo) return "a FIFO";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  if (info.isSocket) return "a socket";
  if (info.isSymlink) return "a symlink";
  return "not a regular file";
}
