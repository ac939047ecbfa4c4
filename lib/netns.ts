/**
 * The namespace toolkit: run `ip` and `sysctl` inside a network namespace, with typed helpers
 * over `ip -j` for links, addresses and routes. What Go plugins get from `ns.WithNetNSPath`,
 * `netlink` and `sysctl`.
 *
 * Programs run through the {@link Host}: argv only, never a shell or a batch file; found in the
 * system directories ({@link SYSTEM_PATH}) and run with that PATH, `LC_ALL=C` and nothing else
 * in their environment; killed at a time limit. A namespace other than the plugin's own is
 * entered with `nsenter --net=<path>`. Every interface name is checked with the kernel's rules
 * before it reaches a program, and addresses are parsed and printed canonically, so nothing from
 * stdin or the environment can become a second command.
 *
 * In a plugin made with `definePlugin`, the context's `inContainer` and `onHost` are toolkits
 * bound to CNI_NETNS and to the plugin's own namespace.
 *
 * @example Reading a link in a test, with a fake `ip`
 * ```ts
 * import assert from "node:assert/strict";
 * import { netns } from "./netns.ts";
 * import { fakeHost } from "./testing.ts";
 *
 * const host = fakeHost({
 *   programs: {
 *     ip: () => "",
 *     nsenter: () => '[{"ifindex":2,"ifname":"eth0","mtu":1500,"address":"0a:58:0a:01:00:05",' +
 *       '"flags":["UP"],"linkinfo":{"info_kind":"veth"}}]',
 *   },
 * });
 * const link = await netns("/var/run/netns/c1", { host }).link("eth0");
 * assert.deepEqual(link, {
 *   name: "eth0",
 *   index: 2,
 *   mtu: 1500,
 *   mac: "0a:58:0a:01:00:05",
 *   up: true,
 *   kind: "veth",
 * });
 * assert.deepEqual(host.runs[0]?.args, [
 *   "--net=/var/run/netns/c1", "--", "/usr/sbin/ip", "-j", "-d", "link", "show", "dev", "eth0",
 * ]);
 * ```
 *
 * @module
 */
import { isJsonObject } from "./_decode.ts";
import { goQuoteCapped } from "./_go_quote.ts";
import { CniError, ErrorCode } from "./errors.ts";
import { DEFAULT_TIMEOUT_MS, type Host, type RunOutput } from "./host.ts";
import { formatCidr, formatIp, isIpv4, parseCidr, parseIp } from "./ip.ts";
import { kernelInterfaceNameProblem } from "./names.ts";

/** The directories system programs are taken from, in order. */
export const SYSTEM_DIRS: readonly string[] = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** The PATH programs run with. */
export const SYSTEM_PATH: string = SYSTEM_DIRS.join(":");

/** Which Debian package has each program, for the error when one is missing. */
const PACKAGES: Readonly<Record<string, string>> = {
  ip: "iproute2",
  nsenter: "util-linux",
  sysctl: "procps",
};

/** A link as `ip -j -d link show` reports it. */
export interface Link {
  /** The interface name. */
  name: string;
  /** The interface index in its namespace. */
  index: number;
  /** The MTU. */
  mtu?: number;
  /** The hardware address, lower case. */
  mac?: string;
  /** True when the link is administratively up. */
  up: boolean;
  /** The link's kind ("veth", "bridge", "dummy"...); absent for a plain device. */
  kind?: string;
}

/** An address as `ip -j addr show` reports it. */
export interface Address {
  /** The interface holding it. */
  dev: string;
  /** The address with its prefix length, canonical ("10.1.0.5/24", "2001:db8::5/64"). */
  cidr: string;
  /** 4 or 6. */
  family: 4 | 6;
  /** The scope ("global", "link", "host"). */
  scope?: string;
}

/** A route as `ip -j route show` reports it. */
export interface KernelRoute {
  /** The destination, canonical; the default route is "0.0.0.0/0" or "::/0". */
  dst: string;
  /** The next hop. */
  gateway?: string;
  /** The outgoing interface. */
  dev?: string;
  /** The table: "main", "local" or a number as text. */
  table: string;
  /** The scope ("global", "link", "host"). */
  scope?: string;
  /** The metric (`priority` in a CNI result). */
  metric?: number;
  /** The preferred source address. */
  prefsrc?: string;
}

