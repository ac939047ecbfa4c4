/**
 * Decoding results from JSON in each family's shape, with the Go reference's rules: unknown keys
 * dropped, empty values left out, addresses checked and put in canonical form (spec "Section 5: Result Types").
 */
import {
  child,
  DecodeError,
  field,
  fieldNames,
  type FieldPath,
  isJsonObject,
  type JsonObject,
  optionalArray,
  optionalInteger,
  optionalObject,
  optionalString,
  optionalStringList,
  readFields,
  typeMismatch,
} from "./_decode.ts";
import { goQuote } from "./_go_quote.ts";
import { canonicalCidr, canonicalIp } from "./_ip_text.ts";
import { familyOf, familyVersions, type ResultFamily, versionOrDefault } from "./version.ts";
import type {
  AnyResult,
  Dns,
  Interface040,
  Interface100,
  IpConfig020,
  IpConfig040,
  IpConfig100,
  Result020,
  Result040,
  Result100,
  Route,
} from "./types.ts";

/**
 * A CIDR member ("address", "ip", "dst") in canonical text. An absent one is refused: Go would
 * print it as `<nil>`, which no runtime can read back.
 *
 * @param where the entry, for the message ("ips[0]")
 * @param member the member's name
 */
function decodeCidr(value: unknown, where: string, member: string): string {
  if (value === undefined) throw new DecodeError(`${where} has no ${member}`);
  if (value !== null && typeof value !== "string") {
    throw typeMismatch(value, { struct: "", path: "" }, "string");
  }
  const text = value ?? "";
  const cidr = canonicalCidr(text);
  if (cidr === undefined) throw new DecodeError(`invalid CIDR address: ${text}`);
  return cidr;
}

/** An IP member ("gateway", "gw"): canonical text, or undefined when absent, null or "". */
function decodeIp(value: unknown, at: FieldPath): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw typeMismatch(value, at, "net.IP");
  if (value === "") return undefined;
  const ip = canonicalIp(value);
  if (ip === undefined) throw new DecodeError(`invalid IP address: ${value}`);
  return ip;
}

/** Sets `target[key]` only when `value` is worth printing (Go's omitempty). */
function put<T, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  const empty = value === undefined || value === "" || value === 0 ||
    (Array.isArray(value) && value.length === 0);
  if (!empty) target[key] = value as T[K];
}

/** Like `put`, but keeps 0: for integers that are pointers in Go (`interface`, `table`, `scope`). */
function putPresent<T, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

/**
 * The objects of a list member. A null entry is refused, naming it: Go would keep a nil entry
 * that it then prints as null or fails on, and an IP's interface index must not come to point
 * at a different interface because an entry before it was dropped.
 */
function objectsOf(
  raw: JsonObject,
  key: string,
  at: FieldPath,
  goType: string,
  where = "",
): JsonObject[] | undefined {
  const itemAt = child(at, key);
  const list = optionalArray(field(raw, key, true), itemAt, goType);
  if (list === undefined) return undefined;
  const itemType = goType.slice(2);
  const objects: JsonObject[] = [];
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (item === null || item === undefined) throw new DecodeError(`${where}${key}[${i}] is null`);
    objects.push(optionalObject(item, itemAt, itemType)!);
  }
  return objects;
}

// Plain loops and top-level functions below, not callbacks: a result with many entries runs them
// cold, at every container start, and V8 compiles a callback only when it is first called.

/** Where the members of a route sit, for error messages. */
function routePaths() {
  const at = { struct: "route", path: "" };
  return {
    gw: child(at, "gw"),
    mtu: child(at, "mtu"),
    advmss: child(at, "advmss"),
    priority: child(at, "priority"),
    table: child(at, "table"),
    scope: child(at, "scope"),
  };
}

const ROUTE_FIELDS = fieldNames(
  ["dst", "gw", "mtu", "advmss", "priority", "table", "scope"],
  ["gw", "table", "scope"],
);

function decodeRouteAt(
  raw: JsonObject,
  paths: ReturnType<typeof routePaths>,
  where: string,
): Route {
  const f = readFields(raw, ROUTE_FIELDS);
  const route: Route = { dst: decodeCidr(f.dst, where, "dst") };
  put(route, "gw", decodeIp(f.gw, paths.gw));
  put(route, "mtu", optionalInteger(f.mtu, paths.mtu));
  put(route, "advmss", optionalInteger(f.advmss, paths.advmss));
  put(route, "priority", optionalInteger(f.priority, paths.priority));
  putPresent(route, "table", optionalInteger(f.table, paths.table));
  putPresent(route, "scope", optionalInteger(f.scope, paths.scope));
  return route;
}

function decodeRoutes(raw: JsonObject, at: FieldPath, where = ""): Route[] | undefined {
  const items = objectsOf(raw, "routes", at, "[]*types.Route", where);
  if (items === undefined || items.length === 0) return undefined;
  const paths = routePaths();
  const routes: Route[] = [];
  for (let i = 0; i < items.length; i++) {
    routes.push(decodeRouteAt(items[i]!, paths, `${where}routes[${i}]`));
  }
  return routes;
}

