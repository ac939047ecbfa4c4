/**
 * host-local's configuration, read as the Go reference reads it: the `ipam` section (`subnet`,
 * `rangeStart`, `rangeEnd`, `gateway` for one range; `ranges` for range sets; `routes`,
 * `dataDir`, `resolvConf`), the `ips` and `ipRanges` capabilities in `runtimeConfig`, the
 * addresses asked for in `args.cni.ips` and in CNI_ARGS `IP`.
 *
 * {@link decodeIpamConfig} decodes the document with Go's encoding/json rules (keys match
 * case-insensitively, the last match wins, and errors are worded as Go words them and reported
 * in Go's order); {@link resolveIpamConfig} then checks it as the reference's `LoadIPAMConfig`
 * does and builds the range sets. Each error is a CniError with the reference's message: code 7
 * for the configuration, code 4 for CNI_ARGS.
 *
 * @module
 */
import {
  child,
  type FieldPath,
  foldKey,
  isJsonObject,
  type JsonObject,
  optionalInteger,
  typeMismatch,
} from "../_decode.ts";
import { goQuote } from "../_go_quote.ts";
import { CniError, ErrorCode } from "../errors.ts";
import {
  formatCidr,
  formatIp,
  type IpAddress,
  type IpCidr,
  parseCidr,
  parseIp,
} from "../ip_math.ts";
import type { Route } from "../types.ts";
import { versionAtLeast } from "../version.ts";
import {
  makeRangeSet,
  type RangeSet,
  rangeSetFamily,
  rangeSetsOverlap,
  type RangeSpec,
} from "./range.ts";
import { DEFAULT_DATA_DIR } from "./store.ts";

/** A route of the configuration; `dst` undefined when the entry has none, null entries kept. */
export interface RouteSpec {
  /** The destination, as written ("10.9.0.1/8" keeps its host bits). */
  dst?: IpCidr | undefined;
  /** The next hop. */
  gw?: IpAddress | undefined;
  /** Spec 1.1.0's route attributes. */
  mtu?: number | undefined;
  /** The TCP maximum segment size to advertise. */
  advmss?: number | undefined;
  /** The route's priority. */
  priority?: number | undefined;
  /** The routing table. */
  table?: number | undefined;
  /** The route's scope. */
  scope?: number | undefined;
}

/** The `ipam` section, decoded. */
export interface IpamSection {
  /** `type`. */
  type: string;
  /** The one range of `subnet`, `rangeStart`, `rangeEnd`, `gateway`; undefined when none is set. */
  range: RangeSpec | undefined;
  /** `ranges`: range sets, each a list of ranges. */
  ranges: RangeSpec[][];
  /** `routes`; a null entry stays null. */
  routes: (RouteSpec | null)[];
  /** `dataDir`; "" when unset. */
  dataDir: string;
  /** `resolvConf`; "" when unset. */
  resolvConf: string;
}

/** What {@link decodeIpamConfig} read: the parts of the document host-local uses. */
export interface IpamDocument {
  /** The network's name. */
  name: string;
  /** `cniVersion` as written ("" when absent). */
  cniVersion: string;
  /** The `ipam` section; undefined when absent or null. */
  ipam: IpamSection | undefined;
  /** `runtimeConfig.ipRanges` (the `ipRanges` capability). */
  runtimeRanges: RangeSpec[][];
  /** `runtimeConfig.ips` (the `ips` capability); undefined for an entry that is "" or null. */
  runtimeIps: (IpAddress | null | undefined)[];
  /** `args.cni.ips`; undefined for an entry that is "" or null. */
  argsIps: (IpAddress | null | undefined)[];
}

/** The configuration checked and complete: what host-local works with. */
export interface IpamSettings {
  /** The network's name: the directory of its leases under `dataDir`. */
  name: string;
  /** `dataDir`, or the default `/var/lib/cni/networks`. */
  dataDir: string;
  /** `resolvConf`; "" when unset. */
  resolvConf: string;
  /** The routes of the result. */
  routes: Route[];
  /** The range sets: capability ranges first, then the `subnet` range, then `ranges`. */
  rangeSets: RangeSet[];
  /** The addresses asked for, canonical, in the order CNI_ARGS, `args.cni.ips`, `ips`. */
  requestedIps: IpAddress[];
}

