/**
 * Output in the Go reference's exact form: 4-space indentation, no trailing newline, `<`, `>`,
 * `&`, U+2028 and U+2029 escaped, and each family's key order (reference notes R4, R5).
 */
import type { ErrorObject } from "./errors.ts";
import { resultFamily } from "./result.ts";
import type { AnyResult, Dns, Route, VersionInfo } from "./types.ts";

const GO_ESCAPES: Readonly<Record<string, string>> = {
  "<": "\\u003c",
  ">": "\\u003e",
  "&": "\\u0026",
  "\u2028": "\\u2028",
  "\u2029": "\\u2029",
};

/** JSON text escaped the way Go's encoder escapes it. */
function escapeLikeGo(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c]!);
}

/** Go strings are UTF-8, so a lone surrogate (a JSON escape like "\ud800") arrives as U+FFFD. */
function wellFormed(_key: string, value: unknown): unknown {
  return typeof value === "string" ? value.toWellFormed() : value;
}

/**
 * JSON.stringify with `wellFormed` applied to every string. JSON.stringify prints a lone
 * surrogate as an escape starting with `\ud`, so text without one has no string to mend: the
 * replacer, a call into JavaScript for every value, runs only when that sequence shows up.
 */
function stringifyWellFormed(value: unknown, indent?: number): string {
  const json = JSON.stringify(value, null, indent);
  return json !== undefined && json.includes("\\ud")
    ? JSON.stringify(value, wellFormed, indent)
    : json;
}

/** Go's `json.MarshalIndent(value, "", "    ")`, keeping the key order of `value`. */
export function marshalIndent(value: unknown): string {
  return escapeLikeGo(stringifyWellFormed(value, 4));
}

/** Go's compact `json.Marshal(value)`, keeping the key order of `value`. */
export function marshalCompact(value: unknown): string {
  return escapeLikeGo(stringifyWellFormed(value));
}

/** A copy of `value` with the keys of every object sorted by byte order. */
function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (typeof value !== "object" || value === null) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    sorted[key] = sortKeysDeep((value as Record<string, unknown>)[key]);
  }
  return sorted;
}

/** `source` with only `keys`, in that order, leaving out absent members. */
function pick(source: object, keys: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const key of keys) {
    const value = (source as Record<string, unknown>)[key];
    if (value !== undefined) picked[key] = value;
  }
  return picked;
}

/** Leaves out what Go's omitempty leaves out: "", 0, empty lists (but keeps the given keys). */
function omitEmpty(object: Record<string, unknown>, keep: readonly string[] = []) {
  for (const [key, value] of Object.entries(object)) {
    if (keep.includes(key)) continue;
    if (value === "" || value === 0 || (Array.isArray(value) && value.length === 0)) {
      delete object[key];
    }
  }
  return object;
}

const ROUTE_KEYS = ["dst", "gw", "mtu", "advmss", "priority", "table", "scope"] as const;
const DNS_KEYS = ["nameservers", "domain", "search", "options"] as const;

function wireRoute(route: Route) {
  return omitEmpty(pick(route, ROUTE_KEYS), ["dst", "table", "scope"]);
}

function wireDns(dns: Dns | undefined) {
  return omitEmpty(pick(dns ?? {}, DNS_KEYS));
}

function wireRoutes(routes: Route[] | undefined) {
  return routes?.length ? routes.map(wireRoute) : undefined;
}

function wireList<T extends object>(
  list: T[] | undefined,
  keys: readonly string[],
  keep: string[],
) {
  return list?.length ? list.map((item) => omitEmpty(pick(item, keys), keep)) : undefined;
}

// 1.x output has every key at every depth in byte order (reference note R4). The functions below
// build it in that order directly, rather than picking in struct order and sorting a copy of the
// whole result: a result with many entries is printed cold, at every container start. Members are
// read in struct order, as the other families read them.

/** Go's omitempty: "", 0 and empty lists are left out. */
function isEmpty(value: unknown): boolean {
  return value === "" || value === 0 || (Array.isArray(value) && value.length === 0);
}

/** Sets `key` (callers go in byte order) unless the value is absent, or empty and omitempty. */
function setSorted(
  target: Record<string, unknown>,
  key: string,
  value: unknown,
  omitempty: boolean,
): void {
  if (value === undefined || (omitempty && isEmpty(value))) return;
  target[key] = typeof value === "object" && value !== null ? sortKeysDeep(value) : value;
}

