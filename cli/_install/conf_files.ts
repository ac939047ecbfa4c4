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
 * The installer's own files in a configuration directory never end in one of those extensions.
 */
import { join } from "node:path";
import { InstallError } from "./errors.ts";

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

/** The names of the files a runtime would consider, in the order it considers them. */
export async function confFileNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isDirectory && isLoadedName(entry.name)) names.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return names.sort(compareGoStrings);
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
}

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

/** Parses a configuration file's bytes as a runtime would, or throws why it cannot be loaded. */
export function parseNetwork(file: string, bytes: Uint8Array, path: string): Network {
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
    return {
      file,
      bytes,
      kind: "list",
      name: document.name,
      cniVersion: (document.cniVersion as string | undefined) ?? "",
      document,
      plugins: plugins.map((p, i) => checkPluginEntry(p, `Plugin ${i} of "${path}"`)),
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
  };
}

/** The network a runtime uses from `dir`: the first file of {@link confFileNames}. */
export async function activeNetwork(dir: string): Promise<Network> {
  const names = await confFileNames(dir);
  const first = names[0];
  if (first === undefined) {
    throw new InstallError(
      `No network configuration in "${dir}" (no *.conf, *.conflist or *.json file)`,
    );
  }
  const path = join(dir, first);
  const info = await Deno.lstat(path);
  if (info.isSymlink) {
    throw new InstallError(`"${path}" is a symbolic link; chain into the file it points to`);
  }
  if (!info.isFile) throw new InstallError(`"${path}" is not a regular file`);
  return parseNetwork(first, await Deno.readFile(path), path);
}
