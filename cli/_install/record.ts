/**
 * The record of what deno-cni installed in a plugin directory: `.deno-cni-installed.json`, the
 * SHA-256 of each file it put there. A file counts as deno-cni's only while its content still
 * has that digest; a file replaced by anyone else, or never installed by deno-cni, is foreign.
 *
 * The record is read and rewritten under the directory lock (lock.ts) and replaced atomically,
 * so two installers at once neither lose each other's entries nor leave a torn file.
 */
import { join } from "node:path";
import { removeDurably, writeFileAtomic } from "./atomic.ts";
import { InstallError } from "./errors.ts";

/** The record's file name in the plugin directory. */
export const RECORD_NAME = ".deno-cni-installed.json";

/** One installed file. */
export interface RecordEntry {
  /** The SHA-256 of the content deno-cni wrote. */
  sha256: string;
}

/** The record: plugin file name to entry. */
export interface InstallRecord {
  files: Record<string, RecordEntry>;
}

const FORMAT = "deno-cni installed plugins, version 1";

/** Reads the record of `binDir`; an empty record when there is none. */
export async function readRecord(binDir: string): Promise<InstallRecord> {
  const path = join(binDir, RECORD_NAME);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { files: {} };
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InstallError(`The install record "${path}" is not JSON`);
  }
  const record = value as { format?: unknown; files?: unknown };
  if (
    typeof value !== "object" || value === null || record.format !== FORMAT ||
    typeof record.files !== "object" || record.files === null
  ) {
    throw new InstallError(`The install record "${path}" is not a deno-cni record`);
  }
  const files: Record<string, RecordEntry> = {};
  for (const [name, entry] of Object.entries(record.files as Record<string, unknown>)) {
    const digest = (entry as { sha256?: unknown } | null)?.sha256;
    if (typeof digest !== "string" || !/^[0-9a-f]{64}$/.test(digest)) {
      throw new InstallError(`The install record "${path}" has a bad entry for "${name}"`);
    }
    files[name] = { sha256: digest };
  }
  return { files };
}

/** Writes the record of `binDir` atomically; removes the file when the record is empty. */
export async function writeRecord(binDir: string, record: InstallRecord): Promise<void> {
  const path = join(binDir, RECORD_NAME);
  const names = Object.keys(record.files).sort();
  if (names.length === 0) {
    try {
      await removeDurably(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    return;
  }
  const files = Object.fromEntries(names.map((n) => [n, record.files[n]]));
  const text = JSON.stringify({ format: FORMAT, files }, null, 2) + "\n";
  await writeFileAtomic(path, { bytes: new TextEncoder().encode(text) }, { mode: 0o644 });
}