function interfaceToWire100(iface: import("./types.ts").Interface100) {
  const name = iface.name;
  const mac = iface.mac;
  const mtu = iface.mtu;
  const sandbox = iface.sandbox;
  const socketPath = iface.socketPath;
  const pciID = iface.pciID;
  const wire: Record<string, unknown> = {};
  setSorted(wire, "mac", mac, true);
  setSorted(wire, "mtu", mtu, true);
  setSorted(wire, "name", name, false);
  setSorted(wire, "pciID", pciID, true);
  setSorted(wire, "sandbox", sandbox, true);
  setSorted(wire, "socketPath", socketPath, true);
  return wire;
}

function ipToWire100(ip: import("./types.ts").IpConfig100) {
  const address = ip.address;
  const gateway = ip.gateway;
  const index = ip.interface;
  const wire: Record<string, unknown> = {};
  setSorted(wire, "address", address, false);
  setSorted(wire, "gateway", gateway, true);
  setSorted(wire, "interface", index, false);
  return wire;
}

function routeToWire100(route: Route) {
  const dst = route.dst;
  const gw = route.gw;
  const mtu = route.mtu;
  const advmss = route.advmss;
  const priority = route.priority;
  const table = route.table;
  const scope = route.scope;
  const wire: Record<string, unknown> = {};
  setSorted(wire, "advmss", advmss, true);
  setSorted(wire, "dst", dst, false);
  setSorted(wire, "gw", gw, true);
  setSorted(wire, "mtu", mtu, true);
  setSorted(wire, "priority", priority, true);
  setSorted(wire, "scope", scope, false);
  setSorted(wire, "table", table, false);
  return wire;
}

function resultToWire100(r: import("./types.ts").Result100): Record<string, unknown> {
  const source = r.dns ?? {};
  const nameservers = source.nameservers;
  const domain = source.domain;
  const search = source.search;
  const options = source.options;
  const dns: Record<string, unknown> = {};
  setSorted(dns, "domain", domain, true);
  setSorted(dns, "nameservers", nameservers, true);
  setSorted(dns, "options", options, true);
  setSorted(dns, "search", search, true);
  const interfaces = r.interfaces?.length ? r.interfaces.map(interfaceToWire100) : undefined;
  const ips = r.ips?.length ? r.ips.map(ipToWire100) : undefined;
  const routes = r.routes?.length ? r.routes.map(routeToWire100) : undefined;
  const wire: Record<string, unknown> = {};
  setSorted(wire, "cniVersion", r.cniVersion || undefined, false);
  if (Object.keys(dns).length) wire.dns = dns;
  if (interfaces !== undefined) wire.interfaces = interfaces;
  if (ips !== undefined) wire.ips = ips;
  if (routes !== undefined) wire.routes = routes;
  return wire;
}

/**
 * The result as Go prints it: plain objects in the family's key order, empty members left out
 * (an empty `cniVersion` too).
 */
export function resultToWire(result: AnyResult): Record<string, unknown> {
  switch (resultFamily(result)) {
    case "020": {
      const r = result as import("./types.ts").Result020;
      const ipConfig = (ip: typeof r.ip4) =>
        ip &&
        omitEmpty(
          pick({ ...ip, routes: wireRoutes(ip.routes) }, ["ip", "gateway", "routes"]),
          ["ip"],
        );
      return pick({
        cniVersion: r.cniVersion || undefined,
        ip4: ipConfig(r.ip4),
        ip6: ipConfig(r.ip6),
        dns: wireDns(r.dns),
      }, ["cniVersion", "ip4", "ip6", "dns"]);
    }
    case "040": {
      const r = result as import("./types.ts").Result040;
      return pick({
        cniVersion: r.cniVersion || undefined,
        interfaces: wireList(r.interfaces, ["name", "mac", "sandbox"], ["name"]),
        ips: wireList(
          r.ips,
          ["version", "interface", "address", "gateway"],
          ["version", "interface", "address"],
        ),
        routes: wireRoutes(r.routes),
        dns: wireDns(r.dns),
      }, ["cniVersion", "interfaces", "ips", "routes", "dns"]);
    }
    case "100":
      return resultToWire100(result as import("./types.ts").Result100);
  }
}

/** A result as the reference prints it on stdout. */
export function formatResult(result: AnyResult): string {
  return marshalIndent(resultToWire(result));
}

/** An error object as the reference prints it on stdout: no `cniVersion`, `details` when set. */
export function formatError(error: ErrorObject): string {
  return marshalIndent(
    error.details ? { code: error.code, msg: error.msg, details: error.details } : {
      code: error.code,
      msg: error.msg,
    },
  );
}

/** The VERSION reply: compact JSON and a newline. */
export function formatVersionInfo(info: VersionInfo): string {
  const wire = info.supportedVersions.length
    ? { cniVersion: info.cniVersion, supportedVersions: info.supportedVersions }
    : { cniVersion: info.cniVersion };
  return marshalCompact(wire) + "\n";
}
