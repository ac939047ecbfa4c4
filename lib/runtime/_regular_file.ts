/**
 * Reading the files a runtime is pointed at (network files, cache entries) only when they are
 * regular files: a FIFO or a device put in their place would make the read wait for ever, where
 * libcni waits too; here the read fails and says why.
 *
 * @module
 */

/** What a path that is not a regular file is, for a message. */
function kindOf(info: Deno.FileInfo): string {
  if (info.isDirectory) return "a directory";
  if (info.isFifo) return "a FIFO";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  if (info.isSocket) return "a socket";
  return "not a regular file";
}

/**
 * The bytes of the regular file at `path` (symbolic links followed).
 *
 * @throws {Error} `not a regular file (a FIFO)` and the like, or Deno's error
 */
export async function readRegularFile(path: string): Promise<Uint8Array> {
  const info = await Deno.stat(path);
  if (!info.isFile) throw new Error(`not a regular file (${kindOf(info)})`);
  return await Deno.readFile(path);
}
