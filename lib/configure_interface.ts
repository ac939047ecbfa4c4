/**
 * Applying an IPAM result to an interface: what Go plugins get from `ipam.ConfigureIface`.
 *
 * @module
 */
import { formatIp, isIpv4, parseCidr, parseIp } from "./ip.ts";
import type { RouteSpec } from "./net_types.ts";
import type { Netns } from "./netns.ts";
import type { Result100, Route } from "./types.ts";

/** Options of {@link configureInterface}. */
export interface ConfigureOptions {
  /** Add the addresses without the route to their subnet the kernel adds otherwise. */
  noPrefixRoute?: boolean;
  /** Add IPv6 addresses without duplicate address detection, so there is nothing to wait for. */
  noDad?: boolean;
  /**
   * Routes to add after the addresses and before the result's routes, e.g. a link route to a
   * gateway that is not on any address's subnet.
   */
  extraRoutes?: readonly RouteSpec[];
  /** How long to wait for IPv6 duplicate address detection to finish; default 10 s. */
  settleTimeoutMs?: number;
  /** Waits between checks of IPv6 addresses; default a timer. */
  sleep?: (ms: number) => Promise<void>;
}

/** The route spec of a result route through `dev`, its next hop defaulted per family. */
function routeSpec(route: Route, dev: string, gateways: { v4?: string; v6?: string }): RouteSpec {
  const dst = parseCidr(route.dst);
  const v4 = dst !== undefined && isIpv4(dst.address);
  const via = route.gw ?? (v4 ? gateways.v4 : gateways.v6);
  return {
    dst: route.dst,
    dev,
    ...(via === undefined ? {} : { via }),
    ...(route.mtu ? { mtu: route.mtu } : {}),
    ...(route.advmss ? { advmss: route.advmss } : {}),
    ...(route.priority ? { metric: route.priority } : {}),
    ...(route.table === undefined ? {} : { table: route.table }),
    ...(route.scope === undefined ? {} : { scope: route.scope }),
  };
}

/** Waits until no IPv6 address of `ifName` is tentative (Go's `ip.SettleAddresses`). */
async function settleAddresses(
  ns: Netns,
  ifName: string,
  timeoutMs: number,
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const tentative = (await ns.addresses(ifName)).filter((a) => a.family === 6 && a.tentative);
    if (tentative.length === 0) return;
    if (performance.now() >= deadline) {
      throw new Error(
        `link ${
          JSON.stringify(ifName)
        } still has tentative IPv6 addresses after ${timeoutMs} ms: ` +
          tentative.map((a) => a.cidr).join(", "),
      );
    }
    await sleep(50);
  }
}

/**
 * Applies an IPAM result to the interface `ifName` in a namespace: sets it up, adds the result's
 * IPs that name it (by `interface` index), enabling IPv6 on it first when an IPv6 address comes
 * (and waiting for duplicate address detection), then adds the result's routes through it, each
 * via its own `gw` or the first gateway of its family. What Go plugins get from
 * `ipam.ConfigureIface`.
 *
 * @param ns the namespace toolkit of the namespace holding the interface
 * @param ifName the interface
 * @param result the IPAM result; its `interfaces` must include `ifName` at the index its IPs name
 * @param options no prefix routes, no DAD, extra routes, the settling time
 * @throws {Error} when the result has no interfaces, the link is missing or an IP names another
 * interface
 * @throws {KernelError} for an address or route the kernel refuses
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { configureInterface, netns } from "./netns.ts";
 * import { fakeHost, modelKernel } from "./testing.ts";
 *
 * const kernel = modelKernel();
 * kernel.addNamespace("/var/run/netns/c1");
 * const host = fakeHost({ kernel });
 * await netns(undefined, { host }).createVeth({
 *   name: "veth1",
 *   peerName: "eth0",
 *   peerNetns: "/var/run/netns/c1",
 * });
 * const container = netns("/var/run/netns/c1", { host });
 * await configureInterface(container, "eth0", {
 *   cniVersion: "1.1.0",
 *   interfaces: [{ name: "eth0", sandbox: "/var/run/netns/c1" }],
 *   ips: [{ address: "10.1.0.5/24", gateway: "10.1.0.1", interface: 0 }],
 *   routes: [{ dst: "0.0.0.0/0" }],
 * });
 * const routes = await container.routes(4);
 * assert.ok(routes.some((r) => r.dst === "0.0.0.0/0" && r.gateway === "10.1.0.1"));
 * ```
 */
export async function configureInterface(
  ns: Netns,
  ifName: string,
  result: Result100,
  options: ConfigureOptions = {},
): Promise<void> {
  const interfaces = result.interfaces ?? [];
  if (interfaces.length === 0) throw new Error("no interfaces to configure");
  if (await ns.link(ifName) === undefined) {
    throw new Error(`failed to look up ${JSON.stringify(ifName)}: link not found`);
  }
  await ns.setLinkUp(ifName);
  const gateways: { v4?: string; v6?: string } = {};
  let ipv6Enabled = false;
  let ipv6Added = false;
  for (const ip of result.ips ?? []) {
    if (ip.interface === undefined) continue;
    if (ip.interface < 0 || interfaces[ip.interface]?.name !== ifName) {
      throw new Error(
        `failed to add IP address ${ip.address} to ${JSON.stringify(ifName)}: ` +
          "invalid interface index",
      );
    }
    const cidr = parseCidr(ip.address);
    if (cidr === undefined) throw new Error(`invalid IP address ${JSON.stringify(ip.address)}`);
    const v4 = isIpv4(cidr.address);
    if (!v4 && !ipv6Enabled) {
      for (const dev of ["lo", ifName]) {
        const key = `net/ipv6/conf/${dev}/disable_ipv6`;
        if (await ns.sysctlGet(key) !== "0") await ns.sysctlSet(key, "0");
      }
      ipv6Enabled = true;
    }
    await ns.addAddress(ifName, ip.address, {
      ...(options.noPrefixRoute ? { noPrefixRoute: true } : {}),
      ...(options.noDad ? { noDad: true } : {}),
    });
    ipv6Added ||= !v4;
    const gateway = ip.gateway === undefined ? undefined : parseIp(ip.gateway);
    if (gateway !== undefined) {
      if (isIpv4(gateway)) gateways.v4 ??= formatIp(gateway);
      else gateways.v6 ??= formatIp(gateway);
    }
  }
  if (ipv6Added && !options.noDad) {
    await settleAddresses(
      ns,
      ifName,
      options.settleTimeoutMs ?? 10_000,
      options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    );
  }
  const routes = [
    ...(options.extraRoutes ?? []),
    ...(result.routes ?? []).map((route) => routeSpec(route, ifName, gateways)),
  ];
  for (const route of routes) await ns.addRoute(route);
}
