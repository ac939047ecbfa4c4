/**
 * The record of what deno-cni installed in a plugin directory: `.deno-cni-installed.json`, the
 * SHA-256 of each file it put there. A file counts as deno-cni's only while its content still
 * has that digest; a file replaced by anyone else, or never installed by deno-cni, is foreign.
 *
 * The record is read and rewritten under the directory lock (lock.ts) and replaced atomically,
 * so two installers at once neither lose each other's entries nor leave a torn file.
 *
 * Anyone able to write the directory can write the record, so nothing in it is trusted: the
 * record must be a regular file (not a symbolic link), and each entry's name gets the check a
 * name on the command line gets (names.ts: no `/`, no `..`, no NUL...). An entry that fails is
 * set apart, never acted on, and written back as it was.
 */
import { join } from "node:path";
import { removeDurably, writeFileAtomic } from "./atomic.ts";
import { InstallError } from "./errors.ts";
import { badNameReason } from "./names.ts";
import { readRegularFile } from "./regular_file.ts";

/** The record's file name in the plugin directory. */
export const RECORD_NAME = ".deno-cni-installed.json";

/** The largest record read; a real one is a few hundred bytes per plugin. */
export const RECORD_LIMIT = 1 << 20;

/** One installed file. */
export interface RecordEntry {
  /** The SHA-256 of the content deno-cni wrote. */
  sha256: string;
}

/** An entry of the record that is not acted on, and why. */
export interface RejectedEntry {
  /** The name as the record has it. */
  readonly name: string;
  /** Why it is refused. */
  readonly reason: string;
  /** The entry's value as the record has it, written back unchanged. */
  readonly value: unknown;
}

/** The record: plugin file name to entry (a map without a prototype), and the refused entries. */
export interface InstallRecord {
  files: Record<string, RecordEntry>;
  /** Entries with a bad name or digest; empty for a record deno-cni wrote. */
  rejected: RejectedEntry[];
}

const FORMAT = "deno-cni installed plugins, version 1";

/** An empty map of names to entries, where "__proto__" and "constructor" are plain keys. */
function emptyFiles(): Record<string, RecordEntry> {
  return Object.create(null);
}

/** The entry of `name`, only when the record has it as its own key. */
export function recordEntry(record: InstallRecord, name: string): RecordEntry | undefined {
  return Object.hasOwn(record.files, name) ? record.files[name] : undefined;
}

/**
 * Reads the record of `binDir`; an empty record when there is none. Throws an InstallError when
 * the record is not a regular file or not a deno-cni record at all.
 */
export async function readRecord(binDir: string): Promise<InstallRecord> {
  const path = join(binDir, RECORD_NAME);
  const read = await readRegularFile(path, RECORD_LIMIT);
  if (read.kind === "missing") return { files: emptyFiles(), rejected: [] };
  if (read.kind === "other") {
    throw new InstallError(`The install record "${path}" is ${read.what}, not a file`);
  }
  if (read.kind === "too large") {
    throw new InstallError(`The install record "${path}" is larger than ${RECORD_LIMIT} bytes`);
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(read.bytes));
  } catch {
    throw new InstallError(`The install record "${path}" is not JSON`);
  }
  const record = value as { format?: unknown; files?: unknown };
  if (
    typeof value !== "object" || value === null || record.format !== FORMAT ||
    typeof record.files !== "object" || record.files === null || Array.isArray(record.files)
  ) {
    throw new InstallError(`The install record "${path}" is not a deno-cni record`);
  }
  const files = emptyFiles();
  const rejected: RejectedEntry[] = [];
  for (const [name, entry] of Object.entries(record.files as Record<string, unknown>)) {
    const bad = badNameReason(name);
    const digest = (entry as { sha256?: unknown } | null)?.sha256;
    if (bad !== undefined) {
      rejected.push({ name, reason: `a bad plugin name: ${bad}`, value: entry });
    } else if (typeof digest !== "string" || !/^[0-9a-f]{64}$/.test(digest)) {
      rejected.push({ name, reason: "no SHA-256 digest", value: entry });
    } else {
      files[name] = { sha256: digest };
    }
  }
  return { files, rejected };
}

/**
 * Writes the record of `binDir` atomically, refused entries kept as they were unless the name
 * now has an entry; removes the file when the record is empty.
 */
export async function writeRecord(binDir: string, record: InstallRecord): Promise<void> {
  const path = join(binDir, RECORD_NAME);
  const entries = new Map<string, unknown>();
  for (const rejected of record.rejected) entries.set(rejected.name, rejected.value);
  for (const name of Object.keys(record.files)) entries.set(name, record.files[name]);
  if (entries.size === 0) {
    try {
      await removeDurably(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    return;
  }
  const files = Object.fromEntries([...entries].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0));
  const text = JSON.stringify({ format: FORMAT, files }, null, 2) + "\n";
  await writeFileAtomic(path, { bytes: new TextEncoder().encode(text) }, { mode: 0o644 });
}
