/**
 * The runtime side of CNI: what a container runtime does with plugins, to the behaviour of Go's
 * libcni. Load a network configuration list by name, then ADD, CHECK, DEL, GC or STATUS an
 * attachment; plugins are found in the plugin directories, get their configuration on stdin and
 * the CNI_* variables, and ADD's result is kept in libcni's result cache, in libcni's format.
 *
 * @example
 * ```ts ignore
 * import { addNetworkList, delNetworkList, loadNetworkConfigList } from "./lib/runtime/mod.ts";
 *
 * const list = await loadNetworkConfigList("/etc/cni/net.d", "mynet");
 * const rt = { containerId: "c1", netns: "/var/run/netns/c1", ifName: "eth0" };
 * const options = { path: ["/opt/cni/bin"] };
 * const result = await addNetworkList(list, rt, options);
 * await delNetworkList(list, rt, options);
 * ```
 *
 * @module
 */
export type { JsonObject } from "../_decode.ts";
export { CniError, type ErrorObject } from "../errors.ts";
export type { Host, RunOptions, RunOutput } from "../host.ts";
export type * from "../types.ts";
export type {
  CniArg,
  GcArgs,
  GcAttachment,
  NetworkConfigList,
  PluginCommand,
  PluginConfig,
  PluginRun,
  RuntimeConf,
  RuntimeOptions,
} from "./types.ts";
export {
  decodePluginConfig,
  networkConfigListFromPlugin,
  parseNetworkConfigList,
  parsePluginConfig,
} from "./network_config.ts";
export {
  configFiles,
  loadNetworkConfigList,
  type LoadOptions,
  loadPluginConfigFiles,
  NoConfigsFoundError,
  NotFoundError,
  readNetworkConfigFile,
} from "./load_network.ts";
export { findInPath, pluginFailure } from "../delegate.ts";
export { findPlugin } from "./_invoke.ts";
export { absPath, cleanPath, joinPath } from "../_paths.ts";
export { splitCniPath } from "../env.ts";
export {
  validateAttachment,
  validateContainerId,
  validateInterfaceName,
  validateNetworkName,
} from "./validate.ts";
export {
  buildPluginStdin,
  resultJson,
  runtimeConfigFor,
  type StdinInjection,
} from "./plugin_stdin.ts";
export { pluginEnv, type PluginEnvArgs, stringifyCniArgs } from "./plugin_env.ts";
export { DEFAULT_TIMEOUT_MS, execPlugin, type ExecPluginOptions } from "./exec_plugin.ts";
export { parsePluginResult } from "../_plugin_run.ts";
export {
  CACHE_KIND,
  type CachedAttachment,
  cacheFilePath,
  type CacheKey,
  decodeCacheEntry,
  type DecodedEntry,
  DEFAULT_CACHE_DIR,
  deleteCachedResult,
  encodeCacheEntry,
  listCachedAttachments,
  readCachedAttachment,
  readCachedResult,
  writeCachedResult,
} from "./cache.ts";
export { addNetworkList } from "./add.ts";
export { checkNetworkList } from "./check.ts";
export { delNetworkList } from "./del.ts";
export { gcNetworkList } from "./gc.ts";
export { statusNetworkList } from "./status.ts";
export { decodeVersionInfo, getVersionInfo, validateNetworkList } from "./version_info.ts";
export {
  describePlugin,
  errorText,
  findCniError,
  JoinedError,
  joinErrors,
  PluginError,
  type PluginErrorVerb,
  WrappedError,
} from "./errors.ts";