/** A route to add; addresses are checked and written canonically. */
export interface RouteSpec {
  /** The destination ("10.9.0.0/16", "0.0.0.0/0" or a bare address for a host route). */
  dst: string;
  /** The next hop, in the destination's family. */
  via?: string;
  /** The outgoing interface. */
  dev: string;
  /** The preferred source address. */
  src?: string;
  /** "link", "host", "global" or a number. */
  scope?: "link" | "host" | "global" | number;
  /** The routing table. */
  table?: number;
  /** The metric. */
  metric?: number;
  /** The route's MTU. */
  mtu?: number;
  /** The TCP maximum segment size to advertise. */
  advmss?: number;
}

/** The `ip route` words of a route, every value checked and canonical. */
function routeWords(verb: "add" | "del", route: RouteSpec): string[] {
  const words = ["route", verb, canonicalDst(route.dst)];
  if (route.via !== undefined) words.push("via", canonicalIp(route.via, "gateway"));
  words.push("dev", checkInterfaceName(route.dev));
  if (route.src !== undefined) words.push("src", canonicalIp(route.src, "source address"));
  if (route.scope !== undefined) {
    words.push(
      "scope",
      typeof route.scope === "number" ? nonNegative(route.scope, "scope") : route.scope,
    );
  }
  if (route.table !== undefined) words.push("table", nonNegative(route.table, "table"));
  if (route.metric !== undefined) words.push("metric", nonNegative(route.metric, "metric"));
  if (route.mtu !== undefined) words.push("mtu", nonNegative(route.mtu, "MTU"));
  if (route.advmss !== undefined) words.push("advmss", nonNegative(route.advmss, "advmss"));
  return words;
}

/** Options of {@link netns}. */
export interface NetnsOptions {
  /** The process that runs the programs. */
  host: Host;
  /** Each program's time limit; default one minute. */
  timeoutMs?: number;
}

/** A namespace that cannot be opened: it is gone, or never was. */
export class NamespaceMissingError extends Error {
  /** The namespace's path. */
  readonly path: string;

  /**
   * Makes the error.
   *
   * @param path the namespace's path
   * @param detail why it cannot be opened
   */
  constructor(path: string, detail: string) {
    super(`failed to open netns ${JSON.stringify(path)}: ${detail}`);
    this.name = "NamespaceMissingError";
    this.path = path;
  }
}

/** A program that ran and failed; its stderr, at most 1 KiB of it, is in the message. */
export class CommandError extends Error {
  /** What the program left behind. */
  readonly output: RunOutput;

  /**
   * Makes the error.
   *
   * @param words the command, for the message
   * @param output what it left behind
   */
  constructor(words: readonly string[], output: RunOutput) {
    const why = output.timedOut
      ? "timed out"
      : output.stderr.trim() !== ""
      ? goQuoteCapped(output.stderr.trim())
      : output.signal !== undefined
      ? `killed by ${output.signal}`
      : `exit status ${output.code}`;
    super(`${words.join(" ")} failed: ${why}`);
    this.name = "CommandError";
    this.output = output;
  }
}

/**
 * Checks an interface name with the kernel's rules before it is used.
 *
 * @returns the name
 * @throws {CniError} code 7 naming the problem
 */
export function checkInterfaceName(name: string): string {
  const problem = kernelInterfaceNameProblem(name);
  if (problem !== undefined) {
    throw new CniError(
      ErrorCode.invalidNetworkConfig,
      `invalid interface name ${goQuoteCapped(name)}: it ${problem}`,
    );
  }
  return name;
}

function checkNetnsPath(path: string): string {
  if (!path.startsWith("/") || path.includes("\0")) {
    throw new CniError(
      ErrorCode.invalidEnvironmentVariables,
      `invalid netns path ${goQuoteCapped(path)}: it must be absolute`,
    );
  }
  return path;
}

