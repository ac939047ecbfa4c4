/**
 * Atomic file replacement: a temporary file beside the target, written and made durable before
 * a rename puts it in place, so a reader sees the old file or the new one and never a part.
 *
 * The temporary name is `.<name>.deno-cni-tmp-<hex>`: it starts with a dot and its extension
 * (everything from the last dot) is `.deno-cni-tmp-<hex>`, so libcni's `ConfFiles`, which keeps
 * only `.conf`, `.conflist` and `.json`, never loads it from a configuration directory.
 */
import { createHash } from "node:crypto";
import { basename, dirname, join } from "node:path";

/** The marker in every temporary file name. */
export const TEMP_MARKER = ".deno-cni-tmp-";

/** A fresh temporary path beside `path`. */
export function tempPathBeside(path: string): string {
  const random = crypto.getRandomValues(new Uint8Array(8));
  const hex = Array.from(random, (b) => b.toString(16).padStart(2, "0")).join("");
  return join(dirname(path), `.${basename(path)}${TEMP_MARKER}${hex}`);
}

/** Flushes a directory's entries (a rename or an unlink in it) to disk. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await Deno.open(dir, { read: true });
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}

/** Ownership and mode for a file written by {@link writeFileAtomic}. */
export interface FileMode {
  /** Permission bits, set with chmod so the umask does not change them. */
  readonly mode: number;
  /** Owner to give the file; chown is called only when it differs from the creator's. */
  readonly uid?: number | undefined;
  /** Group to give the file; likewise. */
  readonly gid?: number | undefined;
}

/** Where the bytes come from: in memory, or another file copied in chunks. */
export type Content = { readonly bytes: Uint8Array } | { readonly copyFrom: string };

/**
 * Replaces `path` atomically with `content`: writes a temporary file beside it, sets its mode
 * (and owner), fsyncs it, renames it over `path` and fsyncs the directory. The temporary file is
 * removed when anything fails. Returns the SHA-256 of the bytes written.
 */
export async function writeFileAtomic(
  path: string,
  content: Content,
  mode: FileMode,
): Promise<string> {
  const temp = tempPathBeside(path);
  const hash = createHash("sha256");
  const file = await Deno.open(temp, { write: true, createNew: true, mode: 0o600 });
  let renamed = false;
  try {
    try {
      if ("bytes" in content) {
        hash.update(content.bytes);
        await writeAll(file, content.bytes);
      } else {
        const source = await Deno.open(content.copyFrom, { read: true });
        for await (const chunk of source.readable) {
          hash.update(chunk);
          await writeAll(file, chunk);
        }
      }
      // chmod before fsync, so the fsync makes the mode durable with the data.
      await Deno.chmod(temp, mode.mode);
      const created = await file.stat();
      const uid = mode.uid !== undefined && mode.uid !== created.uid ? mode.uid : null;
      const gid = mode.gid !== undefined && mode.gid !== created.gid ? mode.gid : null;
      if (uid !== null || gid !== null) await Deno.chown(temp, uid, gid);
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temp, path);
    renamed = true;
    await syncDir(dirname(path));
  } finally {
    if (!renamed) await removeIfExists(temp);
  }
  return hash.digest("hex");
}

/** Renames `from` to `to` (atomically replacing `to`) and fsyncs the directory. */
export async function renameDurably(from: string, to: string): Promise<void> {
  await Deno.rename(from, to);
  await syncDir(dirname(to));
}

/** Removes a file and fsyncs its directory. */
export async function removeDurably(path: string): Promise<void> {
  await Deno.remove(path);
  await syncDir(dirname(path));
}

/** Removes a file when it exists. */
export async function removeIfExists(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** The lstat of a path, or undefined when there is nothing there. */
export async function lstatIfExists(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await file.write(bytes.subarray(offset));
}
