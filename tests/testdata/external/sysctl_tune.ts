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
 * Permissions: it runs `nsenter --net=<CNI_NETNS> -- sysctl ...` through the namespace toolkit,
 * so it may run nsenter and read where nsenter and sysctl are looked for (deno.json, task
 * `compile:sysctl-tune`). Allowing nsenter amounts to allowing any program as root; the toolkit
 * narrows it to argv only, fixed program paths and checked sysctl keys and values.
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

/** The sysctls of the configuration, with their keys for this interface. */
function settings({ conf, ifName }: PluginContext<TuneConfig>): [string, string][] {
  return Object.entries(conf.sysctl).map(([key, value]) => [sysctlKey(key, ifName), value]);
}

/** The sysctl-tune plugin. */
export const sysctlTune = definePlugin({
  name: "sysctl-tune",
  about: "CNI sysctl-tune plugin: network sysctls in the container",
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
    const { inContainer, prevResult, log } = context;
    if (prevResult === undefined) {
      throw new CniError(
        ErrorCode.invalidNetworkConfig,
        "must be called as a chained plugin: the configuration has no prevResult",
      );
    }
    for (const [key, value] of settings(context)) {
      const before = await inContainer.sysctlGet(key);
      await inContainer.sysctlSet(key, value);
      // Put back if a later step fails, e.g. the next sysctl or writing the answer.
      context.onFailure(() => inContainer.sysctlSet(key, before));
      log.debug("sysctl set", { key, value, before });
    }
    return prevResult;
  },

  async check(context) {
    for (const [key, value] of settings(context)) {
      const actual = await context.inContainer.sysctlGet(key);
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
