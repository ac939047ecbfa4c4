/**
 * The node installer as a library: {@link installPlugins}, {@link chainPlugin} and
 * {@link uninstall} each return a report whose `lines` are what the command prints.
 *
 * @example Chain the sample into a runtime's network and undo it
 * ```ts ignore
 * import { chainPlugin, installPlugins, uninstall } from "./cli/_install/mod.ts";
 *
 * const where = { binDir: "/opt/cni/bin", confDir: "/etc/cni/net.d", manifest: "plugins.json" };
 * await installPlugins({ ...where, plugins: ["sample"], from: "bin" });
 * await chainPlugin({ ...where, plugin: "sample", entry: { anotherAwesomeArg: "x" } });
 * await uninstall(where);
 * ```
 */
export { type ChainOptions, chainPlugin } from "./chain.ts";
export { BACKUP_SUFFIX, type ChainState, readChainState, STATE_NAME } from "./chain_state.ts";
export {
  activeNetwork,
  confFileNames,
  isLoadedName,
  listConfFiles,
  LOADED_EXTENSIONS,
} from "./conf_files.ts";
export { InstallError, UsageError } from "./errors.ts";
export { type InstallOptions, installPlugins } from "./install.ts";
export { RawJson } from "./json_text.ts";
export {
  type CliOptions,
  DEFAULTS,
  OPTIONS,
  type OptionSpec,
  parseOptions,
  usage,
} from "./options.ts";
export { readRecord, RECORD_NAME } from "./record.ts";
export { type Action, formatAction, joinReports, type Report } from "./report.ts";
export { uninstall, type UninstallOptions } from "./uninstall.ts";
