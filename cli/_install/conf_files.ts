/**
 * Which network configuration a runtime uses, decided as libcni 1.1.2 and containerd's CRI
 * decide it:
 *
 * - libcni's `ConfFiles(dir, extensions)` lists the entries of `dir` that are not directories
 *   (symbolic links included) whose extension, Go's `filepath.Ext` (the name from its last dot),
 *   is exactly one of the extensions; hidden files count like any other;
 * - the caller sorts the paths with Go's `sort.Strings` (byte order) and the first is the default
 *   network; containerd asks for `.conf`, `.conflist` and `.json`;
 * - a `.conflist` is read with `ConfListFromFile` (a `name`, a `cniVersion` string when present,
 *   a non-empty `plugins` array whose entries each have a `type`), any other file with
 *   `ConfFromFile` (one plugin, which needs a `type`), then promoted by `ConfListFromConf` to a
 *   list `{"cniVersion", "name", "plugins": [the whole file]}`.
 *
 * Go takes a file name as bytes, so libcni lists a name that is not valid UTF-8 like any other.
 * Deno reports such a name with U+FFFD in place of the bad bytes, a name that opens nothing, so
 * the installer cannot read the file and sets it apart (lib/_dir_entries.ts; whether it is a
 * directory cannot be told either). It is skipped, with a warning, when it certainly sorts after
 * the network chosen; when it may sort before it (its bytes are known only up to the first bad
 * one), a runtime may load it first, and the installer refuses to chain.
 *
 * The installer's own files in a configuration directory never end in one of those extensions.
 */
import { join } from "node:path";
import { type DirListing, readDirEntries } from "../../lib/_dir_entries.ts";
import { InstallError } from "./errors.ts";
import {
  type JsonArray,
  type JsonNode,
  type JsonObject,
  memberMap,
  parseJsonText,
} from "./json_text.ts";
import { quoteName } from "./quote.ts";
import { readRegularFile } from "./regular_file.ts";

/** The extensions containerd's CRI loads from the configuration directory. */
export const LOADED_EXTENSIONS: readonly string[] = [".conf", ".conflist", ".json"];

/** Go's `filepath.Ext` of a file name: from the last dot, or "" without one. */
export function goExt(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot < 0 ? "" : name.slice(dot);
}

/** Whether libcni's `ConfFiles` with containerd's extensions lists a file of this name. */
export function isLoadedName(name: string): boolean {
  return LOADED_EXTENSIONS.includes(goExt(name));
}

const encoder = new TextEncoder();