/** A configuration error with the reference's message. */
function invalid(message: string): CniError {
  return new CniError(ErrorCode.invalidNetworkConfig, message);
}

/**
 * Go's decoding state: type mismatches are kept (the first one is reported at the end) while
 * decoding goes on; a custom decoder's failure (a bad address) ends decoding at once.
 */
class Decoding {
  saved: CniError | undefined;

  mismatch(value: unknown, at: FieldPath, goType: string): void {
    this.saved ??= invalid(typeMismatch(value, at, goType).message);
  }
}

/** Calls `visit` for every key of `object` that matches one of `names` (Go's folding), in order. */
function eachField(
  object: JsonObject,
  names: readonly string[],
  visit: (name: string, value: unknown) => void,
): void {
  const folded = names.map(foldKey);
  for (const key in object) {
    let index = names.indexOf(key);
    if (index < 0) index = folded.indexOf(foldKey(key));
    if (index >= 0) visit(names[index]!, object[key]);
  }
}

/** A string field: null leaves it as it was. */
function readString(state: Decoding, value: unknown, at: FieldPath, current: string): string {
  if (value === null) return current;
  if (typeof value !== "string") {
    state.mismatch(value, at, "string");
    return current;
  }
  return value;
}

/** A `net.IP` field: null and "" unset it; text that is no address ends decoding. */
function readNetIp(
  state: Decoding,
  value: unknown,
  at: FieldPath,
  current: IpAddress | undefined,
): IpAddress | undefined {
  if (value === null || value === "") return undefined;
  if (typeof value !== "string") {
    state.mismatch(value, at, "net.IP");
    return current;
  }
  const ip = parseIp(value);
  if (ip === undefined) throw invalid(`invalid IP address: ${value}`);
  return ip;
}

/** A `types.IPNet` field: anything but a CIDR's text ends decoding, null included. */
function readIpNet(value: unknown, at: FieldPath): IpCidr {
  if (value !== null && typeof value !== "string") {
    throw invalid(typeMismatch(value, at, "string").message);
  }
  const text = value ?? "";
  const cidr = parseCidr(text);
  if (cidr === undefined) throw invalid(`invalid CIDR address: ${text}`);
  return cidr;
}

/** An `*ip.IP` entry: an address or a CIDR's text; "" reads as no address, null as null. */
function readRequestedIp(
  state: Decoding,
  value: unknown,
  at: FieldPath,
): IpAddress | null | undefined {
  if (value === null) return null;
  if (typeof value !== "string") {
    state.mismatch(value, at, "*ip.IP");
    return null;
  }
  if (value === "") return undefined;
  const ip = parseIp(value) ?? (value.includes("/") ? parseCidr(value)?.address : undefined);
  if (ip === undefined) throw invalid(`invalid IP address ${value}`);
  return ip;
}

/** A list field: null empties it; anything but an array is a mismatch. */
function readList<T>(
  state: Decoding,
  value: unknown,
  at: FieldPath,
  goType: string,
  current: T[],
  item: (entry: unknown) => T,
): T[] {
  if (value === null) return [];
  if (!Array.isArray(value)) {
    state.mismatch(value, at, goType);
    return current;
  }
  return value.map(item);
}

const RANGE_FIELDS = ["rangeStart", "rangeEnd", "subnet", "gateway"] as const;

/** One member of a range (`rangeStart`, `rangeEnd`, `subnet`, `gateway`) into `range`. */
function readRangeField(
  state: Decoding,
  range: RangeSpec,
  name: string,
  value: unknown,
  at: FieldPath,
): void {
  if (name === "subnet") range.subnet = readIpNet(value, at);
  else {
    const key = name as "rangeStart" | "rangeEnd" | "gateway";
    range[key] = readNetIp(state, value, at, range[key]);
  }
}

/** A range of a range set (Go's `allocator.Range`); null reads as an empty range. */
function readRange(state: Decoding, value: unknown, at: FieldPath): RangeSpec {
  const range: RangeSpec = {};
  if (value === null) return range;
  if (!isJsonObject(value)) {
    state.mismatch(value, at, "allocator.Range");
    return range;
  }
  eachField(value, RANGE_FIELDS, (name, field) => {
    readRangeField(state, range, name, field, child({ ...at, struct: "Range" }, name));
  });
  return range;
}

