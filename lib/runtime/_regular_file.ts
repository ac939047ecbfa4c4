/**
 * Reading the files a runtime is pointed at (network files, cache entries) only when they are
 * regular files: a FIFO or a device put in their place would make the read wait for ever, where
 * libcni waits too; here the read fails and says why.
 *
 * @module
 */
import { fileKind } from "../_file_kind.ts";

/**
 * The bytes of the regular file at `path` (symbolic links followed).
 *
 * @throws {Error} `not a regular file (a FIFO)` and the like, or Deno's error
 */
export async function readRegularFile(path: string): Promise<Uint8Array> {
  const info = await Deno.stat(path);
  if (!info.isFile) throw new Error(`not a regular file (${fileKind(info)})`);
  return await Deno.readFile(path);
}
