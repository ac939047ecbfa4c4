/**
 * Reading the installer's own files and the files it judges (records, states, backups,
 * networks, plugins) only when they are regular files: a symbolic link is never followed, and a
 * FIFO or a device is never opened (a read of one could block for ever or never end). The file
 * opened is checked to be the one looked at, so a swap in between is noticed.
 */
import { createHash } from "node:crypto";

/** What is at a path. */
export type PathKind =
  | { readonly kind: "missing" }
  | { readonly kind: "other"; readonly what: string }
  | { readonly kind: "file"; readonly info: Deno.FileInfo };

/** What a non-regular file is, for a message: "a symbolic link", "a directory"... */
export function describeNonFile(info: Deno.FileInfo): string {
  if (info.isSymlink) return "a symbolic link";
  if (info.isDirectory) return "a directory";
  return "not a regular file";
}

/** The lstat of `path`, sorted into missing, a regular file, or something else. */
export async function kindAt(path: string): Promise<PathKind> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { kind: "missing" };
    throw error;
  }
  return info.isFile ? { kind: "file", info } : { kind: "other", what: describeNonFile(info) };
}

/** Thrown when a file changed kind or identity between its lstat and its opening. */
export class FileSwappedError extends Error {
  override name = "FileSwappedError";
}

/**
 * Opens the regular file `path` whose lstat is `info` and checks that the file opened is that
 * one (same device and inode).
 */
async function openChecked(path: string, info: Deno.FileInfo): Promise<Deno.FsFile> {
  const file = await Deno.open(path, { read: true });
  try {
    const opened = await file.stat();
    if (!opened.isFile || opened.ino !== info.ino || opened.dev !== info.dev) {
      throw new FileSwappedError(`"${path}" changed while it was being opened`);
    }
    return file;
  } catch (error) {
    file.close();
    throw error;
  }
}

/** A regular file's content, or what stands in its place. */
export type ReadResult =
  | { readonly kind: "missing" }
  | { readonly kind: "other"; readonly what: string }
  | { readonly kind: "too large" }
  | { readonly kind: "file"; readonly bytes: Uint8Array; readonly info: Deno.FileInfo };

/** Reads `path` when it is a regular file of at most `limit` bytes. */
export async function readRegularFile(path: string, limit: number): Promise<ReadResult> {
  const at = await kindAt(path);
  if (at.kind !== "file") return at;
  if (at.info.size > limit) return { kind: "too large" };
  const file = await openChecked(path, at.info);
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of file.readable) {
      total += chunk.length;
      if (total > limit) return { kind: "too large" };
      chunks.push(chunk);
    }
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    return { kind: "file", bytes, info: at.info };
  } finally {
    try {
      file.close();
    } catch {
      // file.readable closes the file when it ends.
    }
  }
}

/** A regular file's SHA-256, or what stands in its place. */
export type DigestResult =
  | { readonly kind: "missing" }
  | { readonly kind: "other"; readonly what: string }
  | { readonly kind: "file"; readonly sha256: string; readonly info: Deno.FileInfo };

/** The SHA-256 of `path` when it is a regular file, read in chunks. */
export async function digestRegularFile(path: string): Promise<DigestResult> {
  const at = await kindAt(path);
  if (at.kind !== "file") return at;
  const file = await openChecked(path, at.info);
  const hash = createHash("sha256");
  try {
    for await (const chunk of file.readable) hash.update(chunk);
  } finally {
    try {
      file.close();
    } catch {
      // file.readable closes the file when it ends.
    }
  }
  return { kind: "file", sha256: hash.digest("hex"), info: at.info };
}

/** The SHA-256 of `path` when it is a regular file, else undefined. */
export async function regularFileSha256(path: string): Promise<string | undefined> {
  const digest = await digestRegularFile(path);
  return digest.kind === "file" ? digest.sha256 : undefined;
}