/** A list of range sets (`ranges`, `ipRanges`). */
function readRangeSets(
  state: Decoding,
  value: unknown,
  at: FieldPath,
  current: RangeSpec[][],
): RangeSpec[][] {
  return readList(
    state,
    value,
    at,
    "[]allocator.RangeSet",
    current,
    (set) =>
      readList(state, set, at, "allocator.RangeSet", [], (range) => readRange(state, range, at)),
  );
}

const ROUTE_FIELDS = ["dst", "gw", "mtu", "advmss", "priority", "table", "scope"] as const;

/**
 * A route: its own decoder in Go, whose errors, mismatches included, end decoding and name the
 * `routes` field. Spec 1.1.0's attributes are integers.
 */
function readRoute(value: unknown, at: FieldPath): RouteSpec | null {
  if (value === null) return null;
  const inner = new Decoding();
  if (!isJsonObject(value)) throw invalid(typeMismatch(value, at, "types.route").message);
  const route: RouteSpec = {};
  eachField(value, ROUTE_FIELDS, (name, field) => {
    if (name === "dst") route.dst = readIpNet(field, at);
    else if (name === "gw") route.gw = readNetIp(inner, field, at, route.gw);
    else {
      try {
        const number = optionalInteger(field, at);
        if (number !== undefined || field === null) {
          route[name as "mtu" | "advmss" | "priority" | "table" | "scope"] = number;
        }
      } catch (error) {
        inner.saved ??= invalid((error as Error).message);
      }
    }
  });
  if (inner.saved !== undefined) throw inner.saved;
  return route;
}

const IPAM_FIELDS = [
  ...RANGE_FIELDS,
  "Name",
  "type",
  "routes",
  "dataDir",
  "resolvConf",
  "ranges",
] as const;

/**
 * The keys of the `ipam` section that {@link decodeIpamConfig} reads (in any letter case, as Go
 * matches them), for a plugin that reports the others as unknown.
 */
export const IPAM_KEYS: readonly string[] = IPAM_FIELDS;

function readIpam(state: Decoding, value: JsonObject): IpamSection {
  const ipam: IpamSection = {
    type: "",
    range: undefined,
    ranges: [],
    routes: [],
    dataDir: "",
    resolvConf: "",
  };
  let name = "";
  eachField(value, IPAM_FIELDS, (key, field) => {
    const at: FieldPath = { struct: "IPAMConfig", path: `ipam.${key}` };
    switch (key) {
      case "rangeStart":
      case "rangeEnd":
      case "subnet":
      case "gateway":
        ipam.range ??= {};
        readRangeField(state, ipam.range, key, field, at);
        break;
      case "Name":
        name = readString(state, field, at, name);
        break;
      case "type":
      case "dataDir":
      case "resolvConf":
        ipam[key] = readString(state, field, at, ipam[key]);
        break;
      case "routes":
        ipam.routes = readList(
          state,
          field,
          at,
          "[]*types.Route",
          ipam.routes,
          (entry) => readRoute(entry, at),
        );
        break;
      case "ranges":
        ipam.ranges = readRangeSets(state, field, at, ipam.ranges);
        break;
    }
  });
  return ipam;
}

/** Reads `ips` lists (`runtimeConfig.ips`, `args.cni.ips`). */
function readIps(
  state: Decoding,
  value: unknown,
  at: FieldPath,
  current: (IpAddress | null | undefined)[],
) {
  return readList(
    state,
    value,
    at,
    "[]*ip.IP",
    current,
    (entry) => readRequestedIp(state, entry, at),
  );
}

function readRuntimeConfig(state: Decoding, value: JsonObject, document: IpamDocument): void {
  eachField(value, ["ipRanges", "ips"], (key, field) => {
    const at: FieldPath = { struct: "", path: `runtimeConfig.${key}` };
    if (key === "ips") document.runtimeIps = readIps(state, field, at, document.runtimeIps);
    else document.runtimeRanges = readRangeSets(state, field, at, document.runtimeRanges);
  });
}

const ARGS_TYPE = 'struct { A *allocator.IPAMArgs "json:\\"cni\\"" }';

