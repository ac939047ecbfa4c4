/**
 * GC of a network configuration list (spec "Section 3: Execution of Network Configurations",
 * "Garbage-collecting a network"), as libcni's `GCNetworkList` runs it.
 *
 * @module
 */
import { atLeastOrOlder, invokePlugin } from "./_invoke.ts";
import { DEFAULT_CACHE_DIR, listCachedAttachments } from "./cache.ts";
import { delNetworkList } from "./del.ts";
import { joinErrors, WrappedError } from "./errors.ts";
import type { GcArgs, NetworkConfigList, RuntimeOptions } from "./types.ts";

/**
 * Garbage-collects the network: every attachment of this network in the result cache that
 * `args` does not name as valid gets a full DEL (with the netns, CNI_ARGS and capability
 * arguments its ADD had); then, from spec 1.1.0 on, each plugin gets GC with the valid
 * attachments as `cni.dev/valid-attachments` (and, as libcni also sends it, `cni.dev/attachments`),
 * both left out when `args` is undefined. With `disableGC` nothing runs. GC never stops at a
 * failure: all of them are reported together, one per line.
 *
 * @throws {Error} the failures: `failed to delete stale attachment <id> <ifname>: ...`,
 *   `failed to GC plugin <type>: ...`
 */
export async function gcNetworkList(
  list: NetworkConfigList,
  args: GcArgs | undefined,
  options: RuntimeOptions,
): Promise<void> {
  if (list.disableGC) return;
  const errors: unknown[] = [];
  const valid = new Set(
    (args?.validAttachments ?? []).map((a) => JSON.stringify([a.containerId, a.ifName])),
  );
  let cached: Awaited<ReturnType<typeof listCachedAttachments>> = [];
  try {
    cached = await listCachedAttachments(options.cacheDir ?? DEFAULT_CACHE_DIR);
  } catch (error) {
    errors.push(new WrappedError("failed to list cached attachments", error));
  }
  for (const attachment of cached) {
    if (attachment.networkName !== list.name) continue;
    if (valid.has(JSON.stringify([attachment.containerId, attachment.ifName]))) continue;
    try {
      await delNetworkList(list, {
        containerId: attachment.containerId,
        netns: attachment.netns,
        ifName: attachment.ifName,
        ...(attachment.cniArgs === undefined ? {} : { args: attachment.cniArgs }),
        ...(attachment.capabilityArgs === undefined
          ? {}
          : { capabilityArgs: attachment.capabilityArgs }),
      }, options);
    } catch (error) {
      errors.push(
        new WrappedError(
          `failed to delete stale attachment ${attachment.containerId} ${attachment.ifName}`,
          error,
        ),
      );
    }
  }
  if (atLeastOrOlder(list.cniVersion, "1.1.0")) {
    const attachments = args?.validAttachments.map((a) => ({
      containerID: a.containerId,
      ifname: a.ifName,
    }));
    const extra = attachments === undefined
      ? undefined
      : { "cni.dev/valid-attachments": attachments, "cni.dev/attachments": attachments };
    for (const plugin of list.plugins) {
      try {
        await invokePlugin({
          network: list,
          plugin,
          command: "GC",
          ...(extra === undefined ? {} : { extra }),
        }, options);
      } catch (error) {
        errors.push(new WrappedError(`failed to GC plugin ${plugin.type}`, error));
      }
    }
  }
  const failure = joinErrors(errors);
  if (failure !== undefined) throw failure;
}