/**
 * Decodes DNS settings; every member is optional. Go names the innermost struct in a member's
 * error: "Go struct field DNS.dns.domain".
 */
export function decodeDns(raw: unknown, at: FieldPath): Dns {
  const object = optionalObject(raw, at, "types.DNS") ?? {};
  const member = (key: string) => child(at, key, "DNS");
  const dns: Dns = {};
  put(
    dns,
    "nameservers",
    optionalStringList(field(object, "nameservers", true), member("nameservers")),
  );
  put(dns, "domain", optionalString(field(object, "domain"), member("domain")));
  put(dns, "search", optionalStringList(field(object, "search", true), member("search")));
  put(dns, "options", optionalStringList(field(object, "options", true), member("options")));
  return dns;
}

function decodeIpConfig020(raw: JsonObject, key: string): IpConfig020 {
  const at = { struct: "ipConfig", path: "" };
  const ip: IpConfig020 = { ip: decodeCidr(field(raw, "ip"), key, "ip") };
  put(ip, "gateway", decodeIp(field(raw, "gateway", true), child(at, "gateway")));
  put(ip, "routes", decodeRoutes(raw, at, `${key}.`));
  return ip;
}

function decodeResult020(raw: JsonObject): Result020 {
  const at = { struct: "Result", path: "" };
  const result: Result020 = {
    cniVersion: optionalString(field(raw, "cniVersion"), child(at, "cniVersion")) ?? "",
    dns: {},
  };
  for (const key of ["ip4", "ip6"] as const) {
    const entry = optionalObject(field(raw, key, true), child(at, key), "types020.IPConfig");
    if (entry !== undefined) result[key] = decodeIpConfig020(entry, key);
  }
  result.dns = decodeDns(field(raw, "dns"), child(at, "dns"));
  return result;
}

/** Where the members of an interface sit, for error messages. */
function interfacePaths() {
  const at = { struct: "Interface", path: "interfaces" };
  return {
    name: child(at, "name"),
    mac: child(at, "mac"),
    mtu: child(at, "mtu"),
    sandbox: child(at, "sandbox"),
    socketPath: child(at, "socketPath"),
    pciID: child(at, "pciID"),
  };
}

const INTERFACE040_FIELDS = fieldNames(["name", "mac", "sandbox"]);

function decodeInterface040(raw: JsonObject, paths: ReturnType<typeof interfacePaths>) {
  const f = readFields(raw, INTERFACE040_FIELDS);
  const iface: Interface040 = { name: optionalString(f.name, paths.name) ?? "" };
  put(iface, "mac", optionalString(f.mac, paths.mac));
  put(iface, "sandbox", optionalString(f.sandbox, paths.sandbox));
  return iface;
}

const INTERFACE100_FIELDS = fieldNames(["name", "mac", "mtu", "sandbox", "socketPath", "pciID"]);

function decodeInterface100(raw: JsonObject, paths: ReturnType<typeof interfacePaths>) {
  const f = readFields(raw, INTERFACE100_FIELDS);
  const iface: Interface100 = { name: optionalString(f.name, paths.name) ?? "" };
  put(iface, "mac", optionalString(f.mac, paths.mac));
  put(iface, "mtu", optionalInteger(f.mtu, paths.mtu));
  put(iface, "sandbox", optionalString(f.sandbox, paths.sandbox));
  put(iface, "socketPath", optionalString(f.socketPath, paths.socketPath));
  put(iface, "pciID", optionalString(f.pciID, paths.pciID));
  return iface;
}

/** Where the members of an IP sit, for error messages. */
function ipPaths() {
  const at = { struct: "ipConfig", path: "" };
  return {
    version: child(at, "version"),
    gateway: child(at, "gateway"),
    interface: child(at, "interface"),
  };
}

const IP040_FIELDS = fieldNames(
  ["version", "address", "interface", "gateway"],
  ["interface", "gateway"],
);

function decodeIpConfig040(
  raw: JsonObject,
  paths: ReturnType<typeof ipPaths>,
  where: string,
): IpConfig040 {
  const f = readFields(raw, IP040_FIELDS);
  const ip: IpConfig040 = {
    version: optionalString(f.version, paths.version) ?? "",
    address: decodeCidr(f.address, where, "address"),
  };
  putPresent(ip, "interface", optionalInteger(f.interface, paths.interface));
  put(ip, "gateway", decodeIp(f.gateway, paths.gateway));
  return ip;
}

const IP100_FIELDS = fieldNames(["address", "gateway", "interface"], ["interface", "gateway"]);

function decodeIpConfig100(
  raw: JsonObject,
  paths: ReturnType<typeof ipPaths>,
  where: string,
): IpConfig100 {
  const f = readFields(raw, IP100_FIELDS);
  const ip: IpConfig100 = { address: decodeCidr(f.address, where, "address") };
  put(ip, "gateway", decodeIp(f.gateway, paths.gateway));
  putPresent(ip, "interface", optionalInteger(f.interface, paths.interface));
  return ip;
}

