/**
 * static-list: an IPAM plugin that hands out the addresses its configuration lists.
 *
 * ```json
 * "ipam": {
 *   "type": "static-list",
 *   "addresses": [{ "address": "10.5.0.7/24", "gateway": "10.5.0.1" }],
 *   "routes": [{ "dst": "0.0.0.0/0" }]
 * }
 * ```
 *
 * ADD returns every address (with its optional gateway) and every route (with its optional
 * `gw`); as an IPAM result it names no interface, the interface plugin that runs it does (spec
 * "Section 4: Plugin Delegation"). It keeps no state, so CHECK and DEL have nothing to do. It
 * runs no program and needs only the CNI variables (deno.json, task `compile:static-list`).
 *
 * @module
 */
import {
  configError,
  definePlugin,
  ip,
  type IpConfig100,
  result,
  type Route,
  route,
  runPlugin,
} from "@deno-cni/deno-cni";

/** What `config` reads: the result's addresses and routes. */
interface StaticConfig {
  addresses: IpConfig100[];
  routes: Route[];
}

/** The IP family of a canonical address: IPv6 text always has a colon, IPv4 text never. */
function familyOf(address: string): 4 | 6 {
  return address.includes(":") ? 6 : 4;
}

/** The static-list plugin. */
export const staticList = definePlugin({
  name: "static-list",
  about: "CNI static-list IPAM plugin: the addresses of its configuration",
  config(_raw, { read }): StaticConfig {
    const ipam = read.section("ipam", { required: true });
    const entries = ipam.sectionList("addresses", { required: true });
    if (entries.length === 0) throw configError("ipam.addresses", "must list an address");
    const addresses = entries.map((entry, i) => {
      const address = entry.cidr("address", { required: true });
      const gateway = entry.ip("gateway");
      if (gateway !== undefined && familyOf(gateway) !== familyOf(address)) {
        throw configError(
          `ipam.addresses[${i}].gateway`,
          `must be in the IP family of ${JSON.stringify(address)}, got ${JSON.stringify(gateway)}`,
        );
      }
      return ip(address, gateway === undefined ? {} : { gateway });
    });
    const routes = (ipam.sectionList("routes") ?? []).map((entry, i) => {
      const dst = entry.cidr("dst", { required: true });
      const gw = entry.ip("gw");
      if (gw !== undefined && familyOf(gw) !== familyOf(dst)) {
        throw configError(
          `ipam.routes[${i}].gw`,
          `must be in the IP family of ${JSON.stringify(dst)}, got ${JSON.stringify(gw)}`,
        );
      }
      return route(dst, gw === undefined ? {} : { gw });
    });
    return { addresses, routes };
  },
  // Nothing to release: DEL succeeds, even with a configuration ADD would refuse.
  tolerateConfigErrorsOnDel: true,
  add: ({ conf }) => result({ ips: conf.addresses, routes: conf.routes }),
  check: () => {},
});

if (import.meta.main) await runPlugin(staticList);
