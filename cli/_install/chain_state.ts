/**
 * What deno-cni changed in a configuration directory, so `uninstall` can put it back byte for
 * byte: `.deno-cni-chain.state` (JSON) names the original file and its digest, the backup that
 * holds its exact bytes, the file now active and the digest deno-cni wrote into it. After a
 * `--force` chain over someone else's change, the original is their file as they left it, less
 * deno-cni's entries.
 *
 * Anyone able to write the directory can write the state, so it is read only from a regular
 * file, and only a state that names what deno-cni itself would have written is used: the
 * original is a network file name, the backup and the active file are derived from it, the
 * plugins have good names. So a state can never make uninstall rename, write or remove another
 * file, inside the directory or out of it.
 *
 * Neither the state file nor a backup (`<original>.deno-cni-backup`) ends in `.conf`,
 * `.conflist` or `.json`, so no runtime ever loads them as a network.
 */
import { join } from "node:path";
import { removeDurably, writeFileAtomic } from "./atomic.ts";
import { goExt, isLoadedName } from "./conf_files.ts";
import { InstallError } from "./errors.ts";
import { badNameReason, NAME_MAX } from "./names.ts";
import { quoteName } from "./quote.ts";
import { readRegularFile } from "./regular_file.ts";

/** The state file's name in the configuration directory. */
export const STATE_NAME = ".deno-cni-chain.state";

/** The suffix of a backup of an original configuration. */
export const BACKUP_SUFFIX = ".deno-cni-backup";

/** What deno-cni changed in one configuration directory. */
export interface ChainState {
  /** The file as it was before deno-cni changed it (the name of the network file). */
  original: string;
  /** Its SHA-256. */
  originalSha256: string;
  /** The file holding its exact bytes. */
  backup: string;
  /** The file the runtime loads now: the original's name, or the `.conflist` it became. */
  active: string;
  /** The SHA-256 of what deno-cni last wrote into `active`. */
  activeSha256: string;
  /** The plugins deno-cni chained into it. */
  plugins: string[];
}

const FORMAT = "deno-cni chained network, version 1";

/** The largest state read; a real one is a few hundred bytes. */
const STATE_LIMIT = 1 << 20;

function isDigest(value: unknown): value is string {
  return typeof value === "string" && /^[0-9a-f]{64}$/.test(value);
}

const encoder = new TextEncoder();

/**
 * A name in the directory that the installer can record and print: no `/`, not `.` or `..`, no
 * control character (a newline would forge lines of its report), and short enough to have a
 * backup.
 */
export function isFileName(value: unknown): value is string {
  return typeof value === "string" && value !== "" && !value.includes("/") &&
    !hasControlCharacter(value) && value !== "." && value !== ".." &&
    encoder.encode(value + BACKUP_SUFFIX).length <= NAME_MAX;
}

/** True when `text` has a C0 control character or DEL. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** The file a network in `original` becomes when deno-cni chains into it. */
export function activeNameOf(original: string): string {
  const extension = goExt(original);
  return extension === ".conflist"
    ? original
    : original.slice(0, original.length - extension.length) + ".conflist";
}

/**
 * Why a state does not describe what deno-cni could have written, or undefined when it does:
 * the original is a network file a runtime loads, the backup is its name with
 * {@link BACKUP_SUFFIX}, the active file is the original or the `.conflist` it became, and each
 * plugin has a good name. Nothing else is ever renamed, written or removed from a state.
 */
function badStateReason(value: Partial<ChainState> & { format?: unknown }): string | undefined {
  if (value.format !== FORMAT) return "it is not a deno-cni chain state";
  if (!isFileName(value.original) || !isLoadedName(value.original)) {
    return "its original is not a network file name";
  }
  if (!isDigest(value.originalSha256) || !isDigest(value.activeSha256)) {
    return "a digest is missing";
  }
  if (value.backup !== value.original + BACKUP_SUFFIX) {
    return `its backup is not the original's name with "${BACKUP_SUFFIX}"`;
  }
  if (value.active !== activeNameOf(value.original)) {
    return "its active file is neither the original nor the .conflist it became";
  }
  if (!Array.isArray(value.plugins) || value.plugins.length === 0) {
    return "it names no plugin";
  }
  for (const plugin of value.plugins) {
    if (typeof plugin !== "string") return "a plugin name is not a string";
    const reason = badNameReason(plugin);
    if (reason !== undefined) return `the plugin name ${quoteName(plugin)} is bad: ${reason}`;
  }
  if (new Set(value.plugins).size !== value.plugins.length) return "a plugin is named twice";
  return undefined;
}

/**
 * Reads the state of `confDir`, or undefined when deno-cni changed nothing there. Throws an
 * InstallError when the state is not a regular file or does not describe what deno-cni writes.
 */
export async function readChainState(confDir: string): Promise<ChainState | undefined> {
  const path = join(confDir, STATE_NAME);
  const read = await readRegularFile(path, STATE_LIMIT);
  if (read.kind === "missing") return undefined;
  if (read.kind === "other") {
    throw new InstallError(`The chain state "${path}" is ${read.what}, not a file`);
  }
  if (read.kind === "too large") {
    throw new InstallError(`The chain state "${path}" is larger than ${STATE_LIMIT} bytes`);
  }
  let value: Partial<ChainState> & { format?: unknown };
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(read.bytes));
  } catch {
    throw new InstallError(`The chain state "${path}" is not JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InstallError(`The chain state "${path}" is not a deno-cni chain state`);
  }
  const reason = badStateReason(value);
  if (reason !== undefined) {
    throw new InstallError(`The chain state "${path}" is refused: ${reason}`);
  }
  return {
    original: value.original!,
    originalSha256: value.originalSha256!,
    backup: value.backup!,
    active: value.active!,
    activeSha256: value.activeSha256!,
    plugins: [...value.plugins!],
  };
}

/** Writes the state of `confDir` atomically. */
export async function writeChainState(confDir: string, state: ChainState): Promise<void> {
  const text = JSON.stringify({ format: FORMAT, ...state }, null, 2) + "\n";
  await writeFileAtomic(join(confDir, STATE_NAME), { bytes: new TextEncoder().encode(text) }, {
    mode: 0o644,
  });
}

/** Removes the state of `confDir`. */
export async function removeChainState(confDir: string): Promise<void> {
  await removeDurably(join(confDir, STATE_NAME));
}
