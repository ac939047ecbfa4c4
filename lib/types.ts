/**
 * Wire types of CNI results for the three spec families. Addresses are canonical strings
 * ("10.0.0.2/24", "2001:db8::5/64"); optional members are absent, never undefined.
 */

/** A route; one shape for every family. The extras beyond `gw` are spec 1.1.0's. */
export interface Route {
  dst: string;
  gw?: string;
  mtu?: number;
  advmss?: number;
  priority?: number;
  table?: number;
  scope?: number;
}

/** DNS settings, in results and in the network configuration. */
export interface Dns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

/** An ip4 or ip6 entry of a 0.1.0/0.2.0 result. */
export interface IpConfig020 {
  ip: string;
  gateway?: string;
  routes?: Route[];
}

/** A 0.1.0 or 0.2.0 result. */
export interface Result020 {
  cniVersion: string;
  ip4?: IpConfig020;
  ip6?: IpConfig020;
  dns: Dns;
}

/** An interface of a 0.3.x or 0.4.0 result. */
export interface Interface040 {
  name: string;
  mac?: string;
  sandbox?: string;
}

/** An IP of a 0.3.x or 0.4.0 result; `version` is "4", "6" or whatever the input said. */
export interface IpConfig040 {
  version: string;
  interface?: number;
  address: string;
  gateway?: string;
}

/** A 0.3.0, 0.3.1 or 0.4.0 result. */
export interface Result040 {
  cniVersion: string;
  interfaces?: Interface040[];
  ips?: IpConfig040[];
  routes?: Route[];
  dns: Dns;
}

/** An interface of a 1.x result. */
export interface Interface100 {
  name: string;
  mac?: string;
  mtu?: number;
  sandbox?: string;
  socketPath?: string;
  pciID?: string;
}

/** An IP of a 1.x result; `interface` indexes the result's interfaces. */
export interface IpConfig100 {
  address: string;
  gateway?: string;
  interface?: number;
}

/** A 1.0.0 or 1.1.0 result: the shape plugins work with. */
export interface Result100 {
  cniVersion: string;
  interfaces?: Interface100[];
  ips?: IpConfig100[];
  routes?: Route[];
  dns?: Dns;
}

/** A result of any family. */
export type AnyResult = Result020 | Result040 | Result100;

/** The VERSION reply. */
export interface VersionInfo {
  cniVersion: string;
  supportedVersions: string[];
}
