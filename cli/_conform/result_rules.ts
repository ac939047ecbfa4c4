/**
 * The rules an ADD result must follow for its configuration's version (spec "Section 5: Result
 * Types", Success, and the result formats of spec 0.2.0, 0.4.0 and 1.x): its `cniVersion` is the
 * one supplied on input; 0.1.0/0.2.0 results carry `ip4`/`ip6`, 0.3.x/0.4.0 and 1.x results
 * `interfaces`, `ips`, `routes`; IPs name their family with `version` in 0.3.x/0.4.0 only;
 * addresses are CIDRs and gateways IPs of the same family; an IP's `interface` is an index into
 * `interfaces`; a container interface's `sandbox` is the CNI_NETNS the plugin was given.
 *
 * @module
 */
import {
  familyOf,
  type IpAddress,
  isIpv4,
  isJsonObject,
  parseCidr,
  parseIp,
} from "../../lib/protocol.ts";

/** What the result is checked against. */
export interface ResultContext {
  /** The configuration's `cniVersion` ("" already read as 0.1.0). */
  readonly cniVersion: string;
  /** The CNI_NETNS the plugin was given. */
  readonly netns: string;
}

type Json = Record<string, unknown>;

const MAC = /^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$|^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){19}$/;

/** Collects problems with a path prefix. */
class Problems {
  readonly list: string[] = [];
  add(at: string, what: string): void {
    this.list.push(`${at} ${what}`);
  }
}

/** `value` as a list of entries; absent and null are an empty list. */
function listAt(value: unknown, at: string, problems: Problems): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problems.add(at, "is not a list");
    return [];
  }
  return value;
}

function familyName(address: IpAddress): "4" | "6" {
  return isIpv4(address) ? "4" : "6";
}

function cidrAt(value: unknown, at: string, problems: Problems): IpAddress | undefined {
  if (typeof value !== "string") {
    problems.add(at, value === undefined ? "is missing" : "is not a string");
    return undefined;
  }
  const cidr = parseCidr(value);
  if (cidr === undefined) problems.add(at, `${JSON.stringify(value)} is not a CIDR`);
  return cidr?.address;
}

function ipAt(value: unknown, at: string, problems: Problems): IpAddress | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") {
    problems.add(at, "is not a string");
    return undefined;
  }
  const ip = parseIp(value);
  if (ip === undefined) problems.add(at, `${JSON.stringify(value)} is not an IP address`);
  return ip;
}

function sameFamily(
  address: IpAddress | undefined,
  gateway: IpAddress | undefined,
  at: string,
  problems: Problems,
): void {
  if (address !== undefined && gateway !== undefined) {
    if (familyName(address) !== familyName(gateway)) {
      problems.add(at, "is not of the address's family");
    }
  }
}

function unsignedAt(value: unknown, at: string, problems: Problems): void {
  if (value === undefined || value === null) return;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    problems.add(at, `${JSON.stringify(value)} is not an unsigned integer`);
  }
}

function stringAt(value: unknown, at: string, problems: Problems): void {
  if (value !== undefined && value !== null && typeof value !== "string") {
    problems.add(at, "is not a string");
  }
}

function stringListAt(value: unknown, at: string, problems: Problems): unknown[] {
  const list = listAt(value, at, problems);
  list.forEach((item, i) => {
    if (typeof item !== "string") problems.add(`${at}[${i}]`, "is not a string");
  });
  return list;
}

function checkRoutes(value: unknown, at: string, v11: boolean, problems: Problems): void {
  listAt(value, at, problems).forEach((route, i) => {
    const here = `${at}[${i}]`;
    if (!isJsonObject(route)) return problems.add(here, "is not an object");
    const dst = cidrAt(route.dst, `${here}.dst`, problems);
    sameFamily(dst, ipAt(route.gw, `${here}.gw`, problems), `${here}.gw`, problems);
    if (v11) {
      for (const key of ["mtu", "advmss", "priority", "table", "scope"]) {
        unsignedAt(route[key], `${here}.${key}`, problems);
      }
    }
  });
}

function checkDns(value: unknown, problems: Problems): void {
  if (value === undefined || value === null) return;
  if (!isJsonObject(value)) return problems.add("dns", "is not an object");
  stringListAt(value.nameservers, "dns.nameservers", problems).forEach((server, i) => {
    if (typeof server === "string" && parseIp(server) === undefined) {
      problems.add(`dns.nameservers[${i}]`, `${JSON.stringify(server)} is not an IP address`);
    }
  });
  stringAt(value.domain, "dns.domain", problems);
  stringListAt(value.search, "dns.search", problems);
  stringListAt(value.options, "dns.options", problems);
}

function checkIpConfig020(value: unknown, key: "ip4" | "ip6", problems: Problems): void {
  if (value === undefined || value === null) return;
  if (!isJsonObject(value)) return problems.add(key, "is not an object");
  const address = cidrAt(value.ip, `${key}.ip`, problems);
  if (address !== undefined && familyName(address) !== key.slice(2)) {
    problems.add(`${key}.ip`, `is not an IPv${key.slice(2)} address`);
  }
  const gateway = ipAt(value.gateway, `${key}.gateway`, problems);
  sameFamily(address, gateway, `${key}.gateway`, problems);
  checkRoutes(value.routes, `${key}.routes`, false, problems);
}

