/**
 * Builders of results (spec "Section 5: Result Types"): each checks its addresses, puts them in canonical form
 * ("2001:DB8::1" becomes "2001:db8::1") and leaves out empty members, so a handler can return
 * what it builds without further thought. Results are built in the newest shape; the dispatcher
 * prints them in the configuration's version.
 *
 * A bad value is a bug in the plugin (validate configuration values in the plugin's `config`
 * function, e.g. with `read.route`), so builders throw a CniError with code 999; one thrown
 * while `config` runs is about the configuration and becomes code 7.
 *
 * @module
 */
import { CniError, ErrorCode } from "./errors.ts";
import { formatCidr, formatIp, type IpCidr, isIpv4, parseCidr, parseIp } from "./ip.ts";
import { CURRENT_VERSION } from "./version.ts";
import type { Dns, Interface100, IpConfig100, Result100, Route } from "./types.ts";

/**
 * A builder's refusal of a bad value: code 999, a bug of the plugin, unless the value came from
 * the configuration (a builder called in a plugin's `config` function), where it is code 7.
 */
export class InvalidBuilderValue extends CniError {
  constructor(message: string) {
    super(ErrorCode.internal, message);
    this.name = "InvalidBuilderValue";
  }
}

function invalid(what: string, value: unknown, expected: string): CniError {
  return new InvalidBuilderValue(`invalid ${what} ${JSON.stringify(value)}: ${expected}`);
}

function cidrOf(what: string, value: unknown): IpCidr {
  const cidr = typeof value === "string" ? parseCidr(value) : undefined;
  if (cidr === undefined) {
    throw invalid(what, value, 'must be an address with a prefix length, such as "10.1.0.5/24"');
  }
  return cidr;
}

function gatewayOf(what: string, value: unknown, sameFamilyAs: IpCidr): string {
  const address = typeof value === "string" ? parseIp(value) : undefined;
  if (address === undefined) {
    throw invalid(what, value, 'must be an IP address, such as "10.1.0.1"');
  }
  if (isIpv4(address) !== isIpv4(sameFamilyAs.address)) {
    throw invalid(what, value, `must be of the same IP family as ${formatCidr(sameFamilyAs)}`);
  }
  return formatIp(address);
}

function integerOf(what: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw invalid(what, value, `must be an integer of at least ${min}`);
  }
  return value;
}

function nonEmpty(what: string, value: unknown): string {
  if (typeof value !== "string" || value === "") {
    throw invalid(what, value, "must be a non-empty string");
  }
  return value;
}

/** Options of {@link iface}: the spec's optional interface members. */
export interface InterfaceOptions {
  /** The hardware address: hex octets separated by ":" (6, 8 or 20 of them). */
  mac?: string;
  /** The MTU (spec 1.1.0). */
  mtu?: number;
  /** The network namespace path for a container interface; absent for a host interface. */
  sandbox?: string;
  /** The path of a socket for a userspace interface (spec 1.1.0). */
  socketPath?: string;
  /** The PCI address of a device interface (spec 1.1.0). */
  pciID?: string;
}

const MAC =
  /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$|^[0-9a-f]{2}(:[0-9a-f]{2}){7}$|^[0-9a-f]{2}(:[0-9a-f]{2}){19}$/;

/**
 * An interface of a result.
 *
 * @param name the interface's name (in the sandbox for a container interface)
 * @param options mac (lower-cased), mtu, sandbox, socketPath, pciID
 * @throws {CniError} code 999 for an empty name, a malformed MAC or an MTU below 1
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { iface } from "./mod.ts";
 *
 * assert.deepEqual(iface("eth0", { mac: "0A:58:0A:16:00:05", sandbox: "/var/run/netns/c1" }), {
 *   name: "eth0",
 *   mac: "0a:58:0a:16:00:05",
 *   sandbox: "/var/run/netns/c1",
 * });
 * ```
 */
export function iface(name: string, options: InterfaceOptions = {}): Interface100 {
  const built: Interface100 = { name: nonEmpty("interface name", name) };
  if (options.mac !== undefined && options.mac !== "") {
    const mac = typeof options.mac === "string" ? options.mac.toLowerCase() : "";
    if (!MAC.test(mac)) {
      throw invalid("MAC address", options.mac, 'must be hex octets such as "0a:58:0a:16:00:05"');
    }
    built.mac = mac;
  }
  if (options.mtu !== undefined && options.mtu !== 0) built.mtu = integerOf("MTU", options.mtu, 1);
  if (options.sandbox) built.sandbox = nonEmpty("sandbox", options.sandbox);
  if (options.socketPath) built.socketPath = nonEmpty("socket path", options.socketPath);
  if (options.pciID) built.pciID = nonEmpty("PCI ID", options.pciID);
  return built;
}

/** Options of {@link ip}. */
export interface IpOptions {
  /** The default gateway for this address, in the same family. */
  gateway?: string;
  /** The index in the result's `interfaces` of the interface holding the address. */
  interface?: number;
}

/**
 * An IP address of a result.
 *
 * @param address the address with its prefix length ("10.1.0.5/24"); host bits are kept
 * @param options gateway (same family), interface (index into the result's interfaces)
 * @throws {CniError} code 999 for an address without prefix, a gateway that is not an IP of the
 * same family, or a negative interface index
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ip } from "./mod.ts";
 *
 * assert.deepEqual(ip("2001:DB8:0::5/64", { gateway: "2001:db8::1", interface: 0 }), {
 *   address: "2001:db8::5/64",
 *   gateway: "2001:db8::1",
 *   interface: 0,
 * });
 * ```
 */
