/**
 * The sample chained plugin of the walkthrough: it reads its configuration, takes the previous
 * plugin's result, makes sure the container has IPs and passes the result on in the
 * configuration's version.
 *
 * Configuration: `anotherAwesomeArg` (string, required), `myAwesomeFlag` (boolean),
 * `runtimeConfig.sample` (object).
 *
 * @module
 */
import {
  definePlugin,
  type IpConfig100,
  type PluginContext,
  type Result100,
  runPlugin,
} from "./lib/mod.ts";

/**
 * The container's IPs in a result: every IP, except under a 0.3.0 configuration, where an IP
 * counts only if it has an interface index and that index is outside the interfaces list (an
 * interface the result does not describe) or names the interface called `ifName`.
 */
export function containerIps(
  result: Result100,
  configVersion: string,
  ifName: string,
): IpConfig100[] {
  const ips = result.ips ?? [];
  if (configVersion !== "0.3.0") return ips;
  const interfaces = result.interfaces ?? [];
  return ips.filter((ip) => {
    if (ip.interface === undefined) return false;
    const iface = interfaces[ip.interface];
    return ip.interface < 0 || iface === undefined || iface.name === ifName;
  });
}

/** The previous result, provided it names at least one container IP. */
function chainedResult({ prevResult, configVersion, ifName }: PluginContext<object>): Result100 {
  if (prevResult === undefined) throw new Error("must be called as chained plugin");
  if (containerIps(prevResult, configVersion, ifName).length === 0) {
    throw new Error("got no container IPs");
  }
  return prevResult;
}

/** The sample plugin. */
export const samplePlugin = definePlugin({
  name: "sample",
  about: "CNI sample plugin (deno-cni)",
  config: (_raw, { read }) => ({
    anotherAwesomeArg: read.string("anotherAwesomeArg", { required: true }),
    myAwesomeFlag: read.boolean("myAwesomeFlag") ?? false,
    runtimeSample: read.section("runtimeConfig")?.object("sample"),
  }),
  // Nothing to release: a DEL with a bad configuration must not hold up the rest of the chain.
  tolerateConfigErrorsOnDel: true,
  add: chainedResult,
  check: (context) => void chainedResult(context),
  status: () => {},
});

if (import.meta.main) await runPlugin(samplePlugin);