/** A destination as the kernel prints it and `ip` reads it, canonical. */
function canonicalDst(dst: string): string {
  if (dst === "default") return dst;
  const cidr = parseCidr(dst.includes("/") ? dst : `${dst}/${dst.includes(":") ? 128 : 32}`);
  if (cidr === undefined) {
    throw new CniError(
      ErrorCode.invalidNetworkConfig,
      `invalid route destination ${JSON.stringify(dst)}`,
    );
  }
  return formatCidr(cidr);
}

function canonicalIp(text: string, what: string): string {
  const address = parseIp(text);
  if (address === undefined) {
    throw new CniError(ErrorCode.invalidNetworkConfig, `invalid ${what} ${JSON.stringify(text)}`);
  }
  return formatIp(address);
}

function nonNegative(value: number, what: string): string {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new CniError(ErrorCode.invalidNetworkConfig, `invalid ${what} ${value}`);
  }
  return String(value);
}

/** A sysctl key: dot- or slash-separated words, no "." or ".." and nothing sysctl reads as an option. */
const SYSCTL_KEY = /^[A-Za-z0-9_][A-Za-z0-9_@#+-]*(?:[./][A-Za-z0-9_@#+-]+)*$/;

function checkSysctlKey(key: string): string {
  const parts = key.split(/[./]/);
  if (!SYSCTL_KEY.test(key) || parts.some((part) => part === "..")) {
    throw new CniError(ErrorCode.invalidNetworkConfig, `invalid sysctl key ${goQuoteCapped(key)}`);
  }
  return key;
}

function checkSysctlValue(value: string): string {
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f]/.test(value)) {
    throw new CniError(
      ErrorCode.invalidNetworkConfig,
      `invalid sysctl value ${goQuoteCapped(value)}: control characters`,
    );
  }
  return value;
}

function record(value: unknown): Record<string, unknown> {
  return isJsonObject(value) ? value : {};
}

/** Parses `ip -j` output: one JSON array. */
function parseIpJson(stdout: string, words: readonly string[]): unknown[] {
  if (stdout.trim() === "") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new Error(`${words.join(" ")} printed no JSON: ${goQuoteCapped(stdout)}`);
  }
  if (!Array.isArray(parsed)) throw new Error(`${words.join(" ")} printed no JSON list`);
  return parsed;
}

function toLink(entry: unknown): Link {
  const r = record(entry);
  const flags = Array.isArray(r.flags) ? r.flags : [];
  const kind = record(r.linkinfo).info_kind;
  return {
    name: String(r.ifname ?? ""),
    index: typeof r.ifindex === "number" ? r.ifindex : 0,
    ...(typeof r.mtu === "number" ? { mtu: r.mtu } : {}),
    ...(typeof r.address === "string" ? { mac: r.address.toLowerCase() } : {}),
    up: flags.includes("UP"),
    ...(typeof kind === "string" ? { kind } : {}),
  };
}

function toAddresses(entry: unknown): Address[] {
  const r = record(entry);
  const infos = Array.isArray(r.addr_info) ? r.addr_info : [];
  const addresses: Address[] = [];
  for (const info of infos.map(record)) {
    const cidr = parseCidr(`${info.local}/${info.prefixlen}`);
    if (cidr === undefined) continue;
    addresses.push({
      dev: String(r.ifname ?? ""),
      cidr: formatCidr(cidr),
      family: isIpv4(cidr.address) ? 4 : 6,
      ...(typeof info.scope === "string" ? { scope: info.scope } : {}),
    });
  }
  return addresses;
}

function toRoute(entry: unknown, family: 4 | 6): KernelRoute {
  const r = record(entry);
  const dst = typeof r.dst === "string" ? r.dst : "";
  return {
    dst: dst === "default" ? (family === 4 ? "0.0.0.0/0" : "::/0") : canonicalDst(dst),
    ...(typeof r.gateway === "string" ? { gateway: r.gateway } : {}),
    ...(typeof r.dev === "string" ? { dev: r.dev } : {}),
    table: r.table === undefined ? "main" : String(r.table),
    ...(typeof r.scope === "string" ? { scope: r.scope } : {}),
    ...(typeof r.metric === "number" ? { metric: r.metric } : {}),
    ...(typeof r.prefsrc === "string" ? { prefsrc: r.prefsrc } : {}),
  };
}

