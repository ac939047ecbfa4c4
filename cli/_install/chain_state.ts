/**
 * What deno-cni changed in a configuration directory, so `uninstall` can put it back byte for
 * byte: `.deno-cni-chain.state` (JSON) names the original file and its digest, the backup that
 * holds its exact bytes, the file now active and the digest deno-cni wrote into it.
 *
 * Neither the state file nor a backup (`<original>.deno-cni-backup`) ends in `.conf`,
 * `.conflist` or `.json`, so no runtime ever loads them as a network.
 */
import { join } from "node:path";
import { removeDurably, writeFileAtomic } from "./atomic.ts";
import { InstallError } from "./errors.ts";

/** The state file's name in the configuration directory. */
export const STATE_NAME = ".deno-cni-chain.state";

/** The suffix of a backup of an original configuration. */
export const BACKUP_SUFFIX = ".deno-cni-backup";

/** What deno-cni changed in one configuration directory. */
export interface ChainState {
  /** The file as it was before deno-cni changed it. */
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

function isDigest(value: unknown): value is string {
  return typeof value === "string" && /^[0-9a-f]{64}$/.test(value);
}

function isFileName(value: unknown): value is string {
  return typeof value === "string" && value !== "" && !value.includes("/") &&
    value !== "." && value !== "..";
}

/** Reads the state of `confDir`, or undefined when deno-cni changed nothing there. */
export async function readChainState(confDir: string): Promise<ChainState | undefined> {
  const path = join(confDir, STATE_NAME);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  let value: Partial<ChainState> & { format?: unknown };
  try {
    value = JSON.parse(text);
  } catch {
    throw new InstallError(`The chain state "${path}" is not JSON`);
  }
  if (
    value?.format !== FORMAT || !isFileName(value.original) || !isDigest(value.originalSha256) ||
    !isFileName(value.backup) || !isFileName(value.active) || !isDigest(value.activeSha256) ||
    !Array.isArray(value.plugins) || !value.plugins.every((p) => typeof p === "string")
  ) {
    throw new InstallError(`The chain state "${path}" is not a deno-cni chain state`);
  }
  return {
    original: value.original,
    originalSha256: value.originalSha256,
    backup: value.backup,
    active: value.active,
    activeSha256: value.activeSha256,
    plugins: value.plugins,
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
