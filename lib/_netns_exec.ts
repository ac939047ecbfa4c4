/**
 * The exec backend of the namespace toolkit: `ip` and `tc` for links, addresses, routes and
 * qdiscs, `cat` and `dd` for sysctls (the files under /proc/sys), all from the system
 * directories and through `nsenter` for another namespace, for a plugin that is not granted FFI.
 * It reads what the programs print as JSON (`ip -j`, `tc -j`) and turns their error messages back
 * into the errno the kernel gave, so it behaves like the netlink backend.
 *
 * Every value reaches a program as its own argv word after a keyword (`name`, `dev`), already
 * checked by the toolkit, so no name can be read as an option or a second command. Two habits of
 * the programs are guarded against:
 * - `ip` and `tc` take a missing link named like "if5" (`if` and a number) as the link with
 *   index 5, so such a name is first looked for among the links, and missing is ENODEV;
 * - `ip` opens a `netns` path itself, where a FIFO would block it, so every namespace path is
 *   checked to be a network namespace first, as the namespace of the run itself is.
 *
 * `tc` prints a tbf's peak rate only as text, rounded as `tc` rounds rates ("16Mbit"): it is read
 * from there, exact for every rate whose bits per second `tc` can print without rounding.
 *
 * @module
 */
import { isJsonObject } from "./_decode.ts";
import { goQuoteCapped } from "./_go_quote.ts";
import {
  checkNamespacePath,
  CommandError,
  failed,
  type ProgramFinder,
  programFinder,
  type ProgramRunner,
  programRunner,
} from "./_system_programs.ts";
import type { Host, RunOutput } from "./host.ts";
import { formatCidr, formatIp, isIpv4, parseCidr, parseIp } from "./ip.ts";
import type { NamespaceOps, NetnsBackend } from "./net_backend.ts";
import { KernelError, NamespaceMissingError } from "./net_errors.ts";
import type {
  Address,
  IpvlanMode,
  KernelRoute,
  Link,
  LinkChanges,
  LinkSpec,
  MacvlanMode,
  Qdisc,
  RouteSpec,
  TbfSpec,
} from "./net_types.ts";
import { ROUTE_TYPES } from "./_route_types.ts";

/**
 * The C library's texts (`strerror`, in the C locale) of the errnos the kernel gives these
 * operations: what `ip` and `tc` print after "RTNETLINK answers:", and `cat` and `dd` after the
 * file name.
 */
export const STRERROR_ERRNOS: Readonly<Record<string, string>> = {
  "Operation not permitted": "EPERM",
  "No such file or directory": "ENOENT",
  "No such process": "ESRCH",
  "Interrupted system call": "EINTR",
  "Input/output error": "EIO",
  "Resource temporarily unavailable": "EAGAIN",
  "Cannot allocate memory": "ENOMEM",
  "Permission denied": "EACCES",
  "Device or resource busy": "EBUSY",
  "File exists": "EEXIST",
  "No such device": "ENODEV",
  "Not a directory": "ENOTDIR",
  "Is a directory": "EISDIR",
  "Invalid argument": "EINVAL",
  "No space left on device": "ENOSPC",
  "Read-only file system": "EROFS",
  "Numerical argument out of domain": "EDOM",
  "Numerical result out of range": "ERANGE",
  "File name too long": "ENAMETOOLONG",
  "Message too long": "EMSGSIZE",
  "Protocol not supported": "EPROTONOSUPPORT",
  "Operation not supported": "EOPNOTSUPP",
  "Address family not supported by protocol": "EAFNOSUPPORT",
  "Address already in use": "EADDRINUSE",
  "Cannot assign requested address": "EADDRNOTAVAIL",
  "Network is down": "ENETDOWN",
  "Network is unreachable": "ENETUNREACH",
  "No buffer space available": "ENOBUFS",
  "No route to host": "EHOSTUNREACH",
  "Too many levels of symbolic links": "ELOOP",
};

