/**
 * CHECK of a network configuration list (spec "Section 3: Execution of Network Configurations",
 * "Checking an attachment"), as libcni's `CheckNetworkList` runs it.
 *
 * @module
 */
import { goQuote } from "../_go_quote.ts";
import { atLeast, invokePlugin } from "./_invoke.ts";
import { DEFAULT_CACHE_DIR, readCachedResult } from "./cache.ts";
import { PluginError, WrappedError } from "./errors.ts";
import type { NetworkConfigList, RuntimeConf, RuntimeOptions } from "./types.ts";

/**
 * Checks the attachment: runs each plugin's CHECK in list order with the cached ADD result,
 * converted to the list's version, as `prevResult` (left out when nothing is cached). Lists
 * older than spec 0.4.0 have no CHECK; with `disableCheck` nothing runs and the check passes.
 * The first failure stops the sequence.
 *
 * @throws {Error} `configuration version "0.3.1" does not support the CHECK command`
 * @throws {Error} `failed to get network "n" cached result: ...`
 * @throws {PluginError} whose message is the plugin's failure as it is (libcni does not name the
 *   plugin here; `named` does)
 */
export async function checkNetworkList(
  list: NetworkConfigList,
  rt: RuntimeConf,
  options: RuntimeOptions,
): Promise<void> {
  if (!atLeast(list.cniVersion, "0.4.0")) {
    throw new Error(
      `configuration version ${goQuote(list.cniVersion)} does not support the CHECK command`,
    );
  }
  if (list.disableCheck) return;
  let cached;
  try {
    cached = await readCachedResult(options.cacheDir ?? DEFAULT_CACHE_DIR, list, rt);
  } catch (error) {
    throw new WrappedError(`failed to get network ${goQuote(list.name)} cached result`, error);
  }
  for (const plugin of list.plugins) {
    try {
      await invokePlugin({
        network: list,
        plugin,
        command: "CHECK",
        rt,
        ...(cached === undefined ? {} : { prevResult: cached }),
      }, options);
    } catch (error) {
      throw new PluginError(plugin, "check", error);
    }
  }
}