function readArgs(state: Decoding, value: unknown, document: IpamDocument): void {
  if (value === null) {
    document.argsIps = [];
    return;
  }
  if (!isJsonObject(value)) {
    state.mismatch(value, { struct: "Net", path: "args" }, ARGS_TYPE);
    return;
  }
  eachField(value, ["cni"], (_key, cni) => {
    if (cni === null) {
      document.argsIps = [];
      return;
    }
    if (!isJsonObject(cni)) {
      state.mismatch(cni, { struct: "", path: "args.cni" }, "allocator.IPAMArgs");
      return;
    }
    eachField(cni, ["ips"], (_name, ips) => {
      const at: FieldPath = { struct: "IPAMArgs", path: "args.cni.ips" };
      document.argsIps = readIps(state, ips, at, document.argsIps);
    });
  });
}

/**
 * Decodes the parts of a network configuration that host-local reads, in document order with
 * Go's rules: the first failure of an address or CIDR (`invalid CIDR address: 10.0.0.0`,
 * `invalid IP address: x`) is reported, else the first value of the wrong JSON type
 * (`json: cannot unmarshal number into Go struct field IPAMConfig.ipam.subnet of type string`).
 *
 * @param document the whole configuration (the spec's keys already decoded by the kit)
 * @returns what host-local reads of it
 * @throws {CniError} code 7 with the reference's message
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeIpamConfig } from "./config.ts";
 *
 * const decoded = decodeIpamConfig({
 *   cniVersion: "1.0.0",
 *   name: "net1",
 *   ipam: { type: "host-local", SUBNET: "10.1.0.0/24" },
 * });
 * assert.equal(decoded.ipam?.range?.subnet?.prefixLength, 24);
 * assert.throws(() => decodeIpamConfig({ name: "net1", ipam: { subnet: 5 } }), {
 *   code: 7,
 *   message:
 *     "json: cannot unmarshal number into Go struct field IPAMConfig.ipam.subnet of type string",
 * });
 * ```
 */
export function decodeIpamConfig(document: JsonObject): IpamDocument {
  const state = new Decoding();
  const decoded: IpamDocument = {
    name: "",
    cniVersion: "",
    ipam: undefined,
    runtimeRanges: [],
    runtimeIps: [],
    argsIps: [],
  };
  eachField(document, ["name", "cniVersion", "ipam", "runtimeConfig", "args"], (key, value) => {
    switch (key) {
      case "name":
      case "cniVersion":
        decoded[key] = readString(state, value, { struct: "Net", path: key }, decoded[key]);
        break;
      case "ipam":
        if (value === null) decoded.ipam = undefined;
        else if (isJsonObject(value)) decoded.ipam = readIpam(state, value);
        else state.mismatch(value, { struct: "Net", path: "ipam" }, "allocator.IPAMConfig");
        break;
      case "runtimeConfig":
        if (isJsonObject(value)) readRuntimeConfig(state, value, decoded);
        else if (value !== null) {
          state.mismatch(value, { struct: "Net", path: "runtimeConfig" }, "struct");
        }
        break;
      case "args":
        readArgs(state, value, decoded);
        break;
    }
  });
  if (state.saved !== undefined) throw state.saved;
  return decoded;
}

/**
 * The address CNI_ARGS `IP` asks for: an address or an address with a prefix length, read as
 * the reference reads it; undefined for "" or when absent.
 *
 * @throws {CniError} code 4 (`ARGS: error parsing value of pair "IP=x": invalid IP address x`)
 */
export function cniArgsIp(value: string | undefined): IpAddress | undefined {
  if (value === undefined || value === "") return undefined;
  const ip = parseIp(value) ?? (value.includes("/") ? parseCidr(value)?.address : undefined);
  if (ip === undefined) {
    throw new CniError(
      ErrorCode.invalidEnvironmentVariables,
      `ARGS: error parsing value of pair ${goQuote(`IP=${value}`)}: invalid IP address ${value}`,
    );
  }
  return ip;
}

/** The routes of the result; an entry the reference would print as null or "<nil>" is refused. */
function resultRoutes(routes: readonly (RouteSpec | null)[]): Route[] {
  return routes.map((spec, i) => {
    if (spec === null) throw invalid(`invalid route ${i}: it is null`);
    if (spec.dst === undefined) throw invalid(`invalid route ${i}: it has no "dst"`);
    const route: Route = { dst: formatCidr(spec.dst) };
    if (spec.gw !== undefined) route.gw = formatIp(spec.gw);
    for (const key of ["mtu", "advmss", "priority", "table", "scope"] as const) {
      const value = spec[key];
      if (value !== undefined) route[key] = value;
    }
    return route;
  });
}