/** Go's string order: bytewise on the UTF-8 encoding. */
export function compareGoStrings(a: string, b: string): number {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const length = Math.min(x.length, y.length);
  for (let i = 0; i < length; i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return x.length - y.length;
}

/** A configuration directory's files, as far as the installer can use them. */
export interface ConfListing {
  /** The names of the files a runtime would consider, in the order it considers them. */
  readonly names: string[];
  /**
   * Entries with a loaded extension whose names are not valid UTF-8 (as Deno reports them, with
   * U+FFFD): the installer cannot open them by name, but a runtime may load them.
   */
  readonly unusable: string[];
}

/** Lists `dir` as libcni's `ConfFiles` does; nothing when it does not exist. */
export async function listConfFiles(dir: string): Promise<ConfListing> {
  let listing: DirListing;
  try {
    listing = await readDirEntries(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { names: [], unusable: [] };
    throw error;
  }
  const names = listing.entries.filter((e) => !e.isDirectory && isLoadedName(e.name)).map((e) =>
    e.name
  );
  return {
    names: names.sort(compareGoStrings),
    unusable: listing.unusable.filter(isLoadedName).sort(compareGoStrings),
  };
}

/** The names of the files a runtime would consider, in the order it considers them. */
export async function confFileNames(dir: string): Promise<string[]> {
  return (await listConfFiles(dir)).names;
}

/**
 * Whether a file whose name is not UTF-8, reported as `lossy`, may sort before `name` in byte
 * order. Its bytes are known up to the first U+FFFD, and the byte there is 0x80 or more (an
 * ASCII byte is always valid UTF-8): so the order is known when the names differ before that
 * point, or when `name` has there an ASCII byte or ends; otherwise it may go either way.
 */
export function mayPrecede(lossy: string, name: string): boolean {
  const cut = lossy.indexOf("\uFFFD");
  const known = encoder.encode(cut < 0 ? lossy : lossy.slice(0, cut));
  const other = encoder.encode(name);
  for (let i = 0; i < known.length; i++) {
    if (i >= other.length) return false;
    if (known[i] !== other[i]) return known[i]! < other[i]!;
  }
  const next = other[known.length];
  return next !== undefined && next >= 0x80;
}

/** A network configuration as a runtime loads it. */
export interface Network {
  /** The file's name in the directory. */
  readonly file: string;
  /** The file's exact bytes. */
  readonly bytes: Uint8Array;
  /** "list" for a `.conflist`; "single" for a one-plugin `.conf` or `.json`. */
  readonly kind: "list" | "single";
  /** The network's name. */
  readonly name: string;
  /** The network's `cniVersion` ("" when absent, as libcni leaves it). */
  readonly cniVersion: string;
  /** The parsed file. */
  readonly document: Record<string, unknown>;
  /** The plugin entries, as the runtime would run them (a single file is its own entry). */
  readonly plugins: readonly Record<string, unknown>[];
  /** The file's top-level object, with where each value is in `bytes`. */
  readonly root: JsonObject;
  /** A list's `plugins` array (the last, when the key is there twice); undefined for a single. */
  readonly list: JsonArray | undefined;
  /** The text of each of {@link plugins}. */
  readonly entries: readonly JsonNode[];
}

/** The largest network file read (a network file is a few kilobytes). */
export const NETWORK_LIMIT = 16 << 20;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkPluginEntry(value: unknown, where: string): Record<string, unknown> {
  if (!isObject(value)) throw new InstallError(`${where} is not a JSON object`);
  if (typeof value.type !== "string" || value.type === "") {
    throw new InstallError(`${where} has no "type"`);
  }
  for (const key of ["name", "cniVersion"]) {
    if (key in value && typeof value[key] !== "string") {
      throw new InstallError(`${where} has a "${key}" that is not a string`);
    }
  }
  return value;
}

/** The text of a network: its top-level object and, for a list, its `plugins` array. */
function parseText(
  bytes: Uint8Array,
  path: string,
): { root: JsonObject; list: JsonArray | undefined } {
  let root: JsonNode;
  try {
    root = parseJsonText(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InstallError(`"${path}" is not JSON: ${reason}`);
  }
  if (root.kind !== "object") throw new InstallError(`"${path}" is not a JSON object`);
  const plugins = memberMap(root).get("plugins");
  return { root, list: plugins?.kind === "array" ? plugins : undefined };
}

/** Parses a configuration file's bytes as a runtime would, or throws why it cannot be loaded. */
export function parseNetwork(file: string, bytes: Uint8Array, path: string): Network {
  const { root, list } = parseText(bytes, path);
  let document: unknown;
  try {
    // ignoreBOM keeps a byte order mark, which JSON.parse rejects as Go does.
    document = JSON.parse(new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InstallError(`"${path}" is not JSON: ${reason}`);
  }
  if (!isObject(document)) throw new InstallError(`"${path}" is not a JSON object`);
  if (goExt(file) === ".conflist") {
    if (typeof document.name !== "string") {
      throw new InstallError(`"${path}" has no "name" string`);
    }
    if ("cniVersion" in document && typeof document.cniVersion !== "string") {
      throw new InstallError(`"${path}" has a "cniVersion" that is not a string`);
    }
    if ("disableCheck" in document && typeof document.disableCheck !== "boolean") {
      throw new InstallError(`"${path}" has a "disableCheck" that is not a boolean`);
    }
    const plugins = document.plugins;
    if (!Array.isArray(plugins) || plugins.length === 0) {
      throw new InstallError(`"${path}" has no "plugins" list`);
    }
    if (list === undefined || list.items.length !== plugins.length) {
      throw new InstallError(`"${path}" has a "plugins" list the installer cannot place`);
    }
    return {
      file,
      bytes,
      kind: "list",
      name: document.name,
      cniVersion: (document.cniVersion as string | undefined) ?? "",
      document,
      plugins: plugins.map((p, i) => checkPluginEntry(p, `Plugin ${i} of "${path}"`)),
      root,
      list,
      entries: list.items,
    };
  }
  const single = checkPluginEntry(document, `"${path}"`);
  return {
    file,
    bytes,
    kind: "single",
    name: (single.name as string | undefined) ?? "",
    cniVersion: (single.cniVersion as string | undefined) ?? "",
    document: single,
    plugins: [single],
    root,
    list: undefined,
    entries: [root],
  };
}

/**
 * The network a runtime uses from `dir`: the first file of {@link listConfFiles} (or of
 * `listing`, when the caller has listed the directory already). A file whose name is not UTF-8
 * is skipped, unless it may sort first: then a runtime may load it instead, and the installer
 * refuses rather than change a network that may not be the one in use.
 */
export async function activeNetwork(
  dir: string,
  listing?: ConfListing,
): Promise<Network> {
  const { names, unusable } = listing ?? await listConfFiles(dir);
  const first = names[0];
  const before = unusable.find((lossy) => first === undefined || mayPrecede(lossy, first));
  if (before !== undefined) {
    throw new InstallError(
      `The file ${quoteName(before)} in "${dir}" has a name that is not valid UTF-8 and may be ` +
        `the network runtimes load first${
          first === undefined ? "" : ` (before "${first}")`
        }: rename or remove it`,
    );
  }
  if (first === undefined) {
    throw new InstallError(
      `No network configuration in "${dir}" (no *.conf, *.conflist or *.json file)`,
    );
  }
  const path = join(dir, first);
  const read = await readRegularFile(path, NETWORK_LIMIT);
  if (read.kind === "missing") throw new InstallError(`"${path}" is gone`);
  if (read.kind === "other" && read.what === "a symbolic link") {
    throw new InstallError(`"${path}" is a symbolic link; chain into the file it points to`);
  }
  if (read.kind === "other") throw new InstallError(`"${path}" is not a regular file`);
  if (read.kind === "too large") {
    throw new InstallError(`"${path}" is larger than ${NETWORK_LIMIT} bytes`);
  }
  return parseNetwork(first, read.bytes, path);
}
