/**
 * What conform tests: a network found by name in NETCONFPATH (as cnitool finds it), or a
 * configuration file (a plugin configuration or a configuration list), optionally with the plugin
 * executable given by name or path. One given by path is run from there, while CNI_PATH stays as
 * given (its directory never joins it, where anything beside it would stand in for a delegate).
 * host-local IPAM without a `dataDir` gets one in conform's temporary directory, so no reservation
 * lands in /var/lib/cni.
 *
 * @module
 */
import { readRegularFile } from "../../lib/runtime/_regular_file.ts";
import { encodeOrdered } from "../../lib/runtime/_go_encode.ts";
import {
  absPath,
  decodePluginConfig,
  type JsonObject,
  loadNetworkConfigList,
  type LoadOptions,
  type NetworkConfigList,
  networkConfigListFromPlugin,
  type PluginConfig,
  readNetworkConfigFile,
  splitCniPath,
} from "../../lib/runtime/mod.ts";

/** Where the network configurations are when NETCONFPATH is not set (as cnitool). */
export const DEFAULT_NETCONF_PATH = "/etc/cni/net.d";

/** What the command line names. */
export type TargetSpec =
  | { readonly kind: "network"; readonly network: string }
  | { readonly kind: "config"; readonly config: string; readonly plugin?: string };

/** The network under test and where its plugins are. */
export interface Target {
  readonly list: NetworkConfigList;
  /** The plugin directories, CNI_PATH of every plugin run. */
  readonly path: readonly string[];
  /** The plugin given by its path (`--plugin DIR/NAME`): its type and executable. */
  readonly executables?: ReadonlyMap<string, string>;
  /** What conform changed or assumed, for the report's first lines. */
  readonly notes: readonly string[];
}

/** What loading needs from the process. */
export interface TargetEnv {
  readonly getenv: (name: string) => string | undefined;
  /** For relative paths. */
  readonly cwd: string;
  /** Where host-local keeps reservations when the configuration names no `dataDir`. */
  readonly dataDir: string;
  /**
   * An empty directory of conform's own: CNI_PATH when the plugin is given by its path and
   * CNI_PATH is not set, so that the plugin finds no delegate rather than one planted anywhere.
   */
  readonly emptyDir: string;
  /** Told about configuration files left out (names that are not UTF-8). */
  readonly warn?: (message: string) => void | Promise<void>;
}

function isRecord(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function cniPath(env: TargetEnv, required: boolean): string[] {
  const value = env.getenv("CNI_PATH") ?? "";
  if (value === "") {
    if (!required) return [];
    throw new Error(
      "CNI_PATH is not set: give the plugin directories, e.g. CNI_PATH=./bin:/usr/lib/cni",
    );
  }
  return splitCniPath(value).map((dir) => (dir === "" ? dir : absPath(dir, env.cwd)));
}

/** The IPAM plugins that keep leases in a `dataDir`: the reference's and this project's. */
const HOST_LOCAL_TYPES: readonly string[] = ["host-local", "deno-host-local"];

/** The plugin with host-local's `dataDir` set when it has none. */
function withDataDir(plugin: PluginConfig, dataDir: string): PluginConfig {
  const ipam = plugin.raw.ipam;
  if (
    !isRecord(ipam) || !HOST_LOCAL_TYPES.includes(String(ipam.type)) ||
    Object.hasOwn(ipam, "dataDir")
  ) {
    return plugin;
  }
  return { ...plugin, raw: { ...plugin.raw, ipam: { ...ipam, dataDir } } };
}

/** The list with its plugins replaced, its bytes re-encoded to match. */
function withPlugins(list: NetworkConfigList, plugins: PluginConfig[]): NetworkConfigList {
  const document = {
    cniVersion: list.cniVersion,
    name: list.name,
    ...(list.disableCheck ? { disableCheck: true } : {}),
    ...(list.disableGC ? { disableGC: true } : {}),
    plugins: plugins.map((p) => p.raw),
  };
  // Encoded without recursion: a list nested as deep as Go reads (10,000 levels) is written too.
  return { ...list, plugins, bytes: new TextEncoder().encode(encodeOrdered(document)) };
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = new TextDecoder().decode(await readRegularFile(file));
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not JSON: ${(error as Error).message}`);
  }
}

async function loadConfigFile(
  spec: Extract<TargetSpec, { kind: "config" }>,
  env: TargetEnv,
): Promise<Target> {
  const file = absPath(spec.config, env.cwd);
  const document = await readJson(file);
  if (!isRecord(document)) throw new Error(`${file} holds no JSON object`);
  if (Object.hasOwn(document, "plugins")) {
    if (spec.plugin !== undefined) {
      throw new Error("--plugin goes with a plugin configuration, not a configuration list");
    }
    return {
      list: await readNetworkConfigFile(file, loadOptions(env)),
      path: cniPath(env, true),
      notes: [],
    };
  }
  const notes: string[] = [];
  let raw: JsonObject = document;
  let path = cniPath(env, spec.plugin === undefined || !spec.plugin.includes("/"));
  let lookup: string | undefined;
  let executables: Map<string, string> | undefined;
  if (spec.plugin !== undefined) {
    if (spec.plugin.includes("/")) {
      // The plugin is run from where it is; its directory does not join CNI_PATH, which would
      // let whatever lies beside it stand in for its delegates.
      const executable = absPath(spec.plugin, env.cwd);
      lookup = executable.slice(executable.lastIndexOf("/") + 1);
      executables = new Map([[lookup, executable]]);
      if (path.length === 0) {
        path = [env.emptyDir];
        notes.push(`CNI_PATH is not set: the plugin gets an empty directory, ${env.emptyDir}`);
      }
    } else {
      lookup = spec.plugin;
    }
    if (!Object.hasOwn(raw, "type")) raw = { ...raw, type: lookup };
    else if (raw.type !== lookup) {
      notes.push(`running ${spec.plugin} for the configuration's type ${JSON.stringify(raw.type)}`);
    }
  }
  if (!Object.hasOwn(raw, "name")) {
    raw = { ...raw, name: "conform" };
    notes.push('the configuration has no "name": using "conform"');
  }
  const plugin = decodePluginConfig(raw);
  const list = networkConfigListFromPlugin(plugin);
  const [only] = list.plugins;
  return {
    list: lookup === undefined ? list : withPlugins(list, [{ ...only!, type: lookup }]),
    path,
    ...(executables === undefined ? {} : { executables }),
    notes,
  };
}

function loadOptions(env: TargetEnv): LoadOptions {
  return env.warn === undefined ? {} : { warn: env.warn };
}

/**
 * Loads the network `spec` names and gives host-local a `dataDir` where the configuration has
 * none.
 *
 * @throws {Error} when the configuration cannot be found or read, or CNI_PATH is missing
 */
export async function loadTarget(spec: TargetSpec, env: TargetEnv): Promise<Target> {
  let target: Target;
  if (spec.kind === "network") {
    const dir = absPath(env.getenv("NETCONFPATH") || DEFAULT_NETCONF_PATH, env.cwd);
    target = {
      list: await loadNetworkConfigList(dir, spec.network, loadOptions(env)),
      path: cniPath(env, true),
      notes: [],
    };
  } else {
    target = await loadConfigFile(spec, env);
  }
  const plugins = target.list.plugins.map((p) => withDataDir(p, env.dataDir));
  if (plugins.every((p, i) => p === target.list.plugins[i])) return target;
  return {
    ...target,
    list: withPlugins(target.list, plugins),
    notes: [...target.notes, `host-local keeps its reservations in ${env.dataDir}`],
  };
}