/**
 * The kernel's own explanations (netlink's extended acknowledgement), which `ip` and `tc` print
 * as "Error: <text>." instead of the errno, with the errno the kernel sends along. Each was
 * checked against the errno in the kernel's answer.
 */
export const EXTACK_ERRNOS: readonly (readonly [RegExp, string])[] = [
  [/^Unknown device type$/, "EOPNOTSUPP"],
  [/^mtu (greater than device maximum|less than device minimum)$/, "EINVAL"],
  [/^Unable to use '.*' for the new interface name in the target netns$/, "EEXIST"],
  [/^An interface with the same name exists in the target netns$/, "EEXIST"],
  [/^ipv4: Address already assigned$/, "EEXIST"],
  [/^ipv6: address already assigned$/, "EEXIST"],
  [/^ipv4: Address not found$/, "EADDRNOTAVAIL"],
  [/^ipv6: address not found$/, "EADDRNOTAVAIL"],
  [/^Nexthop has invalid gateway$/, "ENETUNREACH"],
  [/^Device for nexthop is not up$/, "ENETDOWN"],
  [/^Nexthop device is not up$/, "ENETDOWN"],
  [/^Invalid prefsrc address$/, "EINVAL"],
  [/^Invalid source address$/, "EINVAL"],
  [/^Gateway can not be a local address$/, "EINVAL"],
  [/^(ipv4: |ipv6: )?FIB table does not exist$/, "ESRCH"],
  [/^Exclusivity flag on, cannot modify$/, "EEXIST"],
  [/^Cannot delete qdisc with handle of zero$/, "ENOENT"],
  [/^Can not enslave a bridge to a bridge$/, "ELOOP"],
];

/** What `ip` and `tc` print when they look up a link by name before asking the kernel. */
const NO_DEVICE = [
  /^Cannot find device ".*"$/,
  /^Device ".*" does not exist\.$/,
  /^Error: argument ".*" is wrong: Device does not exist$/,
];

/**
 * The errno a failed run's stderr names: the last line that names one (`RTNETLINK answers:
 * File exists`, `Error: ipv4: Address already assigned.`, `Cannot find device "x"`, `cat:
 * /proc/sys/net/x: No such file or directory`); undefined when no line does.
 */
export function errnoOf(output: RunOutput): string | undefined {
  if (output.timedOut || output.signal !== undefined) return undefined;
  let errno: string | undefined;
  for (const line of output.stderr.split("\n")) {
    const found = lineErrno(line.trimEnd());
    if (found !== undefined) errno = found;
  }
  return errno;
}

function lineErrno(line: string): string | undefined {
  if (NO_DEVICE.some((pattern) => pattern.test(line))) return "ENODEV";
  const answer = /^RTNETLINK answers: (.+)$/.exec(line);
  if (answer !== null) return STRERROR_ERRNOS[answer[1]!];
  const detail = extackOf(line);
  if (detail !== undefined) return EXTACK_ERRNOS.find(([pattern]) => pattern.test(detail))?.[1];
  // `cat: <path>: <text>`, `dd: failed to open '<path>': <text>`, `dd: error writing ...`, each
  // program named as it was run: by its path.
  const file = /^(?:\/\S*\/)?(?:cat|dd): .*: ([A-Z][^:]*)$/.exec(line);
  if (file !== null) return STRERROR_ERRNOS[file[1]!];
  return undefined;
}

/** The kernel's explanation in a line `Error: <text>.`, without the final period. */
function extackOf(line: string): string | undefined {
  const match = /^Error: (.+)$/.exec(line);
  return match === null ? undefined : match[1]!.replace(/\.$/, "");
}

/** The kernel's explanation in a failed run's stderr, as netlink gives it, when a line has one. */
function detailOf(output: RunOutput): string | undefined {
  for (const line of output.stderr.split("\n").reverse()) {
    const detail = extackOf(line.trimEnd());
    if (detail !== undefined && !detail.startsWith("argument ")) return detail.slice(0, 256);
  }
  return undefined;
}

function record(value: unknown): Record<string, unknown> {
  return isJsonObject(value) ? value : {};
}

