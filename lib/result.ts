/**
 * Decoding results from JSON in each family's shape, with the Go reference's rules: unknown keys
 * dropped, empty values left out, addresses checked and put in canonical form (spec §"Result").
 */
import {
  child,
  DecodeError,
  field,
  type FieldPath,
  isJsonObject,
  type JsonObject,
  optionalArray,
  optionalInteger,
  optionalObject,
  optionalString,
  optionalStringList,
  typeMismatch,
} from "./_decode.ts";
import { formatCidr, formatIp, parseCidr, parseIp } from "./ip.ts";
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
  const cidr = parseCidr(text);
  if (cidr === undefined) throw new DecodeError(`invalid CIDR address: ${text}`);
  return formatCidr(cidr);
}

/** An IP member ("gateway", "gw"): canonical text, or undefined when absent, null or "". */
function decodeIp(value: unknown, at: FieldPath): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw typeMismatch(value, at, "net.IP");
  if (value === "") return undefined;
  const ip = parseIp(value);
  if (ip === undefined) throw new DecodeError(`invalid IP address: ${value}`);
  return formatIp(ip);
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
  return optionalArray(field(raw, key), child(at, key), goType)
    ?.filter((item) => item !== null)
    .map((item) => optionalObject(item, child(at, key), goType.slice(2))!);
}

/** Decodes one route. */
export function decodeRoute(raw: JsonObject): Route {
  const at = { struct: "route", path: "" };
  const route: Route = { dst: decodeCidr(field(raw, "dst")) };
  put(route, "gw", decodeIp(field(raw, "gw"), child(at, "gw")));
  put(route, "mtu", optionalInteger(field(raw, "mtu"), child(at, "mtu")));
  put(route, "advmss", optionalInteger(field(raw, "advmss"), child(at, "advmss")));
  put(route, "priority", optionalInteger(field(raw, "priority"), child(at, "priority")));
  putPresent(route, "table", optionalInteger(field(raw, "table"), child(at, "table")));
  putPresent(route, "scope", optionalInteger(field(raw, "scope"), child(at, "scope")));
  return route;
}

function decodeRoutes(raw: JsonObject, at: FieldPath): Route[] | undefined {
  const routes = objectsOf(raw, "routes", at, "[]*types.Route")?.map(decodeRoute);
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
  const interfaces = objectsOf(raw, "interfaces", at, "[]*types100.Interface")?.map((item) => {
    const ifAt = { struct: "Interface", path: "interfaces" };
    const iface: Interface100 = {
      name: optionalString(field(item, "name"), child(ifAt, "name")) ?? "",
    };
    put(iface, "mac", optionalString(field(item, "mac"), child(ifAt, "mac")));
    put(iface, "mtu", optionalInteger(field(item, "mtu"), child(ifAt, "mtu")));
    put(iface, "sandbox", optionalString(field(item, "sandbox"), child(ifAt, "sandbox")));
    put(iface, "socketPath", optionalString(field(item, "socketPath"), child(ifAt, "socketPath")));
    put(iface, "pciID", optionalString(field(item, "pciID"), child(ifAt, "pciID")));
    return iface;
  });
  put(result, "interfaces", interfaces);
  const ips = objectsOf(raw, "ips", at, "[]*types100.IPConfig")?.map((item) => {
    const ipAt = { struct: "ipConfig", path: "" };
    const ip: IpConfig100 = { address: decodeCidr(field(item, "address")) };
    put(ip, "gateway", decodeIp(field(item, "gateway"), child(ipAt, "gateway")));
    putPresent(ip, "interface", decodeInterfaceIndex(item, ipAt));
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
    throw new DecodeError(`unsupported CNI result version ${JSON.stringify(version)}`);
  }
  if (!isJsonObject(raw)) throw typeMismatch(raw, { struct: "", path: "" }, "Result");
  const result = DECODERS[family](raw);
  const accepted = familyVersions(family);
  if (!accepted.includes(result.cniVersion)) {
    throw new DecodeError(
      `result type supports [${accepted.join(" ")}] but unmarshalled CNIVersion is ` +
        JSON.stringify(result.cniVersion),
    );
  }
  return result;
}

/** The family a result belongs to, by its `cniVersion`. */
export function resultFamily(result: AnyResult): ResultFamily {
  const family = familyOf(result.cniVersion);
  if (family === undefined) {
    throw new DecodeError(`unsupported CNI result version ${JSON.stringify(result.cniVersion)}`);
  }
  return family;
}

/** A result with nothing in it, in `version`'s family (the empty `dns` 0.x results print). */
export function emptyResult(version: string): AnyResult {
  const cniVersion = version === "" ? "0.1.0" : version;
  const family = familyOf(cniVersion);
  if (family === undefined) {
    throw new DecodeError(`unsupported CNI result version ${JSON.stringify(version)}`);
  }
  return family === "100" ? { cniVersion } : { cniVersion, dns: {} };
}