/** Options of {@link resolveIpamConfig}. */
export interface ResolveOptions {
  /** The configuration's version ("0.1.0" when it has none). */
  cniVersion: string;
  /**
   * The value of CNI_ARGS `IP`, or a function that reads it: called after the `ipam` section is
   * found, so that CNI_ARGS is parsed (and its errors reported) where the reference does.
   */
  argsIp?: string | undefined | (() => string | undefined);
}

/**
 * Checks a decoded configuration and completes it, as the reference's `LoadIPAMConfig` does: the
 * `ipam` section must be there; the requested addresses are collected (CNI_ARGS `IP`, then
 * `args.cni.ips`, then the `ips` capability); the range sets are the `ipRanges` capability's,
 * then the one of `subnet`, then `ranges`, each checked by `makeRangeSet`; a configuration before
 * spec 0.3.0 may have one range set per family; no two range sets may overlap.
 *
 * @param document what {@link decodeIpamConfig} read
 * @param options `cniVersion` and `argsIp`, the value of CNI_ARGS `IP`
 * @throws {CniError} code 7 with the reference's message (`no IP ranges specified`,
 * `invalid range set 0: Network 10.1.0.0/31 too small to allocate from`, `range set 0 overlaps
 * with 1`...), code 4 for a bad CNI_ARGS `IP`
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeIpamConfig, resolveIpamConfig } from "./config.ts";
 * import { formatRangeSet } from "./range.ts";
 *
 * const document = decodeIpamConfig({
 *   cniVersion: "1.0.0",
 *   name: "net1",
 *   ipam: { subnet: "10.1.0.0/24", ranges: [[{ subnet: "fd00::/120" }]] },
 * });
 * const settings = resolveIpamConfig(document, { cniVersion: "1.0.0", argsIp: "10.1.0.9" });
 * assert.deepEqual(settings.rangeSets.map(formatRangeSet), [
 *   "10.1.0.1-10.1.0.254",
 *   "fd00::1-fd00::ff",
 * ]);
 * assert.equal(settings.dataDir, "/var/lib/cni/networks");
 * assert.equal(settings.requestedIps.length, 1);
 * ```
 */
export function resolveIpamConfig(
  document: IpamDocument,
  options: ResolveOptions,
): IpamSettings {
  const { ipam } = document;
  if (ipam === undefined) throw invalid("IPAM config missing 'ipam' key");
  const requested: (IpAddress | null | undefined)[] = [];
  const { argsIp } = options;
  const fromArgs = cniArgsIp(typeof argsIp === "function" ? argsIp() : argsIp);
  if (fromArgs !== undefined) requested.push(fromArgs);
  requested.push(...document.argsIps, ...document.runtimeIps);
  const requestedIps = requested.map((ip) => {
    // The reference fails on a null entry with a nil pointer dereference.
    if (ip === null) throw invalid("cannot understand ip: a requested address is null");
    if (ip === undefined) throw invalid("cannot understand ip: IP <nil> not v4 nor v6");
    return ip;
  });
  const specs: RangeSpec[][] = [...document.runtimeRanges];
  if (ipam.range?.subnet !== undefined) specs.push([ipam.range]);
  specs.push(...ipam.ranges);
  if (specs.length === 0) throw invalid("no IP ranges specified");
  const rangeSets = specs.map((set, i) => {
    try {
      return makeRangeSet(set);
    } catch (error) {
      throw invalid(`invalid range set ${i}: ${(error as Error).message}`);
    }
  });
  const v4 = rangeSets.filter((set) => rangeSetFamily(set) === 4).length;
  if ((v4 > 1 || rangeSets.length - v4 > 1) && !versionAtLeast(options.cniVersion, "0.3.0")) {
    throw invalid(
      `CNI version ${document.cniVersion} does not support more than 1 address per family`,
    );
  }
  for (let i = 0; i < rangeSets.length; i++) {
    for (let j = i + 1; j < rangeSets.length; j++) {
      if (rangeSetsOverlap(rangeSets[i]!, rangeSets[j]!)) {
        throw invalid(`range set ${i} overlaps with ${j}`);
      }
    }
  }
  return {
    name: document.name,
    dataDir: ipam.dataDir || DEFAULT_DATA_DIR,
    resolvConf: ipam.resolvConf,
    routes: resultRoutes(ipam.routes),
    rangeSets,
    requestedIps,
  };
}