function decodeResult040(raw: JsonObject): Result040 {
  const at = { struct: "Result", path: "" };
  const result: Result040 = {
    cniVersion: optionalString(field(raw, "cniVersion"), child(at, "cniVersion")) ?? "",
    dns: {},
  };
  const interfaces = objectsOf(raw, "interfaces", at, "[]*types040.Interface");
  if (interfaces !== undefined) {
    const paths = interfacePaths();
    const decoded: Interface040[] = [];
    for (let i = 0; i < interfaces.length; i++) {
      decoded.push(decodeInterface040(interfaces[i]!, paths));
    }
    put(result, "interfaces", decoded);
  }
  const ips = objectsOf(raw, "ips", at, "[]*types040.IPConfig");
  if (ips !== undefined) {
    const paths = ipPaths();
    const decoded: IpConfig040[] = [];
    for (let i = 0; i < ips.length; i++) {
      decoded.push(decodeIpConfig040(ips[i]!, paths, `ips[${i}]`));
    }
    put(result, "ips", decoded);
  }
  put(result, "routes", decodeRoutes(raw, at));
  result.dns = decodeDns(field(raw, "dns"), child(at, "dns"));
  return result;
}

function decodeResult100(raw: JsonObject): Result100 {
  const at = { struct: "Result", path: "" };
  const result: Result100 = {
    cniVersion: optionalString(field(raw, "cniVersion"), child(at, "cniVersion")) ?? "",
  };
  const interfaces = objectsOf(raw, "interfaces", at, "[]*types100.Interface");
  if (interfaces !== undefined) {
    const paths = interfacePaths();
    const decoded: Interface100[] = [];
    for (let i = 0; i < interfaces.length; i++) {
      decoded.push(decodeInterface100(interfaces[i]!, paths));
    }
    put(result, "interfaces", decoded);
  }
  const ips = objectsOf(raw, "ips", at, "[]*types100.IPConfig");
  if (ips !== undefined) {
    const paths = ipPaths();
    const decoded: IpConfig100[] = [];
    for (let i = 0; i < ips.length; i++) {
      decoded.push(decodeIpConfig100(ips[i]!, paths, `ips[${i}]`));
    }
    put(result, "ips", decoded);
  }
  put(result, "routes", decodeRoutes(raw, at));
  const dns = decodeDns(field(raw, "dns"), child(at, "dns"));
  if (Object.keys(dns).length > 0) result.dns = dns;
  return result;
}

const DECODERS: Readonly<Record<ResultFamily, (raw: JsonObject) => AnyResult>> = {
  "020": decodeResult020,
  "040": decodeResult040,
  "100": decodeResult100,
};

/**
 * Decodes a result with the decoder of `version`'s family, which also requires the result's own
 * `cniVersion` to belong to that family (Go's `create.Create`).
 *
 * @throws {DecodeError} for unknown versions, type mismatches, bad addresses and family mismatches
 */
export function decodeResult(version: string, raw: unknown): AnyResult {
  const family = familyOf(version);
  if (family === undefined) {
    throw new DecodeError(`unsupported CNI result version ${goQuote(version)}`);
  }
  if (!isJsonObject(raw)) {
    throw typeMismatch(raw, { struct: "", path: "" }, `types${family}.Result`);
  }
  const result = DECODERS[family](raw);
  const accepted = familyVersions(family);
  if (!accepted.includes(result.cniVersion)) {
    throw new DecodeError(
      `result type supports [${accepted.join(" ")}] but unmarshalled CNIVersion is ` +
        goQuote(result.cniVersion),
    );
  }
  // A 0.1.0/0.2.0 result without a version is a 0.1.0 one (Go's types020.NewResult).
  result.cniVersion = versionOrDefault(result.cniVersion);
  return result;
}

/**
 * The family a result belongs to, by its `cniVersion`. A result built in code with an empty
 * `cniVersion` has no version to go by, so its shape decides: `ip4` or `ip6` make it a 0.2.0
 * result, IPs with a `version` a 0.4.0 one, anything else a 1.x one.
 *
 * @throws {DecodeError} for a `cniVersion` this library does not speak
 */
export function resultFamily(result: AnyResult): ResultFamily {
  if (result.cniVersion === "") {
    if ("ip4" in result || "ip6" in result) return "020";
    const ips: readonly object[] = ("ips" in result && result.ips) || [];
    return ips.some((ip) => "version" in ip) ? "040" : "100";
  }
  const family = familyOf(result.cniVersion);
  if (family === undefined) {
    throw new DecodeError(`unsupported CNI result version ${goQuote(result.cniVersion)}`);
  }
  return family;
}

/** A result with nothing in it, in `version`'s family (the empty `dns` 0.x results print). */
export function emptyResult(version: string): AnyResult {
  const cniVersion = versionOrDefault(version);
  const family = familyOf(cniVersion);
  if (family === undefined) {
    throw new DecodeError(`unsupported CNI result version ${goQuote(version)}`);
  }
  return family === "100" ? { cniVersion } : { cniVersion, dns: {} };
}
