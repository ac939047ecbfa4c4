/**
 * The tuning plugin's backup of a link's settings, in the reference's file and format: what ADD
 * is about to change (MAC, promiscuous mode, MTU, all-multicast mode, transmit queue length) is
 * kept in `<dataDir>/<container ID>_<ifname>.json`, which DEL reads to put the link back. The file
 * is Go's `json.MarshalIndent(..., "", " ")` of the reference's record, mode 0600, in a directory
 * made with mode 0600 when missing; so the reference and this plugin each restore what the other
 * backed up.
 *
 * @module
 */
import { joinPath } from "./sysctl_keys.ts";

/** The settings of a link that ADD changed, as they were before. */
export interface LinkBackup {
  /** The MAC address ("0a:58:0a:01:00:05"). */
  mac?: string;
  /** Promiscuous mode. */
  promisc?: boolean;
  /** The MTU; 0 and absent mean none, as in the reference. */
  mtu?: number;
  /** All-multicast mode. */
  allmulti?: boolean;
  /** The transmit queue length. */
  txQLen?: number;
}

/** The backup file of an attachment: `<dataDir>/<containerId>_<ifName>.json`, as Go joins it. */
export function backupPath(dataDir: string, containerId: string, ifName: string): string {
  return joinPath(dataDir, `${containerId}_${ifName}.json`);
}

/**
 * The file's text: the reference's record with its keys in its order, indented by one space, no
 * final newline; a key is left out when it was not backed up.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatBackup } from "./backup.ts";
 *
 * assert.equal(formatBackup({ mtu: 1500, mac: "0a:58:0a:01:00:05" }),
 *   '{\n "mac": "0a:58:0a:01:00:05",\n "mtu": 1500\n}');
 * assert.equal(formatBackup({}), "{}");
 * ```
 */
export function formatBackup(backup: LinkBackup): string {
  const record: Record<string, unknown> = {};
  if (backup.mac !== undefined && backup.mac !== "") record.mac = backup.mac;
  if (backup.promisc !== undefined) record.promisc = backup.promisc;
  if (backup.mtu !== undefined && backup.mtu !== 0) record.mtu = backup.mtu;
  if (backup.allmulti !== undefined) record.allmulti = backup.allmulti;
  if (backup.txQLen !== undefined) record.txQLen = backup.txQLen;
  return JSON.stringify(record, null, 1);
}

/** The key of the record that a JSON key stands for, matched as Go matches struct fields. */
const FIELDS: Readonly<Record<string, keyof LinkBackup>> = {
  mac: "mac",
  promisc: "promisc",
  mtu: "mtu",
  allmulti: "allmulti",
  txqlen: "txQLen",
};

/**
 * Reads a backup file's text as the reference's `json.Unmarshal` does: keys in any letter case,
 * `null` for none, unknown keys ignored. Anything it would refuse (not JSON, a value of the wrong
 * type) gives undefined: the reference then restores nothing and keeps the file.
 */
export function parseBackup(text: string): LinkBackup | undefined {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (document === null) return {};
  if (typeof document !== "object" || Array.isArray(document)) return undefined;
  const backup: LinkBackup = {};
  for (const [key, value] of Object.entries(document as Record<string, unknown>)) {
    const field = FIELDS[key.toLowerCase()];
    if (field === undefined || value === null) continue;
    if (field === "mac") {
      if (typeof value !== "string") return undefined;
      backup.mac = value;
    } else if (field === "promisc" || field === "allmulti") {
      if (typeof value !== "boolean") return undefined;
      backup[field] = value;
    } else {
      if (typeof value !== "number" || !Number.isSafeInteger(value)) return undefined;
      backup[field] = value;
    }
  }
  return backup;
}

/** Reads the backup file; undefined when there is none. */
export async function readBackupFile(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * Writes the backup file: its directory made (mode 0600, as the reference makes it) when missing,
 * the text written to a new file beside it (mode 0600) and renamed over the old one, so that a
 * crash never leaves half a file.
 *
 * @param path the file
 * @param text its text
 * @param ifName the interface, which the reference's message names
 * @throws {Error} naming the file when it cannot be written
 */
export async function writeBackupFile(path: string, text: string, ifName: string): Promise<void> {
  const slash = path.lastIndexOf("/");
  const dir = slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
  try {
    await Deno.stat(dir);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    try {
      await Deno.mkdir(dir, { recursive: true, mode: 0o600 });
    } catch (error) {
      if (error instanceof Deno.errors.NotCapable) throw error;
      throw new Error(`failed to create backup directory: ${(error as Error).message}`);
    }
  }
  const name = path.slice(slash + 1);
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16))
    .join("");
  const temporary = `${dir}/.${name}.${suffix}.tmp`;
  try {
    await Deno.writeTextFile(temporary, text, { mode: 0o600, createNew: true });
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    if (error instanceof Deno.errors.NotCapable) throw error;
    throw new Error(`failed to save file ${ifName}.json: ${(error as Error).message}`);
  }
}

/** Removes the backup file; a file already gone is fine. */
export async function removeBackupFile(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