/** The namespace toolkit bound to one namespace. */
export interface Netns {
  /** The namespace's path; undefined for the plugin's own namespace. */
  readonly path: string | undefined;
  /**
   * Runs a system program in the namespace: `program` is a name found in {@link SYSTEM_DIRS}.
   *
   * @throws {NamespaceMissingError} when the namespace cannot be opened
   */
  run(program: string, args: readonly string[]): Promise<RunOutput>;
  /**
   * Runs `ip` with `args` and returns its stdout.
   *
   * @throws {CommandError} when it fails
   * @throws {NamespaceMissingError} when the namespace cannot be opened
   */
  ip(args: readonly string[]): Promise<string>;
  /** Every link. */
  links(): Promise<Link[]>;
  /** One link, or undefined when there is none of that name. */
  link(name: string): Promise<Link | undefined>;
  /** The addresses, of one link or of all. */
  addresses(dev?: string): Promise<Address[]>;
  /** The routes of a family, in the main table or the one given ("all" for every table). */
  routes(family: 4 | 6, table?: number | "all"): Promise<KernelRoute[]>;
  /** Sets a link up. */
  setLinkUp(name: string): Promise<void>;
  /** Deletes a link; false when there was none of that name. */
  deleteLink(name: string): Promise<boolean>;
  /**
   * Creates a veth pair: `name` here, `peerName` in the namespace at `peerNetns` (or here).
   *
   * @throws {CommandError} when it fails, e.g. "File exists" for a taken name
   */
  createVeth(
    options: { name: string; peerName: string; peerNetns?: string; mtu?: number },
  ): Promise<void>;
  /** Adds an address; `noPrefixRoute` leaves out the subnet route, `noDad` skips IPv6 DAD. */
  addAddress(
    dev: string,
    cidr: string,
    options?: { noPrefixRoute?: boolean; noDad?: boolean },
  ): Promise<void>;
  /**
   * Adds a route; never replaces one.
   *
   * @throws {CommandError} with "File exists" when the route is there already
   */
  addRoute(route: RouteSpec): Promise<void>;
  /**
   * Deletes the route with this destination through this device (and next hop, table, metric
   * when given), never one through another device; false when there is none.
   */
  deleteRoute(route: RouteSpec): Promise<boolean>;
  /** Reads a sysctl, e.g. "net.ipv4.ip_forward". */
  sysctlGet(key: string): Promise<string>;
  /** Writes a sysctl. */
  sysctlSet(key: string, value: string): Promise<void>;
}

/**
 * The namespace toolkit for the namespace at `path`, or for the plugin's own namespace when
 * `path` is undefined.
 *
 * @param path the namespace's path, e.g. CNI_NETNS
 * @param options the host and the time limit
 * @throws {CniError} code 4 when `path` is not absolute
 */
