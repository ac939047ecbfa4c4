/**
 * sysctl-tune: a chained CNI plugin that sets network sysctls inside the container's namespace.
 *
 * ```json
 * {
 *   "type": "sysctl-tune",
 *   "sysctl": { "net.ipv4.conf.IFNAME.rp_filter": "2", "net.core.somaxconn": "512" }
 * }
 * ```
 *
 * The keys are data and keep their case; a key part that is exactly `IFNAME` stands for
 * CNI_IFNAME (with the key written with "/" separators when the interface name has a dot, as
 * sysctl reads it). Only `net.` keys are accepted: those belong to the network namespace, any
 * other would change the host. ADD sets each value and passes the previous result on unchanged
 * (a value set before a later one fails is put back); CHECK reads the values back; DEL has
 * nothing to release, the values go with the namespace.
 *
 * Permissions: the CNI variables and `--allow-ffi` (deno.json, task `compile:sysctl-tune`): the
 * namespace toolkit reads and writes the sysctls in this process, inside CNI_NETNS, and runs no
 * program. FFI is as much as root can do; the toolkit narrows it to checked sysctl keys (under
 * net., never climbing out of /proc/sys) and values, and the plugin refuses to run without it
 * rather than fall back to running `sysctl` (`networking: "in-process"`).
 *
 * @module
 */
import {
  CniError,
  configError,
  definePlugin,
  ErrorCode,
  type PluginContext,
  runPlugin,
  versionsStartingFrom,
} from "@deno-cni/deno-cni";
import { KernelError, type Netns } from "@deno-cni/deno-cni/netns";

/** The part of a key that stands for CNI_IFNAME. */
const IFNAME = "IFNAME";

/** What `config` reads: the sysctls to set, keys as written. */
interface TuneConfig {
  sysctl: Record<string, string>;
}

/** The key of a sysctl for this interface: IFNAME replaced, "/" form for a dotted name. */
export function sysctlKey(key: string, ifName: string): string {
  const parts = key.split(".");
  if (!parts.includes(IFNAME)) return key;
  const replaced = parts.map((part) => (part === IFNAME ? ifName : part));
  return replaced.join(ifName.includes(".") ? "/" : ".");
}

/** A value as sysctl prints it back: fields separated by single spaces. */
function normalized(value: string): string {
  return value.trim().split(/\s+/).join(" ");
}

/** A sysctl's value in the container; one that does not exist there is named as configured. */
async function read(inContainer: Netns, key: string): Promise<string> {
  try {
    return await inContainer.sysctlGet(key);
  } catch (error) {
    if (error instanceof KernelError && error.errno === "ENOENT") {
      throw new CniError(ErrorCode.internal, `the container has no sysctl ${JSON.stringify(key)}`);
    }
    throw error;
  }
}

/** The sysctls of the configuration, with their keys for this interface. */
function settings({ conf, ifName }: PluginContext<TuneConfig>): [string, string][] {
  return Object.entries(conf.sysctl).map(([key, value]) => [sysctlKey(key, ifName), value]);
}

/** The sysctl-tune plugin. */
export const sysctlTune = definePlugin({
  name: "sysctl-tune",
  about: "CNI sysctl-tune plugin: network sysctls in the container",
  // Namespace work in this process only (netlink): never `nsenter` or `sysctl` on the node.
  networking: "in-process",
  // A chained plugin: spec 0.3.0 and later pass the previous result.
  versions: versionsStartingFrom("0.3.0"),
  config(_raw, { read }): TuneConfig {
    const sysctl = read.stringMap("sysctl", { required: true });
    for (const key of Object.keys(sysctl)) {
      if (!key.startsWith("net.")) {
        throw configError(
          `sysctl.${key}`,
          "must name a network sysctl (net.*): others are not the container's own",
        );
      }
    }
    return { sysctl };
  },
  // The values go with the namespace: DEL has nothing to release, even with a bad configuration.
  tolerateConfigErrorsOnDel: true,

  async add(context) {
    const { prevResult, log } = context;
    if (prevResult === undefined) {
      throw new CniError(
        ErrorCode.invalidNetworkConfig,
        "must be called as a chained plugin: the configuration has no prevResult",
      );
    }
    const inContainer = context.inContainer;
    for (const [key, value] of settings(context)) {
      const before = await read(inContainer, key);
      await inContainer.sysctlSet(key, value);
      // Put back if a later step fails, e.g. the next sysctl or writing the answer.
      context.onFailure(() => inContainer.sysctlSet(key, before));
      log.debug("sysctl set", { key, value, before });
    }
    return prevResult;
  },

  async check(context) {
    const inContainer = context.inContainer;
    for (const [key, value] of settings(context)) {
      const actual = await read(inContainer, key);
      if (normalized(actual) !== normalized(value)) {
        throw new CniError(
          ErrorCode.internal,
          `sysctl ${key} is ${JSON.stringify(actual)}, configured ${JSON.stringify(value)}`,
        );
      }
    }
  },
});

if (import.meta.main) await runPlugin(sysctlTune);
