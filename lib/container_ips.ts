import type { IpConfig100, Result100 } from "./types.ts";

/** Which invocation the IPs are collected for. */
export interface ContainerIpOptions {
  /** The configuration's `cniVersion`. */
  configVersion: string;
  /** CNI_IFNAME: the container's interface. */
  ifName: string;
}

/**
 * The container's IPs in a result, as the sample plugin collects them: every IP, except under a
 * 0.3.0 configuration, where an IP counts only if it has an interface index and that index is
 * outside the interfaces list (an unknown interface, assumed to be the container's) or names an
 * interface called `ifName`.
 */
export function containerIps(result: Result100, options: ContainerIpOptions): IpConfig100[] {
  const ips = result.ips ?? [];
  if (options.configVersion !== "0.3.0") return ips;
  const interfaces = result.interfaces ?? [];
  return ips.filter((ip) => {
    if (ip.interface === undefined) return false;
    const iface = interfaces[ip.interface];
    return ip.interface < 0 || iface === undefined || iface.name === options.ifName;
  });
}