export function netns(path: string | undefined, options: NetnsOptions): Netns {
  if (path !== undefined) checkNetnsPath(path);
  const { host } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const found = new Map<string, string>();

  async function locate(program: string): Promise<string> {
    const known = found.get(program);
    if (known !== undefined) return known;
    for (const dir of SYSTEM_DIRS) {
      if (await host.isFile(`${dir}/${program}`)) {
        found.set(program, `${dir}/${program}`);
        return `${dir}/${program}`;
      }
    }
    const from = PACKAGES[program] ? ` (Debian package ${PACKAGES[program]})` : "";
    throw new Error(`cannot find "${program}"${from} in ${SYSTEM_DIRS.join(", ")}`);
  }

  async function run(program: string, args: readonly string[]): Promise<RunOutput> {
    if (program.includes("/")) throw new Error(`a program name, not a path: ${program}`);
    const binary = await locate(program);
    const env = { PATH: SYSTEM_PATH, LC_ALL: "C" };
    const runOptions = { env, clearEnv: true, timeoutMs };
    if (path === undefined) return await host.run(binary, args, runOptions);
    const output = await host.run(
      await locate("nsenter"),
      [`--net=${path}`, "--", binary, ...args],
      runOptions,
    );
    const missing = /^nsenter: cannot open .*: (No such file or directory|Invalid argument)/m
      .exec(output.stderr);
    if (output.code !== 0 && missing !== null) throw new NamespaceMissingError(path, missing[1]!);
    return output;
  }

  async function ip(args: readonly string[]): Promise<string> {
    const output = await run("ip", args);
    if (output.code !== 0 || output.signal !== undefined || output.timedOut) {
      throw new CommandError(["ip", ...args], output);
    }
    return output.stdout;
  }

  async function ipJson(args: readonly string[]): Promise<unknown[]> {
    return parseIpJson(await ip(["-j", ...args]), ["ip", "-j", ...args]);
  }

  return {
    path,
    run,
    ip,
    async links() {
      return (await ipJson(["-d", "link", "show"])).map(toLink);
    },
    async link(name) {
      const args = ["-d", "link", "show", "dev", checkInterfaceName(name)];
      try {
        return (await ipJson(args)).map(toLink)[0];
      } catch (error) {
        if (error instanceof CommandError && /does not exist/.test(error.output.stderr)) {
          return undefined;
        }
        throw error;
      }
    },
    async addresses(dev) {
      const args = ["addr", "show", ...(dev === undefined ? [] : ["dev", checkInterfaceName(dev)])];
      return (await ipJson(args)).flatMap(toAddresses);
    },
    async routes(family, table) {
      const tableArgs = table === undefined
        ? []
        : ["table", table === "all" ? "all" : nonNegative(table, "table")];
      const listed = await ipJson([`-${family}`, "route", "show", ...tableArgs]);
      return listed.map((entry) => toRoute(entry, family));
    },
    async setLinkUp(name) {
      await ip(["link", "set", "dev", checkInterfaceName(name), "up"]);
    },
    async deleteLink(name) {
      try {
        await ip(["link", "del", "dev", checkInterfaceName(name)]);
        return true;
      } catch (error) {
        if (
          error instanceof CommandError &&
          /Cannot find device|does not exist/.test(error.output.stderr)
        ) {
          return false;
        }
        throw error;
      }
    },
    async createVeth({ name, peerName, peerNetns, mtu }) {
      const mtuArgs = mtu === undefined ? [] : ["mtu", nonNegative(mtu, "MTU")];
      await ip([
        "link",
        "add",
        checkInterfaceName(name),
        ...mtuArgs,
        "type",
        "veth",
        "peer",
        "name",
        checkInterfaceName(peerName),
        ...mtuArgs,
        ...(peerNetns === undefined ? [] : ["netns", checkNetnsPath(peerNetns)]),
      ]);
    },
    async addAddress(dev, cidr, addressOptions = {}) {
      const parsed = parseCidr(cidr);
      if (parsed === undefined) {
        throw new CniError(
          ErrorCode.invalidNetworkConfig,
          `invalid address ${JSON.stringify(cidr)}`,
        );
      }
      await ip([
        "addr",
        "add",
        formatCidr(parsed),
        "dev",
        checkInterfaceName(dev),
        ...(addressOptions.noPrefixRoute ? ["noprefixroute"] : []),
        ...(addressOptions.noDad && !isIpv4(parsed.address) ? ["nodad"] : []),
      ]);
    },
    async addRoute(route) {
      await ip(routeWords("add", route));
    },
    async deleteRoute(route) {
      try {
        await ip(routeWords("del", route));
        return true;
      } catch (error) {
        if (error instanceof CommandError && /No such process/.test(error.output.stderr)) {
          return false;
        }
        throw error;
      }
    },
    async sysctlGet(key) {
      const output = await run("sysctl", ["-n", checkSysctlKey(key)]);
      if (output.code !== 0 || output.timedOut) {
        throw new CommandError(["sysctl", "-n", key], output);
      }
      return output.stdout.trim();
    },
    async sysctlSet(key, value) {
      const assignment = `${checkSysctlKey(key)}=${checkSysctlValue(value)}`;
      const output = await run("sysctl", ["-q", "-w", assignment]);
      if (output.code !== 0 || output.timedOut) {
        throw new CommandError(["sysctl", "-w", assignment], output);
      }
    },
  };
}