export function ip(address: string, options: IpOptions = {}): IpConfig100 {
  const cidr = cidrOf("address", address);
  const built: IpConfig100 = { address: formatCidr(cidr) };
  if (options.gateway !== undefined && options.gateway !== "") {
    built.gateway = gatewayOf("gateway", options.gateway, cidr);
  }
  if (options.interface !== undefined) {
    built.interface = integerOf("interface index", options.interface, 0);
  }
  return built;
}

/**
 * Options of {@link route}: the next hop and spec 1.1.0's route attributes, as in a result's
 * route. An `mtu`, `advmss` or `priority` of 0 is left out; a `table` or `scope` of 0 is kept.
 */
export type RouteOptions = Omit<Route, "dst">;

/**
 * A route of a result.
 *
 * @param dst the destination network ("10.9.0.0/16", "0.0.0.0/0")
 * @param options gw (same family as dst), mtu, advmss, priority, table, scope
 * @throws {CniError} code 999 for a destination without prefix, a gateway that is not an IP of
 * the same family, or a negative number
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { route } from "./mod.ts";
 *
 * assert.deepEqual(route("10.9.0.0/16", { gw: "10.22.0.1" }), {
 *   dst: "10.9.0.0/16",
 *   gw: "10.22.0.1",
 * });
 * assert.throws(() => route("10.9.0.0/16", { gw: "fe80::1" }), { code: 999 });
 * ```
 */
export function route(dst: string, options: RouteOptions = {}): Route {
  const cidr = cidrOf("route destination", dst);
  const built: Route = { dst: formatCidr(cidr) };
  if (options.gw !== undefined && options.gw !== "") {
    built.gw = gatewayOf("route gateway", options.gw, cidr);
  }
  for (const key of ["mtu", "advmss", "priority"] as const) {
    const value = options[key];
    if (value !== undefined && value !== 0) built[key] = integerOf(`route ${key}`, value, 0);
  }
  for (const key of ["table", "scope"] as const) {
    const value = options[key];
    if (value !== undefined) built[key] = integerOf(`route ${key}`, value, 0);
  }
  return built;
}

/** What {@link result} is built from: the members of a result, each optional. */
export interface ResultParts {
  /** The interfaces the plugin made or knows of, e.g. from {@link iface}. */
  interfaces?: readonly Interface100[];
  /** The addresses, e.g. from {@link ip}; `interface` indexes `interfaces`. */
  ips?: readonly IpConfig100[];
  /** The routes, e.g. from {@link route}. */
  routes?: readonly Route[];
  /** DNS settings; nameservers must be IP addresses. */
  dns?: Dns;
}

function dnsOf(dns: Dns): Dns | undefined {
  const built: Dns = {};
  if (dns.nameservers?.length) {
    built.nameservers = dns.nameservers.map((server) => {
      const address = typeof server === "string" ? parseIp(server) : undefined;
      if (address === undefined) throw invalid("nameserver", server, "must be an IP address");
      return formatIp(address);
    });
  }
  if (dns.domain) built.domain = nonEmpty("DNS domain", dns.domain);
  if (dns.search?.length) built.search = dns.search.map((d) => nonEmpty("DNS search domain", d));
  if (dns.options?.length) built.options = dns.options.map((o) => nonEmpty("DNS option", o));
  return Object.keys(built).length ? built : undefined;
}

/**
 * A result in the newest spec version, checked as a whole: every interface, IP and route is
 * validated again (so entries of a previous result may be passed as they are), and each IP's
 * interface index must name one of `interfaces`.
 *
 * @param parts interfaces, ips, routes and dns; empty lists are left out
 * @throws {CniError} code 999 for any invalid member
 *
 * @example A chained plugin adds a route to the previous result
 * ```ts
 * import assert from "node:assert/strict";
 * import { iface, ip, result, route } from "./mod.ts";
 *
 * const previous = result({
 *   interfaces: [iface("eth0", { sandbox: "/var/run/netns/c1" })],
 *   ips: [ip("10.22.0.5/16", { gateway: "10.22.0.1", interface: 0 })],
 * });
 * const added = result({
 *   ...previous,
 *   routes: [...previous.routes ?? [], route("10.9.0.0/16", { gw: "10.22.0.1" })],
 * });
 * assert.deepEqual(added.routes, [{ dst: "10.9.0.0/16", gw: "10.22.0.1" }]);
 * assert.equal(added.cniVersion, "1.1.0");
 * ```
 */
export function result(parts: ResultParts = {}): Result100 {
  const built: Result100 = { cniVersion: CURRENT_VERSION };
  const interfaces = (parts.interfaces ?? []).map((i) => iface(i.name, i));
  if (interfaces.length) built.interfaces = interfaces;
  const ips = (parts.ips ?? []).map((entry) => {
    const checked = ip(entry.address, entry);
    if (checked.interface !== undefined && checked.interface >= interfaces.length) {
      throw invalid(
        "interface index",
        checked.interface,
        `must name one of the result's ${interfaces.length} interfaces`,
      );
    }
    return checked;
  });
  if (ips.length) built.ips = ips;
  const routes = (parts.routes ?? []).map((r) => route(r.dst, r));
  if (routes.length) built.routes = routes;
  const dns = parts.dns && dnsOf(parts.dns);
  if (dns) built.dns = dns;
  return built;
}
