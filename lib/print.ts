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

/** Go's `json.MarshalIndent(value, "", "    ")`, keeping the key order of `value`. */
export function marshalIndent(value: unknown): string {
  return escapeLikeGo(JSON.stringify(value, wellFormed, 4));
}

/** Go's compact `json.Marshal(value)`, keeping the key order of `value`. */
export function marshalCompact(value: unknown): string {
  return escapeLikeGo(JSON.stringify(value, wellFormed));
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
    case "100": {
      const r = result as import("./types.ts").Result100;
      const dns = wireDns(r.dns);
      return sortKeysDeep(pick({
        cniVersion: r.cniVersion || undefined,
        interfaces: wireList(
          r.interfaces,
          ["name", "mac", "mtu", "sandbox", "socketPath", "pciID"],
          ["name"],
        ),
        ips: wireList(r.ips, ["address", "gateway", "interface"], ["address", "interface"]),
        routes: wireRoutes(r.routes),
        dns: Object.keys(dns).length ? dns : undefined,
      }, ["cniVersion", "interfaces", "ips", "routes", "dns"])) as Record<string, unknown>;
    }
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
