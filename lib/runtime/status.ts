/**
 * STATUS of a network configuration list (spec "Section 2: Execution Protocol", "STATUS: Check
 * plugin status"), as libcni's `GetStatusNetworkList` runs it.
 *
 * @module
 */
import { atLeastOrOlder, invokePlugin } from "./_invoke.ts";
import { PluginError } from "./errors.ts";
import type { NetworkConfigList, RuntimeOptions } from "./types.ts";

/**
 * Asks each plugin, in list order, whether it can serve ADD: STATUS with the list's `name` and
 * `cniVersion` and empty CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME and CNI_ARGS. Lists older than
 * spec 1.1.0 (or with a version that does not parse) have no STATUS: nothing runs and the result
 * is success. The first failure is the answer; its error object usually has code 50 (not
 * available) or 51 (not available, existing containers may be affected).
 *
 * @throws {PluginError} whose message is the plugin's failure as it is (`named` names the plugin)
 */
export async function statusNetworkList(
  list: NetworkConfigList,
  options: RuntimeOptions,
): Promise<void> {
  if (!atLeastOrOlder(list.cniVersion, "1.1.0")) return;
  for (const plugin of list.plugins) {
    try {
      await invokePlugin({ network: list, plugin, command: "STATUS" }, options);
    } catch (error) {
      throw new PluginError(plugin, "status", error);
    }
  }
}
