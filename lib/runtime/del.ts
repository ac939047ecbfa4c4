/**
 * DEL of a network configuration list (spec "Section 3: Execution of Network Configurations",
 * "Deleting an attachment"), as libcni's `DelNetworkList` runs it.
 *
 * @module
 */
import type { AnyResult } from "../types.ts";
import { atLeast, invokePlugin } from "./_invoke.ts";
import { DEFAULT_CACHE_DIR, deleteCachedResult, readCachedResult } from "./cache.ts";
import { PluginError } from "./errors.ts";
import type { NetworkConfigList, RuntimeConf, RuntimeOptions } from "./types.ts";

/**
 * Deletes the attachment: runs each plugin's DEL in reverse list order. From spec 0.4.0 on, each
 * gets the cached ADD result, converted to the list's version, as `prevResult`; a cache entry
 * that cannot be read is removed and DEL goes on without one. The first failure stops the
 * sequence and keeps the cache entry; after full success the entry is removed. A DEL of an
 * attachment that was never added, or was deleted already, runs the plugins all the same.
 *
 * @throws {PluginError} `plugin type="x" failed (delete): <reason>`
 * @throws {Error} when the list's `cniVersion` does not parse
 */
export async function delNetworkList(
  list: NetworkConfigList,
  rt: RuntimeConf,
  options: RuntimeOptions,
): Promise<void> {
  const cacheDir = options.cacheDir ?? DEFAULT_CACHE_DIR;
  let cached: AnyResult | undefined;
  if (atLeast(list.cniVersion, "0.4.0")) {
    try {
      cached = await readCachedResult(cacheDir, list, rt);
    } catch {
      await deleteCachedResult(cacheDir, list.name, rt).catch(() => {});
    }
  }
  for (const plugin of [...list.plugins].reverse()) {
    try {
      await invokePlugin({
        network: list,
        plugin,
        command: "DEL",
        rt,
        ...(cached === undefined ? {} : { prevResult: cached }),
      }, options);
    } catch (error) {
      throw new PluginError(plugin, "delete", error);
    }
  }
  await deleteCachedResult(cacheDir, list.name, rt).catch(() => {});
}