/** Parses `ip -j`/`tc -j` output: one JSON array. */
function parseJsonList(stdout: string, words: readonly string[]): unknown[] {
  if (stdout.trim() === "") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new Error(`${words.join(" ")} printed no JSON: ${goQuoteCapped(stdout.trim())}`);
  }
  if (!Array.isArray(parsed)) throw new Error(`${words.join(" ")} printed no JSON list`);
  return parsed;
}

/** True for a name `ip` and `tc` read as an index when no link has it: `if` and a number. */
export function readAsIndex(name: string): boolean {
  return /^if[+-]?[0-9]/.test(name);
}

const MACVLAN_MODES = new Set(["private", "vepa", "bridge", "passthru", "source"]);
const IPVLAN_MODES = new Set(["l2", "l3", "l3s"]);

/** A link of `ip -j -d link show`; `promisc` and `allmulti` are present only when set. */
function toLink(entry: unknown, indexOf: (name: string) => number | undefined): Link {
  const r = record(entry);
  const flags = Array.isArray(r.flags) ? r.flags : [];
  const info = record(r.linkinfo);
  const data = record(info.info_data);
  const kind = typeof info.info_kind === "string" ? info.info_kind : undefined;
  const linkIndex = typeof r.link_index === "number"
    ? r.link_index
    : typeof r.link === "string"
    ? indexOf(r.link) ?? unresolvedIndex(r.link)
    : undefined;
  const masterIndex = typeof r.master === "string" ? indexOf(r.master) : undefined;
  return {
    name: String(r.ifname ?? ""),
    index: typeof r.ifindex === "number" ? r.ifindex : 0,
    ...(typeof r.mtu === "number" ? { mtu: r.mtu } : {}),
    ...(typeof r.address === "string" ? { mac: r.address.toLowerCase() } : {}),
    up: flags.includes("UP"),
    ...(kind === undefined ? {} : { kind }),
    ...(typeof r.txqlen === "number" ? { txqueuelen: r.txqlen } : {}),
    ...(flags.includes("PROMISC") ? { promisc: true } : {}),
    ...(flags.includes("ALLMULTI") ? { allmulti: true } : {}),
    ...(masterIndex === undefined ? {} : { masterIndex }),
    ...(linkIndex === undefined ? {} : { linkIndex }),
    ...(typeof r.link_netnsid === "number" ? { linkNetnsId: r.link_netnsid } : {}),
    ...(kind === "vlan" && typeof data.id === "number" ? { vlanId: data.id } : {}),
    ...(kind === "macvlan" && typeof data.mode === "string" && MACVLAN_MODES.has(data.mode)
      ? { macvlanMode: data.mode as MacvlanMode }
      : {}),
    ...(kind === "ipvlan" && typeof data.mode === "string" && IPVLAN_MODES.has(data.mode)
      ? { ipvlanMode: data.mode as IpvlanMode }
      : {}),
  };
}

/** `ip` prints a link it has no name for as "if<index>". */
function unresolvedIndex(text: string): number | undefined {
  const match = /^if([0-9]+)$/.exec(text);
  return match === null ? undefined : Number(match[1]);
}

/** A scope as `ip -N` prints it (a number), by name where it has one. */
function scopeName(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  return ({ "0": "global", "253": "link", "254": "host" } as Record<string, string>)[text] ?? text;
}

/**
 * A table as `ip -N` prints it (a number), by name where the toolkit names it; `ip` leaves it out
 * for the main table and for the one table it lists.
 */
function tableName(value: unknown, listed: number | "all" | undefined): string {
  if (value === undefined) {
    return typeof listed === "number" ? tableName(listed, undefined) : "main";
  }
  const text = String(value);
  return ({ "254": "main", "255": "local" } as Record<string, string>)[text] ?? text;
}

function routeType(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  const name = /^[0-9]+$/.test(text) ? ROUTE_TYPES[Number(text)] ?? text : text;
  return name === "unicast" ? undefined : name;
}

