/**
 * Wire types of CNI results for the three spec families (spec "Section 5: Result Types").
 * Addresses are canonical strings ("10.0.0.2/24", "2001:db8::5/64"); optional members are absent,
 * never undefined.
 *
 * @module
 */

/** A route; one shape for every family. The members beyond `gw` are spec 1.1.0's. */
export interface Route {
  /** The destination network, e.g. "0.0.0.0/0". */
  dst: string;
  /** The next hop; absent: the interface's default gateway. */
  gw?: string;
  /** The route's MTU. */
  mtu?: number;
  /** The TCP maximum segment size to advertise. */
  advmss?: number;
  /** The route's priority (metric). */
  priority?: number;
  /** The routing table. */
  table?: number;
  /** The route's scope (an RT_SCOPE_* value). */
  scope?: number;
}

/** DNS settings, in results and in the network configuration. */
export interface Dns {
  /** Name server addresses, in priority order. */
  nameservers?: string[];
  /** The local domain for short names. */
  domain?: string;
  /** Search domains, in priority order. */
  search?: string[];
  /** Resolver options. */
  options?: string[];
}

/** An ip4 or ip6 entry of a 0.1.0/0.2.0 result. */
export interface IpConfig020 {
  /** The address with its prefix length. */
  ip: string;
  /** The default gateway. */
  gateway?: string;
  /** Routes of this family. */
  routes?: Route[];
}

/** A 0.1.0 or 0.2.0 result. */
export interface Result020 {
  /** "0.1.0" or "0.2.0". */
  cniVersion: string;
  /** The IPv4 address. */
  ip4?: IpConfig020;
  /** The IPv6 address. */
  ip6?: IpConfig020;
  /** DNS settings; always printed, even empty. */
  dns: Dns;
}

/** An interface of a 0.3.x or 0.4.0 result. */
export interface Interface040 {
  /** The interface's name. */
  name: string;
  /** The hardware address. */
  mac?: string;
  /** The namespace path of a container interface; absent on the host. */
  sandbox?: string;
}

/** An IP of a 0.3.x or 0.4.0 result. */
export interface IpConfig040 {
  /** "4", "6", or whatever the input said. */
  version: string;
  /** The index in `interfaces` of the interface holding the address. */
  interface?: number;
  /** The address with its prefix length. */
  address: string;
  /** The default gateway. */
  gateway?: string;
}

/** A 0.3.0, 0.3.1 or 0.4.0 result. */
export interface Result040 {
  /** "0.3.0", "0.3.1" or "0.4.0". */
  cniVersion: string;
  /** The interfaces the plugin made or knows of. */
  interfaces?: Interface040[];
  /** The addresses. */
  ips?: IpConfig040[];
  /** The routes. */
  routes?: Route[];
  /** DNS settings; always printed, even empty. */
  dns: Dns;
}

/** An interface of a 1.x result. */
export interface Interface100 {
  /** The interface's name. */
  name: string;
  /** The hardware address. */
  mac?: string;
  /** The MTU (spec 1.1.0). */
  mtu?: number;
  /** The namespace path of a container interface; absent on the host. */
  sandbox?: string;
  /** The socket of a userspace interface (spec 1.1.0). */
  socketPath?: string;
  /** The PCI address of a device (spec 1.1.0). */
  pciID?: string;
}

/** An IP of a 1.x result. */
export interface IpConfig100 {
  /** The address with its prefix length. */
  address: string;
  /** The default gateway. */
  gateway?: string;
  /** The index in `interfaces` of the interface holding the address. */
  interface?: number;
}

/** A 1.0.0 or 1.1.0 result: the shape plugins work with. */
export interface Result100 {
  /** "1.0.0" or "1.1.0". */
  cniVersion: string;
  /** The interfaces the plugin made or knows of. */
  interfaces?: Interface100[];
  /** The addresses. */
  ips?: IpConfig100[];
  /** The routes. */
  routes?: Route[];
  /** DNS settings. */
  dns?: Dns;
}

/** A result of any family. */
export type AnyResult = Result020 | Result040 | Result100;

/** The VERSION reply. */
export interface VersionInfo {
  /** The library's own newest version. */
  cniVersion: string;
  /** The versions the plugin speaks, in its order. */
  supportedVersions: string[];
}
