/**
 * Conversion of results between spec versions, routed through the families' shapes as the Go
 * reference does (spec "Section 5: Result Types").
 */
import { cloneData } from "./_clone.ts";
import { cidrIsIpv4 } from "./ip.ts";
import { resultFamily } from "./result.ts";
import {
  CURRENT_VERSION,
  familyOf,
  isSpecVersion,
  type ResultFamily,
  versionOrDefault,
} from "./version.ts";
import type {
  AnyResult,
  Dns,
  Interface040,
  IpConfig020,
  IpConfig040,
  IpConfig100,
  Result020,
  Result040,
  Result100,
  Route,
} from "./types.ts";

/** The version an empty `cniVersion` stands for when converting (Go's `GetAsVersion`). */
const NEWEST_IN_FAMILY: Readonly<Record<ResultFamily, string>> = {
  "020": "0.2.0",
  "040": "0.4.0",
  "100": "1.1.0",
};

function copyDns(dns: Dns | undefined): Dns {
  return cloneData(dns ?? {});
}

function copyRoutes(routes: Route[] | undefined): Route[] | undefined {
  return routes?.length ? cloneData(routes) : undefined;
}

/** `base` plus the members of `extra` that are not undefined. */
function withOptional<T extends object>(base: T, extra: { [K in keyof T]?: T[K] | undefined }): T {
  for (const [key, value] of Object.entries(extra)) {
    if (value !== undefined) (base as Record<string, unknown>)[key] = value;
  }
  return base;
}

/** V2: 0.1.0/0.2.0 to the 0.3.0-0.4.0 shape. */
function from020To040(from: Result020, cniVersion: string): Result040 {
  const ips: IpConfig040[] = [];
  const routes: Route[] = [];
  for (const [key, version] of [["ip4", "4"], ["ip6", "6"]] as const) {
    const entry = from[key];
    if (entry === undefined) continue;
    ips.push(withOptional<IpConfig040>({ version, address: entry.ip }, { gateway: entry.gateway }));
    routes.push(...cloneData(entry.routes ?? []));
  }
  return withOptional<Result040>({ cniVersion, dns: copyDns(from.dns) }, {
    ips: ips.length ? ips : undefined,
    routes: routes.length ? routes : undefined,
  });
}

/** V3: the 0.3.0-0.4.0 shape to 0.1.0/0.2.0; the first IPv4 and IPv6 entries survive. */
function from040To020(from: Result040, cniVersion: string): Result020 {
  const result: Result020 = { cniVersion, dns: copyDns(from.dns) };
  for (const ip of from.ips ?? []) {
    const key = ip.version === "4" ? "ip4" : ip.version === "6" ? "ip6" : undefined;
    if (key !== undefined && result[key] === undefined) {
      result[key] = withOptional<IpConfig020>({ ip: ip.address }, { gateway: ip.gateway });
    }
  }
  if (result.ip4 === undefined && result.ip6 === undefined) {
    throw new Error("cannot convert: no valid IP addresses");
  }
  for (const route of from.routes ?? []) {
    const target = cidrIsIpv4(route.dst) ? result.ip4 : result.ip6;
    if (target === undefined) continue;
    target.routes ??= [];
    target.routes.push(withOptional<Route>({ dst: route.dst }, { gw: route.gw }));
  }
  return result;
}

/** V4: the 0.3.0-0.4.0 shape to 1.x; IP versions are dropped. */
function from040To100(from: Result040, cniVersion: string): Result100 {
  const result: Result100 = { cniVersion };
  if (from.interfaces?.length) result.interfaces = cloneData(from.interfaces);
  if (from.ips?.length) {
    result.ips = from.ips.map((ip) =>
      withOptional<IpConfig100>({ address: ip.address }, {
        gateway: ip.gateway,
        interface: ip.interface,
      })
    );
  }
  const routes = copyRoutes(from.routes);
  if (routes) result.routes = routes;
  const dns = copyDns(from.dns);
  if (Object.keys(dns).length) result.dns = dns;
  return result;
}

/** V5: 1.x to the 0.3.0-0.4.0 shape; IP versions come from the addresses. */
function from100To040(from: Result100, cniVersion: string): Result040 {
  const result: Result040 = { cniVersion, dns: copyDns(from.dns) };
  if (from.interfaces?.length) {
    result.interfaces = from.interfaces.map((iface) =>
      withOptional<Interface040>({ name: iface.name }, { mac: iface.mac, sandbox: iface.sandbox })
    );
  }
  if (from.ips?.length) {
    result.ips = from.ips.map((ip) =>
      withOptional<IpConfig040>(
        { version: cidrIsIpv4(ip.address) ? "4" : "6", address: ip.address },
        { interface: ip.interface, gateway: ip.gateway },
      )
    );
  }
  const routes = copyRoutes(from.routes);
  if (routes) result.routes = routes;
  return result;
}

/** A deep copy with only `cniVersion` changed: conversions inside one family. */
function sameFamily<T extends AnyResult>(from: T, cniVersion: string): T {
  return { ...cloneData(from), cniVersion };
}

/**
 * Converts a result to another spec version. A target of "" means 0.1.0; a result with an empty
 * `cniVersion` counts as the newest version of its family (see resultFamily).
 *
 * @throws {Error} "no converter for CNI result version X to Y" for versions this library does not
 * speak, and "cannot convert: no valid IP addresses" when a 0.1.0/0.2.0 target would hold no IP
 */
export function convertResult(result: AnyResult, toVersion: string): AnyResult {
  const target = versionOrDefault(toVersion);
  const unversioned = result.cniVersion === "";
  const fromFamily = unversioned ? resultFamily(result) : familyOf(result.cniVersion);
  const from = unversioned && fromFamily ? NEWEST_IN_FAMILY[fromFamily] : result.cniVersion;
  if (from === target) return sameFamily(result, target);
  const toFamily = familyOf(target);
  if (!isSpecVersion(from) || !isSpecVersion(target) || !fromFamily || !toFamily) {
    throw new Error(`no converter for CNI result version ${from} to ${target}`);
  }
  if (fromFamily === toFamily) return sameFamily(result, target);
  switch (`${fromFamily}>${toFamily}`) {
    case "020>040":
      return from020To040(result as Result020, target);
    case "020>100":
      return from040To100(from020To040(result as Result020, "0.4.0"), target);
    case "040>020":
      return from040To020(result as Result040, target);
    case "040>100":
      return from040To100(result as Result040, target);
    case "100>040":
      return from100To040(result as Result100, target);
    default: // "100>020"
      return from040To020(from100To040(result as Result100, "0.4.0"), target);
  }
}

/**
 * Converts a result to the newest spec version, 1.1.0: the shape handlers work with.
 *
 * @throws {Error} as convertResult does
 */
export function convertToCurrent(result: AnyResult): Result100 {
  const converted = convertResult(result, CURRENT_VERSION);
  if (!isResult100(converted)) throw new Error(`not a 1.x result: ${converted.cniVersion}`);
  return converted;
}

function isResult100(result: AnyResult): result is Result100 {
  return familyOf(result.cniVersion) === "100";
}