/** The addresses of one entry of `ip -N -j addr show`. */
function toAddresses(entry: unknown): Address[] {
  const r = record(entry);
  const infos = Array.isArray(r.addr_info) ? r.addr_info : [];
  const addresses: Address[] = [];
  for (const info of infos.map(record)) {
    const cidr = parseCidr(`${info.local}/${info.prefixlen}`);
    if (cidr === undefined) continue;
    const scope = scopeName(info.scope);
    addresses.push({
      dev: String(r.ifname ?? ""),
      cidr: formatCidr(cidr),
      family: isIpv4(cidr.address) ? 4 : 6,
      ...(scope === undefined ? {} : { scope }),
      ...(info.nodad === true ? { noDad: true } : {}),
      ...(info.noprefixroute === true ? { noPrefixRoute: true } : {}),
      ...(info.tentative === true ? { tentative: true } : {}),
    });
  }
  return addresses;
}

/** A destination as `ip` prints it, canonical. */
function canonicalDst(dst: string, family: 4 | 6): string {
  if (dst === "default") return family === 4 ? "0.0.0.0/0" : "::/0";
  const cidr = parseCidr(dst.includes("/") ? dst : `${dst}/${family === 4 ? 32 : 128}`);
  return cidr === undefined ? dst : formatCidr(cidr);
}

function canonicalIp(text: string): string {
  const address = parseIp(text);
  return address === undefined ? text : formatIp(address);
}

/** A route of `ip -N -j route show [table <table>]`. */
function toRoute(entry: unknown, family: 4 | 6, table: number | "all" | undefined): KernelRoute {
  const r = record(entry);
  const metrics = record(Array.isArray(r.metrics) ? r.metrics[0] : r.metrics);
  const type = routeType(r.type);
  return {
    dst: canonicalDst(typeof r.dst === "string" ? r.dst : "", family),
    ...(typeof r.gateway === "string" ? { gateway: canonicalIp(r.gateway) } : {}),
    ...(typeof r.dev === "string" ? { dev: r.dev } : {}),
    table: tableName(r.table, table),
    scope: scopeName(r.scope) ?? "global",
    ...(typeof r.metric === "number" ? { metric: r.metric } : {}),
    ...(typeof r.prefsrc === "string" ? { prefsrc: canonicalIp(r.prefsrc) } : {}),
    ...(typeof metrics.mtu === "number" ? { mtu: metrics.mtu } : {}),
    ...(typeof metrics.advmss === "number" ? { advmss: metrics.advmss } : {}),
    ...(type === undefined ? {} : { type }),
  };
}

/** "8001:" as a 32-bit handle. */
function parseHandle(text: unknown): number {
  if (typeof text !== "string") return 0;
  const [major = "0", minor = ""] = text.split(":");
  return ((parseInt(major || "0", 16) << 16) >>> 0) + (parseInt(minor || "0", 16) || 0);
}

