/**
 * Finding a network by name in a configuration directory, as libcni's `LoadNetworkConf` does:
 * `*.conflist` files in name order first, each with the plugin files of `<dir>/<name>/*.conf`
 * added; then single `*.conf` and `*.json` plugin configurations, made one-plugin lists. The
 * first file whose `name` matches wins, and a file that does not parse fails the search, whatever
 * network it holds. A file whose name is not UTF-8 cannot be opened by its name here, so it is
 * left out, with a warning, and the search goes on without it.
 *
 * @module
 */
import { readRegularFile } from "./_regular_file.ts";
import { readDirEntries } from "../_dir_entries.ts";
import { extension, joinPath } from "../_paths.ts";
import { compareUtf8 } from "./_go_encode.ts";
import { fsErrorText, isNotFound } from "./_fs_error.ts";
import {
  networkConfigListFromPlugin,
  parseNetworkConfigList,
  parsePluginConfig,
} from "./network_config.ts";
import type { NetworkConfigList, PluginConfig } from "./types.ts";

/** No configuration in the directory has the network's name. */
export class NotFoundError extends Error {
  /** `no net configuration with name "<network>" in <dir>` */
  constructor(
    /** The directory searched. */
    readonly dir: string,
    /** The name looked for. */
    readonly network: string,
  ) {
    super(`no net configuration with name "${network}" in ${dir}`);
    this.name = "NotFoundError";
  }
}

/** The directory holds no configuration of the kind looked for. */
export class NoConfigsFoundError extends Error {
  /** `no net configurations found in <dir>` */
  constructor(
    /** The directory searched. */
    readonly dir: string,
  ) {
    super(`no net configurations found in ${dir}`);
    this.name = "NoConfigsFoundError";
  }
}

/** How the configuration files are read. */
export interface LoadOptions {
  /** Told about each file left out because its name is not UTF-8; default: nobody. */
  readonly warn?: (message: string) => void | Promise<void>;
}

/**
 * The files of `dir` (not subdirectories) with one of `extensions`, sorted by name; none when
 * `dir` does not exist (libcni's `ConfFiles`). A file whose name is not UTF-8 is left out, and
 * `options.warn` told.
 *
 * @throws {Error} when `dir` cannot be read
 */
export async function configFiles(
  dir: string,
  extensions: readonly string[],
  options: LoadOptions = {},
): Promise<string[]> {
  let listing;
  try {
    listing = await readDirEntries(dir);
  } catch (error) {
    if (isNotFound(error)) return [];
    throw new Error(fsErrorText("open", dir, error), { cause: error });
  }
  for (const name of listing.unusable.sort(compareUtf8)) {
    if (extensions.includes(extension(name))) {
      await options.warn?.(
        `ignoring ${JSON.stringify(joinPath(dir, name))}: its name is not valid UTF-8`,
      );
    }
  }
  // A name that is not UTF-8 but reads as an existing one's is that file again: once is enough.
  const names = new Set<string>();
  for (const entry of listing.entries) {
    if (!entry.isDirectory && extensions.includes(extension(entry.name))) names.add(entry.name);
  }
  return [...names].sort(compareUtf8).map((name) => joinPath(dir, name));
}

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return await readRegularFile(file);
  } catch (error) {
    throw new Error(`error reading ${file}: ${fsErrorText("open", file, error)}`, {
      cause: error,
    });
  }
}

/**
 * The plugin configurations in `<dir>/<network>/*.conf`, in name order (spec 1.1.0; libcni's
 * `NetworkPluginConfsFromFiles`).
 */
export async function loadPluginConfigFiles(
  dir: string,
  network: string,
  options: LoadOptions = {},
): Promise<PluginConfig[]> {
  const pluginDir = joinPath(dir, network);
  let files: string[];
  try {
    files = await configFiles(pluginDir, [".conf"], options);
  } catch (error) {
    throw new Error(
      `failed to read plugin config files in ${pluginDir}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const plugins: PluginConfig[] = [];
  for (const file of files) plugins.push(parsePluginConfig(await readBytes(file)));
  return plugins;
}

/**
 * Reads a `.conflist` file and adds the plugins of `<its dir>/<name>/*.conf` unless the list says
 * `loadOnlyInlinedPlugins` (libcni's `NetworkConfFromFile`).
 *
 * @throws {Error} `no plugin configs found` when the list ends up with no plugin
 */
export async function readNetworkConfigFile(
  file: string,
  options: LoadOptions = {},
): Promise<NetworkConfigList> {
  const list = parseNetworkConfigList(await readBytes(file));
  let plugins = list.plugins;
  if (!list.loadOnlyInlinedPlugins) {
    const slash = file.lastIndexOf("/");
    const dir = slash < 0 ? "." : slash === 0 ? "/" : file.slice(0, slash);
    plugins = [...plugins, ...await loadPluginConfigFiles(dir, list.name, options)];
  }
  if (plugins.length === 0) throw new Error("no plugin configs found");
  return { ...list, plugins };
}

/**
 * Loads the network called `name` from the configuration directory `dir`.
 *
 * @example
 * ```ts ignore
 * const list = await loadNetworkConfigList("/etc/cni/net.d", "mynet");
 * ```
 *
 * @throws {NotFoundError} when no file has that name
 * @throws {NoConfigsFoundError} when the directory holds no configuration at all
 * @throws {Error} when a file cannot be read or parsed
 */
export async function loadNetworkConfigList(
  dir: string,
  name: string,
  options: LoadOptions = {},
): Promise<NetworkConfigList> {
  const lists = await configFiles(dir, [".conflist"], options);
  for (const file of lists) {
    const list = await readNetworkConfigFile(file, options);
    if (list.name === name) return list;
  }
  const singles = await configFiles(dir, [".conf", ".json"], options);
  if (singles.length === 0) {
    throw lists.length === 0 ? new NoConfigsFoundError(dir) : new NotFoundError(dir, name);
  }
  for (const file of singles) {
    const plugin = parsePluginConfig(await readBytes(file));
    if (plugin.name === name) return networkConfigListFromPlugin(plugin);
  }
  throw new NotFoundError(dir, name);
}