function checkResult020(result: Json, problems: Problems): void {
  for (const key of ["interfaces", "ips", "routes"]) {
    if (key in result) problems.add(key, "is not a member of a 0.1.0/0.2.0 result");
  }
  checkIpConfig020(result.ip4, "ip4", problems);
  checkIpConfig020(result.ip6, "ip6", problems);
  checkDns(result.dns, problems);
}

function checkInterfaces(
  result: Json,
  context: ResultContext,
  v11: boolean,
  problems: Problems,
): number {
  const interfaces = listAt(result.interfaces, "interfaces", problems);
  interfaces.forEach((iface, i) => {
    const at = `interfaces[${i}]`;
    if (!isJsonObject(iface)) return problems.add(at, "is not an object");
    if (typeof iface.name !== "string" || iface.name === "") {
      problems.add(`${at}.name`, "is missing or not a non-empty string");
    }
    if (iface.mac !== undefined && iface.mac !== "") {
      if (typeof iface.mac !== "string" || !MAC.test(iface.mac)) {
        problems.add(`${at}.mac`, `${JSON.stringify(iface.mac)} is not a hardware address`);
      }
    }
    stringAt(iface.sandbox, `${at}.sandbox`, problems);
    if (typeof iface.sandbox === "string" && iface.sandbox !== "") {
      if (iface.sandbox !== context.netns) {
        problems.add(
          `${at}.sandbox`,
          `${JSON.stringify(iface.sandbox)} is not CNI_NETNS ${JSON.stringify(context.netns)}`,
        );
      }
    }
    if (v11) {
      unsignedAt(iface.mtu, `${at}.mtu`, problems);
      stringAt(iface.socketPath, `${at}.socketPath`, problems);
      stringAt(iface.pciID, `${at}.pciID`, problems);
    }
  });
  return interfaces.length;
}

function checkIps(result: Json, withVersion: boolean, count: number, problems: Problems): void {
  listAt(result.ips, "ips", problems).forEach((ip, i) => {
    const at = `ips[${i}]`;
    if (!isJsonObject(ip)) return problems.add(at, "is not an object");
    const address = cidrAt(ip.address, `${at}.address`, problems);
    if (withVersion) {
      if (ip.version !== "4" && ip.version !== "6") {
        problems.add(`${at}.version`, `${JSON.stringify(ip.version)} is not "4" or "6"`);
      } else if (address !== undefined && familyName(address) !== ip.version) {
        problems.add(`${at}.version`, `"${ip.version}" does not match the address`);
      }
    } else if ("version" in ip) {
      problems.add(`${at}.version`, "is not a member of a 1.x result (removed in spec 1.0.0)");
    }
    sameFamily(address, ipAt(ip.gateway, `${at}.gateway`, problems), `${at}.gateway`, problems);
    const index = ip.interface;
    if (index !== undefined && index !== null) {
      if (typeof index !== "number" || !Number.isInteger(index) || index < 0) {
        problems.add(`${at}.interface`, `${JSON.stringify(index)} is not an unsigned integer`);
      } else if (index >= count) {
        problems.add(
          `${at}.interface`,
          `${index} is out of range: the result lists ${count} interface(s)`,
        );
      }
    }
  });
}

/**
 * Every way `value` breaks the result rules for `context.cniVersion`; empty when it follows them.
 * Members the spec does not know are not looked at, except those of another version's result.
 */
export function resultProblems(value: unknown, context: ResultContext): string[] {
  const problems = new Problems();
  if (!isJsonObject(value)) return ["the result is not a JSON object"];
  if (value.cniVersion !== context.cniVersion) {
    problems.add(
      "cniVersion",
      `${JSON.stringify(value.cniVersion)} is not the configuration's ` +
        JSON.stringify(context.cniVersion),
    );
  }
  const family = familyOf(context.cniVersion);
  if (family === undefined) {
    problems.add("cniVersion", `${JSON.stringify(context.cniVersion)} is no spec version`);
    return problems.list;
  }
  if (family === "020") {
    checkResult020(value, problems);
    return problems.list;
  }
  for (const key of ["ip4", "ip6"]) {
    if (key in value) problems.add(key, `is not a member of a ${context.cniVersion} result`);
  }
  const v11 = context.cniVersion === "1.1.0";
  const count = checkInterfaces(value, context, v11, problems);
  checkIps(value, family === "040", count, problems);
  checkRoutes(value.routes, "routes", v11, problems);
  checkDns(value.dns, problems);
  return problems.list;
}

/** The names of the interfaces a result places in `netns` (their `sandbox` is `netns`). */
export function containerInterfaces(value: unknown, netns: string): string[] {
  if (!isJsonObject(value) || !Array.isArray(value.interfaces)) return [];
  return value.interfaces.filter((iface): iface is Json =>
    isJsonObject(iface) && iface.sandbox === netns && typeof iface.name === "string"
  ).map((iface) => iface.name as string);
}
