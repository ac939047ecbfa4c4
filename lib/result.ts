/**
 * Decoding results from JSON in each family's shape, with the Go reference's rules: unknown keys
 * dropped, empty values left out, addresses checked and put in canonical form (spec §"Result").
 */
import {
  child,
  DecodeError,
  field,
  type FieldPath,
  fieldsOf,
  isJsonObject,
  type JsonObject,
  optionalArray,
  optionalInteger,
  optionalObject,
  optionalString,
  optionalStringList,
  typeMismatch,
} from "./_decode.ts";
import { goQuote } from "./_go_quote.ts";
import { canonicalCidr, canonicalIp } from "./_ip_text.ts";
import { familyOf, familyVersions, type ResultFamily } from "./version.ts";
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

/** What a missing address or route destination prints as (Go's nil IPNet). */
export const NIL_CIDR = "<nil>";

/** A CIDR member ("address", "ip", "dst"): canonical text, or `<nil>` when absent. */
function decodeCidr(value: unknown): string {
  if (value === undefined) return NIL_CIDR;
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

function objectsOf(
  raw: JsonObject,
  key: string,
  at: FieldPath,
  goType: string,
): JsonObject[] | undefined {
  const itemAt = child(at, key);
  const itemType = goType.slice(2);
  return optionalArray(field(raw, key), itemAt, goType)
    ?.filter((item) => item !== null)
    .map((item) => optionalObject(item, itemAt, itemType)!);
}

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

function decodeRouteAt(raw: JsonObject, paths: ReturnType<typeof routePaths>): Route {
  const f = fieldsOf(raw);
  const route: Route = { dst: decodeCidr(f("dst")) };
  put(route, "gw", decodeIp(f("gw"), paths.gw));
  put(route, "mtu", optionalInteger(f("mtu"), paths.mtu));
  put(route, "advmss", optionalInteger(f("advmss"), paths.advmss));
  put(route, "priority", optionalInteger(f("priority"), paths.priority));
  putPresent(route, "table", optionalInteger(f("table"), paths.table));
  putPresent(route, "scope", optionalInteger(f("scope"), paths.scope));
  return route;
}

/** Decodes one route. */
export function decodeRoute(raw: JsonObject): Route {
  return decodeRouteAt(raw, routePaths());
}

function decodeRoutes(raw: JsonObject, at: FieldPath): Route[] | undefined {
  const paths = routePaths();
  const routes = objectsOf(raw, "routes", at, "[]*types.Route")
    ?.map((item) => decodeRouteAt(item, paths));
  return routes?.length ? routes : undefined;
}

/** Decodes DNS settings; every member is optional. */
export function decodeDns(raw: unknown, at: FieldPath): Dns {
  const object = optionalObject(raw, at, "types.DNS") ?? {};
  const dns: Dns = {};
  put(
    dns,
    "nameservers",
    optionalStringList(field(object, "nameservers"), child(at, "nameservers")),
  );
  put(dns, "domain", optionalString(field(object, "domain"), child(at, "domain")));
  put(dns, "search", optionalStringList(field(object, "search"), child(at, "search")));
  put(dns, "options", optionalStringList(field(object, "options"), child(at, "options")));
  return dns;
}

function decodeIpConfig020(raw: JsonObject): IpConfig020 {
  const at = { struct: "ipConfig", path: "" };
  const ip: IpConfig020 = { ip: decodeCidr(field(raw, "ip")) };
  put(ip, "gateway", decodeIp(field(raw, "gateway"), child(at, "gateway")));
  put(ip, "routes", decodeRoutes(raw, at));
  return ip;
}

function decodeResult020(raw: JsonObject): Result020 {
  const at = { struct: "Result", path: "" };
  const result: Result020 = {
    cniVersion: optionalString(field(raw, "cniVersion"), child(at, "cniVersion")) ?? "",
    dns: {},
  };
  for (const key of ["ip4", "ip6"] as const) {
    const entry = optionalObject(field(raw, key), child(at, key), "types020.IPConfig");
    if (entry !== undefined) result[key] = decodeIpConfig020(entry);
  }
  result.dns = decodeDns(field(raw, "dns"), child(at, "dns"));
  return result;
}

function decodeInterfaceIndex(raw: JsonObject, at: FieldPath): number | undefined {
  return optionalInteger(field(raw, "interface"), child(at, "interface"));
}

function decodeResult040(raw: JsonObject): Result040 {
  const at = { struct: "Result", path: "" };
  const result: Result040 = {
    cniVersion: optionalString(field(raw, "cniVersion"), child(at, "cniVersion")) ?? "",
    dns: {},
  };
  const interfaces = objectsOf(raw, "interfaces", at, "[]*types040.Interface")?.map((item) => {
    const ifAt = { struct: "Interface", path: "interfaces" };
    const iface: Interface040 = {
      name: optionalString(field(item, "name"), child(ifAt, "name")) ?? "",
    };
    put(iface, "mac", optionalString(field(item, "mac"), child(ifAt, "mac")));
    put(iface, "sandbox", optionalString(field(item, "sandbox"), child(ifAt, "sandbox")));
    return iface;
  });
  put(result, "interfaces", interfaces);
  const ips = objectsOf(raw, "ips", at, "[]*types040.IPConfig")?.map((item) => {
    const ipAt = { struct: "ipConfig", path: "" };
    const ip: IpConfig040 = {
      version: optionalString(field(item, "version"), child(ipAt, "version")) ?? "",
      address: decodeCidr(field(item, "address")),
    };
    putPresent(ip, "interface", decodeInterfaceIndex(item, ipAt));
    put(ip, "gateway", decodeIp(field(item, "gateway"), child(ipAt, "gateway")));
    return ip;
  });
  put(result, "ips", ips);
  put(result, "routes", decodeRoutes(raw, at));
  result.dns = decodeDns(field(raw, "dns"), child(at, "dns"));
  return result;
}

function decodeResult100(raw: JsonObject): Result100 {
  const at = { struct: "Result", path: "" };
  const result: Result100 = {
    cniVersion: optionalString(field(raw, "cniVersion"), child(at, "cniVersion")) ?? "",
  };
  const ifAt = { struct: "Interface", path: "interfaces" };
  const ifPaths = {
    name: child(ifAt, "name"),
    mac: child(ifAt, "mac"),
    mtu: child(ifAt, "mtu"),
    sandbox: child(ifAt, "sandbox"),
    socketPath: child(ifAt, "socketPath"),
    pciID: child(ifAt, "pciID"),
  };
  const interfaces = objectsOf(raw, "interfaces", at, "[]*types100.Interface")?.map((item) => {
    const f = fieldsOf(item);
    const iface: Interface100 = { name: optionalString(f("name"), ifPaths.name) ?? "" };
    put(iface, "mac", optionalString(f("mac"), ifPaths.mac));
    put(iface, "mtu", optionalInteger(f("mtu"), ifPaths.mtu));
    put(iface, "sandbox", optionalString(f("sandbox"), ifPaths.sandbox));
    put(iface, "socketPath", optionalString(f("socketPath"), ifPaths.socketPath));
    put(iface, "pciID", optionalString(f("pciID"), ifPaths.pciID));
    return iface;
  });
  put(result, "interfaces", interfaces);
  const ipAt = { struct: "ipConfig", path: "" };
  const gatewayAt = child(ipAt, "gateway");
  const interfaceAt = child(ipAt, "interface");
  const ips = objectsOf(raw, "ips", at, "[]*types100.IPConfig")?.map((item) => {
    const f = fieldsOf(item);
    const ip: IpConfig100 = { address: decodeCidr(f("address")) };
    put(ip, "gateway", decodeIp(f("gateway"), gatewayAt));
    putPresent(ip, "interface", optionalInteger(f("interface"), interfaceAt));
    return ip;
  });
  put(result, "ips", ips);
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
  if (result.cniVersion === "") result.cniVersion = "0.1.0";
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
  const cniVersion = version === "" ? "0.1.0" : version;
  const family = familyOf(cniVersion);
  if (family === undefined) {
    throw new DecodeError(`unsupported CNI result version ${goQuote(version)}`);
  }
  return family === "100" ? { cniVersion } : { cniVersion, dns: {} };
}