/** `tc`'s rate units: "16Mbit" is 16 000 000 bits per second. */
const RATE_UNITS: Readonly<Record<string, number>> = { "": 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/**
 * The peak rates (bytes per second) of the tbf qdiscs in `tc -raw qdisc show` text, by
 * "<dev> <handle>" (the dev is `dev` when the text lists one link's qdiscs).
 */
export function peakRates(text: string, dev: string | undefined): Map<string, number> {
  const rates = new Map<string, number>();
  for (const line of text.split("\n")) {
    const head = /^qdisc tbf ([0-9a-f]+:)\S*(?: dev (\S+))? /.exec(line);
    const peak = / peakrate ([0-9]+)([KMGT]?)bit /.exec(line);
    if (head === null || peak === null) continue;
    const bits = Number(peak[1]) * RATE_UNITS[peak[2]!]!;
    rates.set(`${head[2] ?? dev} ${head[1]}`, Math.round(bits / 8));
  }
  return rates;
}

function toQdisc(entry: unknown, dev: string | undefined): Qdisc {
  const r = record(entry);
  const kind = String(r.kind ?? "");
  const options = record(r.options);
  const root = r.root === true;
  const qdisc: Qdisc = {
    dev: typeof r.dev === "string" ? r.dev : dev ?? "",
    kind,
    handle: parseHandle(r.handle),
    root,
    parent: root ? 0xffffffff : parseHandle(r.parent),
  };
  if (kind === "tbf") {
    qdisc.tbf = {
      rate: Number(options.rate ?? 0),
      burst: Number(options.burst ?? 0),
      limit: Number(options.limit ?? 0),
      ...(typeof options.minburst === "number" ? { mtu: options.minburst } : {}),
    };
  }
  return qdisc;
}

/** The `ip route` words of a route. */
function routeWords(verb: "add" | "replace" | "del", route: RouteSpec): string[] {
  const words = ["route", verb, route.dst];
  if (route.via !== undefined) words.push("via", route.via);
  words.push("dev", route.dev);
  if (route.src !== undefined) words.push("src", route.src);
  if (route.scope !== undefined) words.push("scope", String(route.scope));
  if (route.table !== undefined) words.push("table", String(route.table));
  if (route.metric !== undefined) words.push("metric", String(route.metric));
  if (route.mtu !== undefined) words.push("mtu", String(route.mtu));
  if (route.advmss !== undefined) words.push("advmss", String(route.advmss));
  return words;
}

function quote(text: string): string {
  return goQuoteCapped(text);
}

function routeObject(route: RouteSpec): string {
  const via = route.via === undefined ? "" : ` via ${route.via}`;
  const table = route.table === undefined ? "" : ` table ${route.table}`;
  return `${route.dst}${via} dev ${quote(route.dev)}${table}`;
}

/** The `ip link add` words of what every kind of link may have. */
function commonWords(spec: LinkSpec): string[] {
  const words = ["name", spec.name];
  if (spec.mtu !== undefined) words.push("mtu", String(spec.mtu));
  if (spec.mac !== undefined) words.push("address", spec.mac);
  if (spec.txqueuelen !== undefined) words.push("txqueuelen", String(spec.txqueuelen));
  if (spec.netns !== undefined) words.push("netns", spec.netns);
  return words;
}

function linkAddWords(spec: LinkSpec): string[] {
  const words = ["link", "add"];
  if (spec.kind === "macvlan" || spec.kind === "ipvlan" || spec.kind === "vlan") {
    words.push("link", spec.parent);
  }
  words.push(...commonWords(spec), "type", spec.kind);
  switch (spec.kind) {
    case "veth":
      words.push("peer", "name", spec.peerName);
      if (spec.mtu !== undefined) words.push("mtu", String(spec.mtu));
      if (spec.peerMac !== undefined) words.push("address", spec.peerMac);
      if (spec.peerNetns !== undefined) words.push("netns", spec.peerNetns);
      break;
    case "macvlan":
      if (spec.mode !== undefined) words.push("mode", spec.mode);
      break;
    case "ipvlan":
      words.push("mode", spec.mode ?? "l2");
      break;
    case "vlan":
      words.push("id", String(spec.vlanId));
      break;
  }
  return words;
}

function linkSetWords(name: string, changes: LinkChanges): string[] {
  const words = ["link", "set", "dev", name];
  if (changes.mtu !== undefined) words.push("mtu", String(changes.mtu));
  if (changes.mac !== undefined) words.push("address", changes.mac);
  if (changes.txqueuelen !== undefined) words.push("txqueuelen", String(changes.txqueuelen));
  if (changes.promisc !== undefined) words.push("promisc", changes.promisc ? "on" : "off");
  if (changes.allmulti !== undefined) {
    words.push("allmulticast", changes.allmulti ? "on" : "off");
  }
  if (changes.master === null) words.push("nomaster");
  else if (changes.master !== undefined) words.push("master", changes.master);
  if (changes.up !== undefined) words.push(changes.up ? "up" : "down");
  return words;
}

function tbfWords(dev: string, spec: TbfSpec): string[] {
  const words = ["qdisc", "add", "dev", dev, "root", "tbf", "rate", `${spec.rate}bps`];
  words.push("burst", String(spec.burst));
  if (spec.limit !== undefined) words.push("limit", String(spec.limit));
  else words.push("latency", `${spec.latencyUs ?? 0}us`);
  if (spec.peakrate !== undefined) words.push("peakrate", `${spec.peakrate}bps`);
  if (spec.mtu !== undefined) words.push("mtu", String(spec.mtu));
  return words;
}

/**
 * The file of a sysctl key under /proc/sys, with `sysctl`'s rule: words separated by dots, where
 * a slash stands for a dot inside a word ("net.ipv4.conf.eth0/100.forwarding"), or by slashes
 * when a slash comes first ("net/ipv4/conf/eth0.100/forwarding"). The toolkit has checked the key.
 */
export function sysctlFile(key: string): string {
  const dot = key.indexOf(".");
  const slash = key.indexOf("/");
  const slashes = slash >= 0 && (dot < 0 || slash < dot);
  const words = slashes ? key.split("/") : key.split(".").map((word) => word.replaceAll("/", "."));
  return `/proc/sys/${words.join("/")}`;
}

/** The operations of one namespace through `ip`, `tc`, `cat` and `dd`. */
function execNamespace(finder: ProgramFinder, runner: ProgramRunner, here: string): NamespaceOps {
  /** Throws the error a failed run stands for. */
  function failure(
    words: readonly string[],
    output: RunOutput,
    operation: string,
    object: string,
  ): never {
    const errno = errnoOf(output);
    if (errno === undefined) throw new CommandError(words, output);
    const detail = detailOf(output);
    throw new KernelError({
      errno,
      operation,
      object,
      ...(detail === undefined ? {} : { detail }),
    });
  }

  async function tool(
    program: "ip" | "tc",
    args: readonly string[],
    operation: string,
    object: string,
  ): Promise<string> {
    const output = await runner.run(program, args);
    if (!failed(output)) return output.stdout;
    return failure([program, ...args], output, operation, object);
  }

  /** Runs a command whose failure with one of `gone` means "nothing to delete". */
  async function remove(
    program: "ip" | "tc",
    args: readonly string[],
    operation: string,
    object: string,
    gone: readonly string[],
  ): Promise<boolean> {
    try {
      await tool(program, args, operation, object);
      return true;
    } catch (error) {
      if (error instanceof KernelError && gone.includes(error.errno)) return false;
      throw error;
    }
  }

  /** Checks a namespace path `ip` is to open: NamespaceMissingError or code 4 when it is none. */
  async function checkTarget(path: string): Promise<void> {
    await checkNamespacePath(finder.host, path);
  }

  /** A run that failed because `ip` could not open a namespace path it was given. */
  function targetMissing(output: RunOutput, paths: readonly string[]): string | undefined {
    return paths.find((path) =>
      output.stderr.includes(`Error: argument ${JSON.stringify(path)} is wrong: Invalid "netns"`)
    );
  }

  async function listLinks(): Promise<Link[]> {
    const args = ["-j", "-d", "link", "show"];
    const entries = parseJsonList(await tool("ip", args, "list links", here), ["ip", ...args]);
    const indexes = new Map<string, number>();
    for (const entry of entries.map(record)) {
      if (typeof entry.ifname === "string" && typeof entry.ifindex === "number") {
        indexes.set(entry.ifname, entry.ifindex);
      }
    }
    return entries.map((entry) => toLink(entry, (name) => indexes.get(name)));
  }

  /**
   * Makes sure that `ip` or `tc` finds the links `names` by name: a name they would read as an
   * index when missing must be a link's.
   *
   * @throws {KernelError} ENODEV naming the missing link
   */
  async function mustExist(
    names: readonly (string | undefined)[],
    operation: string,
    object: string,
  ): Promise<void> {
    const doubtful = names.filter((name): name is string =>
      name !== undefined && readAsIndex(name)
    );
    if (doubtful.length === 0) return;
    const links = new Set((await listLinks()).map((link) => link.name));
    const missing = doubtful.find((name) => !links.has(name));
    if (missing !== undefined) {
      throw new KernelError({
        errno: "ENODEV",
        operation,
        object,
        detail: `no link ${quote(missing)}`,
      });
    }
  }

  /** Runs `ip` with namespace paths it opens itself, checked first. */
  async function ipWithTargets(
    args: readonly string[],
    targets: readonly string[],
    operation: string,
    object: string,
  ): Promise<void> {
    for (const path of targets) await checkTarget(path);
    const output = await runner.run("ip", args);
    if (!failed(output)) return;
    const gone = targetMissing(output, targets);
    if (gone !== undefined) throw new NamespaceMissingError(gone, "No such file or directory");
    failure(["ip", ...args], output, operation, object);
  }

  /** True when `delete` should answer "nothing there" for a name read as an index. */
  async function missingLink(name: string): Promise<boolean> {
    if (!readAsIndex(name)) return false;
    return !(await listLinks()).some((link) => link.name === name);
  }

  return {
    links: listLinks,
    async link(ref) {
      return (await listLinks()).find((link) =>
        typeof ref === "number" ? link.index === ref : link.name === ref
      );
    },
    async createLink(spec) {
      const operation = "create link";
      const object = quote(spec.name);
      const parent = spec.kind === "veth" || spec.kind === "bridge" || spec.kind === "dummy"
        ? undefined
        : spec.parent;
      await mustExist([parent], operation, object);
      const targets = [spec.netns, spec.kind === "veth" ? spec.peerNetns : undefined]
        .filter((path): path is string => path !== undefined);
      await ipWithTargets(linkAddWords(spec), targets, operation, object);
    },
    async setLink(name, changes) {
      const object = quote(name);
      const master = typeof changes.master === "string" ? changes.master : undefined;
      await mustExist([name, master], "set link", object);
      await tool("ip", linkSetWords(name, changes), "set link", object);
    },
    async renameLink(name, newName) {
      const object = `${quote(name)} to ${quote(newName)}`;
      await mustExist([name], "rename link", object);
      await tool("ip", ["link", "set", "dev", name, "name", newName], "rename link", object);
    },
    async moveLink(name, netnsPath, newName) {
      const object = `${quote(name)} to netns ${quote(netnsPath)}`;
      await mustExist([name], "move link", object);
      const args = ["link", "set", "dev", name, "netns", netnsPath];
      if (newName !== undefined) args.push("name", newName);
      await ipWithTargets(args, [netnsPath], "move link", object);
    },
    async deleteLink(name) {
      if (await missingLink(name)) return false;
      const args = ["link", "del", "dev", name];
      return await remove("ip", args, "delete link", quote(name), ["ENODEV"]);
    },
    async addresses(dev) {
      const args = ["-N", "-j", "addr", "show"];
      const object = dev === undefined ? here : `of ${quote(dev)} ${here}`;
      const listed = parseJsonList(await tool("ip", args, "list addresses", object), [
        "ip",
        ...args,
      ]);
      const entries = dev === undefined
        ? listed
        : listed.filter((entry) => record(entry).ifname === dev);
      if (dev !== undefined && entries.length === 0) {
        throw new KernelError({ errno: "ENODEV", operation: "list addresses", object });
      }
      return entries.flatMap(toAddresses);
    },
    async addAddress(dev, cidr, options) {
      const object = `${cidr} on ${quote(dev)}`;
      await mustExist([dev], "add address", object);
      const args = ["addr", "add", cidr, "dev", dev];
      if (options.noPrefixRoute) args.push("noprefixroute");
      if (options.noDad && !cidr.includes(".")) args.push("nodad");
      await tool("ip", args, "add address", object);
    },
    async deleteAddress(dev, cidr) {
      const object = `${cidr} on ${quote(dev)}`;
      await mustExist([dev], "delete address", object);
      const args = ["addr", "del", cidr, "dev", dev];
      return await remove("ip", args, "delete address", object, ["EADDRNOTAVAIL"]);
    },
    async routes(family, table) {
      const tableArgs = table === undefined ? [] : ["table", String(table)];
      const args = ["-N", "-j", `-${family}`, "route", "show", ...tableArgs];
      const output = await runner.run("ip", args);
      const operation = `list IPv${family} routes`;
      if (failed(output)) {
        // A table no route was ever added to does not exist: it has no routes.
        if (/^Error: (ipv4|ipv6): FIB table does not exist\.$/m.test(output.stderr)) return [];
        failure(["ip", ...args], output, operation, here);
      }
      const listed = parseJsonList(output.stdout, ["ip", ...args]);
      return listed.map((entry) => toRoute(entry, family, table));
    },
    async addRoute(route, replace) {
      const verb = replace ? "replace" : "add";
      const object = routeObject(route);
      await mustExist([route.dev], `${verb} route`, object);
      await tool("ip", routeWords(verb, route), `${verb} route`, object);
    },
    async deleteRoute(route) {
      const object = routeObject(route);
      await mustExist([route.dev], "delete route", object);
      return await remove("ip", routeWords("del", route), "delete route", object, ["ESRCH"]);
    },
    async qdiscs(dev) {
      const object = dev === undefined ? here : `of ${quote(dev)} ${here}`;
      if (dev !== undefined) await mustExist([dev], "list qdiscs", object);
      const devArgs = dev === undefined ? [] : ["dev", dev];
      const args = ["-j", "-raw", "qdisc", "show", ...devArgs];
      const listed = parseJsonList(await tool("tc", args, "list qdiscs", object), ["tc", ...args])
        .map((entry) => toQdisc(entry, dev));
      const peaked = listed.filter((qdisc) => qdisc.tbf?.mtu !== undefined);
      if (peaked.length > 0) {
        const text = await tool("tc", ["-raw", "qdisc", "show", ...devArgs], "list qdiscs", object);
        const rates = peakRates(text, dev);
        for (const qdisc of peaked) {
          const handle = `${(qdisc.handle >>> 16).toString(16)}:`;
          const rate = rates.get(`${qdisc.dev} ${handle}`);
          if (rate !== undefined) qdisc.tbf = { ...qdisc.tbf!, peakrate: rate };
        }
      }
      return listed;
    },
    async addTbf(dev, spec) {
      const object = `tbf on ${quote(dev)}`;
      await mustExist([dev], "add qdisc", object);
      await tool("tc", tbfWords(dev, spec), "add qdisc", object);
    },
    async deleteRootQdisc(dev) {
      const object = `root of ${quote(dev)}`;
      await mustExist([dev], "delete qdisc", object);
      const args = ["qdisc", "del", "dev", dev, "root"];
      return await remove("tc", args, "delete qdisc", object, ["ENOENT"]);
    },
    async sysctlGet(key) {
      const file = sysctlFile(key);
      const output = await runner.run("cat", [file]);
      if (failed(output)) failure(["cat", file], output, "read sysctl", JSON.stringify(key));
      return output.stdout.trim();
    },
    async sysctlSet(key, value) {
      const file = sysctlFile(key);
      const bytes = new TextEncoder().encode(value);
      // One write of the whole value, to a file that must exist: what a sysctl takes.
      const args = [
        `of=${file}`,
        "conv=nocreat,notrunc",
        "iflag=fullblock",
        `bs=${Math.max(bytes.length, 1)}`,
        `count=${bytes.length === 0 ? 0 : 1}`,
        "status=none",
      ];
      const output = await runner.run("dd", args, bytes);
      if (failed(output)) failure(["dd", ...args], output, "write sysctl", JSON.stringify(key));
    },
  };
}

/**
 * The exec backend: `ip`, `tc`, `cat` and `dd` run through `host`.
 *
 * @param host the process that runs the programs
 * @param timeoutMs each program's time limit
 */
export function execBackend(host: Host, timeoutMs: number): NetnsBackend {
  const finder = programFinder(host, timeoutMs);
  return {
    kind: "exec",
    open(path) {
      const here = path === undefined ? "in the current netns" : `in netns ${quote(path)}`;
      return execNamespace(finder, programRunner(finder, path), here);
    },
  };
}
