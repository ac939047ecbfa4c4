/**
 * ADD of a network configuration list (spec "Section 3: Execution of Network Configurations",
 * "Adding an attachment"), as libcni's `AddNetworkList` runs it.
 *
 * @module
 */
import { goQuote } from "../_go_quote.ts";
import type { AnyResult } from "../types.ts";
import { invokePlugin } from "./_invoke.ts";
import { DEFAULT_CACHE_DIR, writeCachedResult } from "./cache.ts";
import { PluginError, WrappedError } from "./errors.ts";
import { parsePluginResult } from "../_plugin_run.ts";
import type { NetworkConfigList, RuntimeConf, RuntimeOptions } from "./types.ts";

/**
 * Adds the attachment: runs each plugin's ADD in list order, the first without a `prevResult` and
 * each later one with the previous plugin's result exactly as that plugin returned it (decoded in
 * its own version, not converted). Before a plugin runs, its executable is looked up and the
 * container ID, network name and interface name are checked. The first failure stops the chain
 * (nothing is undone, as libcni does not undo either). After the last plugin, its result is cached
 * for DEL, CHECK and GC, and returned.
 *
 * @example
 * ```ts ignore
 * const list = await loadNetworkConfigList("/etc/cni/net.d", "mynet");
 * const result = await addNetworkList(list, {
 *   containerId: "c1", netns: "/var/run/netns/c1", ifName: "eth0",
 * }, { path: ["/opt/cni/bin"] });
 * ```
 *
 * @throws {PluginError} `plugin type="x" failed (add): <reason>`; a plugin's error object, or the
 *   CniError of a failed check (code 3, 4 or 7), is its cause
 * @throws {Error} `failed to set network "n" cached result: ...` when the cache cannot be written
 */
export async function addNetworkList(
  list: NetworkConfigList,
  rt: RuntimeConf,
  options: RuntimeOptions,
): Promise<AnyResult> {
  if (list.plugins.length === 0) throw new Error("no plugin configs found");
  let result: AnyResult | undefined;
  for (const plugin of list.plugins) {
    try {
      const stdout = await invokePlugin({
        network: list,
        plugin,
        command: "ADD",
        rt,
        ...(result === undefined ? {} : { prevResult: result }),
        validate: true,
      }, options);
      result = parsePluginResult(stdout, list.cniVersion);
    } catch (error) {
      throw new PluginError(plugin, "add", error);
    }
  }
  try {
    await writeCachedResult(options.cacheDir ?? DEFAULT_CACHE_DIR, list, rt, result!);
  } catch (error) {
    throw new WrappedError(`failed to set network ${goQuote(list.name)} cached result`, error);
  }
  return result!;
}
