/**
 * The namespace toolkit: links, addresses, routes, qdiscs and sysctls in a network namespace,
 * from typed values. What Go plugins get from `ns.WithNetNSPath`, `netlink` and `sysctl`.
 *
 * The work is done by a backend (`./net_backend.ts`), all three with the same behaviour:
 * - netlink, in this process through FFI: the default when the plugin has `--allow-ffi`; no
 *   program runs;
 * - exec: `ip`, `tc` and `sysctl` from the system directories, through `nsenter --net=<path>`
 *   for another namespace, with argv only and nothing but PATH and `LC_ALL=C` in their
 *   environment: for a plugin that is not granted FFI;
 * - the model kernel of `./testing`, for tests without root.
 *
 * Every interface name is checked with the kernel's rules, every address parsed and written
 * canonically, and every number checked before a backend sees it, so nothing from stdin or the
 * environment can become a second command or a malformed message. A namespace path is checked to
 * be a network namespace before anything opens it. The kernel's refusals are {@link KernelError}s
 * naming the errno, the operation and the object.
 *
 * In a plugin made with `definePlugin`, the context's `inContainer` and `onHost` are toolkits
 * bound to CNI_NETNS and to the plugin's own namespace.
 *
 * @example Setting up a veth pair on the model kernel
 * ```ts
 * import assert from "node:assert/strict";
 * import { netns } from "./netns.ts";
 * import { fakeHost, modelKernel } from "./testing.ts";
 *
 * const kernel = modelKernel();
 * kernel.addNamespace("/var/run/netns/c1");
 * const host = fakeHost({ kernel });
 * const onHost = netns(undefined, { host });
 * await onHost.createVeth({ name: "veth1", peerName: "eth0", peerNetns: "/var/run/netns/c1" });
 * const container = netns("/var/run/netns/c1", { host });
 * await container.addAddress("eth0", "10.1.0.5/24");
 * await container.setLinkUp("eth0");
 * const eth0 = await container.link("eth0");
 * assert.equal(eth0?.kind, "veth");
 * assert.equal(eth0?.up, true);
 * assert.deepEqual((await container.addresses("eth0")).map((a) => a.cidr), ["10.1.0.5/24"]);
 * ```
 *
 * @module
 */
import { goQuoteCapped } from "./_go_quote.ts";
import { lazyBackend, prepareOps } from "./_lazy_backend.ts";
import {
  CommandError,
  failed,
  programFinder,
  programRunner,
  SYSTEM_DIRS,
  SYSTEM_PATH,
} from "./_system_programs.ts";
import { CniError, ErrorCode } from "./errors.ts";
import { DEFAULT_TIMEOUT_MS, type Host, type RunOutput } from "./host.ts";
import { formatCidr, formatIp, isIpv4, parseCidr, parseIp } from "./ip.ts";
import type { NamespaceOps, NetnsBackend } from "./net_backend.ts";
import type {
  Address,
  AddressOptions,
  KernelRoute,
  Link,
  LinkChanges,
  LinkSpec,
  Qdisc,
  RouteSpec,
  TbfSpec,
} from "./net_types.ts";
import { kernelInterfaceNameProblem } from "./names.ts";

export { CommandError, SYSTEM_DIRS, SYSTEM_PATH };
export { KernelError, type KernelErrorOptions, NamespaceMissingError } from "./net_errors.ts";
export type { NamespaceOps, NetnsBackend } from "./net_backend.ts";
export type {
  Address,
  AddressOptions,
  IpvlanMode,
  KernelRoute,
  Link,
  LinkChanges,
  LinkCommon,
  LinkSpec,
  MacvlanMode,
  Qdisc,
  RouteSpec,
  TbfSettings,
  TbfSpec,
} from "./net_types.ts";

/** Options of {@link netns}. */
export interface NetnsOptions {
  /** The process: it runs programs, and may name the backend (`Host.netnsBackend`). */
  host: Host;
  /** Each program's time limit (the exec backend, `run`, `ip`); default one minute. */
  timeoutMs?: number;
  /** The backend; default the host's, else exec. */
  backend?: NetnsBackend;
}

/** What {@link Netns.createVeth} takes. */
export interface VethOptions {
  /** The name of the end created here. */
  name: string;
  /** The name of the other end. */
  peerName: string;
  /** The namespace path the other end is created in, directly; here when absent. */
  peerNetns?: string;
  /** Both ends' MTU. */
  mtu?: number;
}

/** The namespace toolkit bound to one namespace. */
export interface Netns {
  /** The namespace's path; undefined for the plugin's own namespace. */
  readonly path: string | undefined;
  /** Which backend does the work: "netlink", "exec" or "model". */
  readonly backend: NetnsBackend["kind"];
  /**
   * Readies the backend for this namespace and changes nothing: the netlink backend loads its
   * code and opens the namespace and a socket in it, so the first operation need not. Call it
   * before waiting for something slow, such as an IPAM delegate. Never fails: a problem is the
   * first operation's to report.
   */
  prepare(): Promise<void>;
  /**
   * Runs a system program in the namespace: `program` is a name found in {@link SYSTEM_DIRS}.
   * It runs through `nsenter` whatever the backend: for what the toolkit has no operation for.
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
  /** One link by name or index, or undefined when there is none. */
  link(ref: string | number): Promise<Link | undefined>;
  /**
   * Creates a link: a veth pair (the peer possibly directly in another namespace), macvlan,
   * ipvlan, vlan, bridge or dummy.
   *
   * @throws {KernelError} EEXIST for a name that is taken, ENODEV for a missing parent
   */
  createLink(spec: LinkSpec): Promise<void>;
  /**
   * Creates a veth pair: `name` here, `peerName` in the namespace at `peerNetns` (or here).
   *
   * @throws {KernelError} EEXIST for a name that is taken
   */
  createVeth(options: VethOptions): Promise<void>;
  /** Changes a link: up/down, MTU, MAC, txqueuelen, promisc, allmulti, master. */
  setLink(name: string, changes: LinkChanges): Promise<void>;
  /** Sets a link up. */
  setLinkUp(name: string): Promise<void>;
  /** Sets a link down. */
  setLinkDown(name: string): Promise<void>;
  /** Renames a link. */
  renameLink(name: string, newName: string): Promise<void>;
  /** Moves a link into the namespace at `netnsPath`, renamed to `options.name` when given. */
  moveLink(name: string, netnsPath: string, options?: { name?: string }): Promise<void>;
  /** Deletes a link; false when there was none of that name. */
  deleteLink(name: string): Promise<boolean>;
  /**
   * The index of a veth's peer, in the peer's namespace (Go's `GetVethPeerIfindex`).
   *
   * @throws {Error} when the link is missing or not a veth
   */
  vethPeerIndex(name: string): Promise<number>;
  /** The addresses, of one link or of all. */
  addresses(dev?: string): Promise<Address[]>;
  /** Adds an address; `noPrefixRoute` leaves out the subnet route, `noDad` skips IPv6 DAD. */
  addAddress(dev: string, cidr: string, options?: AddressOptions): Promise<void>;
  /** Deletes an address; false when the link does not have it. */
  deleteAddress(dev: string, cidr: string): Promise<boolean>;
  /** The routes of a family, in the main table or the one given ("all" for every table). */
  routes(family: 4 | 6, table?: number | "all"): Promise<KernelRoute[]>;
  /**
   * Adds a route; never replaces one.
   *
   * @throws {KernelError} EEXIST when the route is there already
   */
  addRoute(route: RouteSpec): Promise<void>;
  /** Adds a route, or replaces the one to the same destination, table and metric. */
  replaceRoute(route: RouteSpec): Promise<void>;
  /**
   * Deletes the route with this destination through this device (and next hop, table, metric
   * when given), never one through another device; false when there is none.
   */
  deleteRoute(route: RouteSpec): Promise<boolean>;
  /** The qdiscs, of one link or of all. */
  qdiscs(dev?: string): Promise<Qdisc[]>;
  /**
   * Attaches a token bucket filter as the link's root qdisc.
   *
   * @throws {KernelError} EEXIST when the link has a root qdisc of its own
   */
  addTbf(dev: string, spec: TbfSpec): Promise<void>;
  /** Deletes the link's root qdisc; false when it has none of its own. */
  deleteRootQdisc(dev: string): Promise<boolean>;
  /** Reads a sysctl, e.g. "net.ipv4.ip_forward". */
  sysctlGet(key: string): Promise<string>;
  /** Writes a sysctl. */
  sysctlSet(key: string, value: string): Promise<void>;
}

/**
 * Checks an interface name with the kernel's rules before it is used.
 *
 * @returns the name
 * @throws {CniError} code 7 naming the problem
 */
export function checkInterfaceName(name: string): string {
  const problem = kernelInterfaceNameProblem(name) ??
    (name.includes("%")
      ? 'has "%", which the kernel reads as a pattern for a free number'
      : undefined);
  if (problem !== undefined) {
    throw new CniError(
      ErrorCode.invalidNetworkConfig,
      `invalid interface name ${goQuoteCapped(name)}: it ${problem}`,
    );
  }
  return name;
}

function invalid(what: string, value: unknown): CniError {
  const text = typeof value === "string" ? goQuoteCapped(value) : String(value);
  return new CniError(ErrorCode.invalidNetworkConfig, `invalid ${what} ${text}`);
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

const U32_MAX = 0xffffffff;

function unsigned(value: number, what: string, max = U32_MAX): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) throw invalid(what, value);
  return value;
}

function checkCidr(cidr: string): string {
  const parsed = parseCidr(cidr);
  if (parsed === undefined) throw invalid("address", cidr);
  return formatCidr(parsed);
}

function checkIp(text: string, what: string): string {
  const address = parseIp(text);
  if (address === undefined) throw invalid(what, text);
  return formatIp(address);
}

function checkMac(mac: string): string {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac)) throw invalid("MAC address", mac);
  return mac.toLowerCase();
}

/** A route destination in canonical form: "default" and bare addresses as CIDRs. */
function checkDst(dst: string): string {
  if (dst === "default") return "0.0.0.0/0";
  const cidr = parseCidr(dst.includes("/") ? dst : `${dst}/${dst.includes(":") ? 128 : 32}`);
  if (cidr === undefined) throw invalid("route destination", dst);
  return formatCidr(cidr);
}

function checkRoute(route: RouteSpec): RouteSpec {
  const dst = checkDst(route.dst);
  const v4 = dst.includes(".");
  const checked: RouteSpec = { dst, dev: checkInterfaceName(route.dev) };
  if (route.via !== undefined) {
    const via = checkIp(route.via, "gateway");
    if (via.includes(".") !== v4) {
      throw invalid(`gateway for ${dst}`, route.via);
    }
    checked.via = via;
  }
  if (route.src !== undefined) checked.src = checkIp(route.src, "source address");
  if (route.scope !== undefined) {
    if (typeof route.scope === "number") checked.scope = unsigned(route.scope, "scope", 255);
    else if (["link", "host", "global"].includes(route.scope)) checked.scope = route.scope;
    else throw invalid("scope", route.scope);
  }
  if (route.table !== undefined) checked.table = unsigned(route.table, "table");
  if (route.metric !== undefined) checked.metric = unsigned(route.metric, "metric");
  if (route.mtu !== undefined) checked.mtu = unsigned(route.mtu, "route MTU");
  if (route.advmss !== undefined) checked.advmss = unsigned(route.advmss, "advmss");
  return checked;
}

function checkLinkSpec(spec: LinkSpec): LinkSpec {
  const common = {
    name: checkInterfaceName(spec.name),
    ...(spec.mtu === undefined ? {} : { mtu: unsigned(spec.mtu, "MTU") }),
    ...(spec.mac === undefined ? {} : { mac: checkMac(spec.mac) }),
    ...(spec.txqueuelen === undefined
      ? {}
      : { txqueuelen: unsigned(spec.txqueuelen, "txqueuelen") }),
    ...(spec.netns === undefined ? {} : { netns: checkNetnsPath(spec.netns) }),
  };
  switch (spec.kind) {
    case "veth":
      return {
        ...common,
        kind: "veth",
        peerName: checkInterfaceName(spec.peerName),
        ...(spec.peerNetns === undefined ? {} : { peerNetns: checkNetnsPath(spec.peerNetns) }),
        ...(spec.peerMac === undefined ? {} : { peerMac: checkMac(spec.peerMac) }),
      };
    case "macvlan":
      if (
        spec.mode !== undefined &&
        !["private", "vepa", "bridge", "passthru", "source"].includes(spec.mode)
      ) throw invalid("macvlan mode", spec.mode);
      return {
        ...common,
        kind: "macvlan",
        parent: checkInterfaceName(spec.parent),
        ...(spec.mode === undefined ? {} : { mode: spec.mode }),
      };
    case "ipvlan":
      if (spec.mode !== undefined && !["l2", "l3", "l3s"].includes(spec.mode)) {
        throw invalid("ipvlan mode", spec.mode);
      }
      return {
        ...common,
        kind: "ipvlan",
        parent: checkInterfaceName(spec.parent),
        ...(spec.mode === undefined ? {} : { mode: spec.mode }),
      };
    case "vlan":
      return {
        ...common,
        kind: "vlan",
        parent: checkInterfaceName(spec.parent),
        vlanId: unsigned(spec.vlanId, "VLAN id", 4094),
      };
    case "bridge":
    case "dummy":
      return { ...common, kind: spec.kind };
    default:
      throw invalid("link kind", (spec as { kind?: unknown }).kind);
  }
}

function checkLinkChanges(changes: LinkChanges): LinkChanges {
  const checked: LinkChanges = {};
  if (changes.up !== undefined) checked.up = changes.up === true;
  if (changes.mtu !== undefined) checked.mtu = unsigned(changes.mtu, "MTU");
  if (changes.mac !== undefined) checked.mac = checkMac(changes.mac);
  if (changes.txqueuelen !== undefined) {
    checked.txqueuelen = unsigned(changes.txqueuelen, "txqueuelen");
  }
  if (changes.promisc !== undefined) checked.promisc = changes.promisc === true;
  if (changes.allmulti !== undefined) checked.allmulti = changes.allmulti === true;
  if (changes.master !== undefined) {
    checked.master = changes.master === null ? null : checkInterfaceName(changes.master);
  }
  return checked;
}

function checkTbf(spec: TbfSpec): TbfSpec {
  const rate = unsigned(spec.rate, "tbf rate", Number.MAX_SAFE_INTEGER);
  if (rate === 0) throw invalid("tbf rate", rate);
  const checked: TbfSpec = { rate, burst: unsigned(spec.burst, "tbf burst") };
  if (checked.burst === 0) throw invalid("tbf burst", 0);
  if (spec.limit !== undefined) checked.limit = unsigned(spec.limit, "tbf limit");
  else if (spec.latencyUs !== undefined) {
    checked.latencyUs = unsigned(spec.latencyUs, "tbf latency");
  } else {
    throw new CniError(ErrorCode.invalidNetworkConfig, "a tbf needs a limit or a latency");
  }
  if ((spec.peakrate === undefined) !== (spec.mtu === undefined)) {
    throw new CniError(ErrorCode.invalidNetworkConfig, "a tbf peak rate needs an mtu, and back");
  }
  if (spec.peakrate !== undefined) {
    checked.peakrate = unsigned(spec.peakrate, "tbf peak rate", Number.MAX_SAFE_INTEGER);
    checked.mtu = unsigned(spec.mtu!, "tbf mtu");
  }
  return checked;
}

/** A sysctl key: dot- or slash-separated words, no "." or ".." and nothing read as an option. */
const SYSCTL_KEY = /^[A-Za-z0-9_][A-Za-z0-9_@#+-]*(?:[./][A-Za-z0-9_@#+-]+)*$/;

function checkSysctlKey(key: string): string {
  if (!SYSCTL_KEY.test(key) || key.split(/[./]/).some((part) => part === "..")) {
    throw invalid("sysctl key", key);
  }
  // Only the net.* sysctls belong to a network namespace; any other would change the whole node.
  if (!key.startsWith("net.") && !key.startsWith("net/")) {
    throw new CniError(
      ErrorCode.invalidNetworkConfig,
      `invalid sysctl key ${goQuoteCapped(key)}: only net.* sysctls belong to a network namespace`,
    );
  }
  return key;
}

function checkSysctlValue(value: string): string {
  // A tab separates the fields of multi-valued sysctls (ip_local_port_range); nothing else may pass.
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x08\x0a-\x1f]/.test(value)) {
    throw new CniError(
      ErrorCode.invalidNetworkConfig,
      `invalid sysctl value ${goQuoteCapped(value)}: control characters`,
    );
  }
  return value;
}

/**
 * The namespace toolkit for the namespace at `path`, or for the plugin's own namespace when
 * `path` is undefined.
 *
 * @param path the namespace's path, e.g. CNI_NETNS
 * @param options the host, the time limit and the backend
 * @throws {CniError} code 4 when `path` is not absolute
 */
export function netns(path: string | undefined, options: NetnsOptions): Netns {
  if (path !== undefined) checkNetnsPath(path);
  const { host } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const backend = options.backend ?? host.netnsBackend?.() ??
    lazyBackend(
      "exec",
      async () => (await import("./_netns_exec.ts")).execBackend(host, timeoutMs),
    );
  let ops: NamespaceOps | undefined;
  const kernel = () => ops ??= backend.open(path);
  let runner: ReturnType<typeof programRunner> | undefined;
  const programs = () => runner ??= programRunner(programFinder(host, timeoutMs), path);

  async function ip(args: readonly string[]): Promise<string> {
    const output = await programs().run("ip", args);
    if (failed(output)) throw new CommandError(["ip", ...args], output);
    return output.stdout;
  }

  async function setLink(name: string, changes: LinkChanges): Promise<void> {
    await kernel().setLink(checkInterfaceName(name), checkLinkChanges(changes));
  }

  // Every operation is async, so a value refused before the backend is a rejected promise too.
  return {
    path,
    backend: backend.kind,
    async prepare() {
      try {
        await prepareOps(kernel());
      } catch {
        // The first operation reports it.
      }
    },
    run: async (program, args) => await programs().run(program, args),
    ip,
    links: async () => await kernel().links(),
    async link(ref) {
      if (typeof ref === "number") return await kernel().link(unsigned(ref, "interface index"));
      return await kernel().link(checkInterfaceName(ref));
    },
    createLink: async (spec) => await kernel().createLink(checkLinkSpec(spec)),
    createVeth: async ({ name, peerName, peerNetns, mtu }) =>
      await kernel().createLink(checkLinkSpec({
        kind: "veth",
        name,
        peerName,
        ...(peerNetns === undefined ? {} : { peerNetns }),
        ...(mtu === undefined ? {} : { mtu }),
      })),
    setLink,
    setLinkUp: (name) => setLink(name, { up: true }),
    setLinkDown: (name) => setLink(name, { up: false }),
    renameLink: async (name, newName) =>
      await kernel().renameLink(checkInterfaceName(name), checkInterfaceName(newName)),
    moveLink: async (name, netnsPath, moveOptions = {}) =>
      await kernel().moveLink(
        checkInterfaceName(name),
        checkNetnsPath(netnsPath),
        moveOptions.name === undefined ? undefined : checkInterfaceName(moveOptions.name),
      ),
    deleteLink: async (name) => await kernel().deleteLink(checkInterfaceName(name)),
    async vethPeerIndex(name) {
      const link = await kernel().link(checkInterfaceName(name));
      if (link === undefined) throw new Error(`link ${JSON.stringify(name)} not found`);
      if (link.kind !== "veth" || link.linkIndex === undefined) {
        throw new Error(`link ${JSON.stringify(name)} is not a veth`);
      }
      return link.linkIndex;
    },
    addresses: async (dev) =>
      await kernel().addresses(dev === undefined ? undefined : checkInterfaceName(dev)),
    async addAddress(dev, cidr, addressOptions = {}) {
      const canonical = checkCidr(cidr);
      const noDad = addressOptions.noDad === true && !isIpv4(parseCidr(canonical)!.address);
      await kernel().addAddress(checkInterfaceName(dev), canonical, {
        ...(addressOptions.noPrefixRoute ? { noPrefixRoute: true } : {}),
        ...(noDad ? { noDad: true } : {}),
      });
    },
    deleteAddress: async (dev, cidr) =>
      await kernel().deleteAddress(checkInterfaceName(dev), checkCidr(cidr)),
    async routes(family, table) {
      if (family !== 4 && family !== 6) throw invalid("address family", family);
      return await kernel().routes(
        family,
        table === undefined || table === "all" ? table : unsigned(table, "table"),
      );
    },
    addRoute: async (route) => await kernel().addRoute(checkRoute(route), false),
    replaceRoute: async (route) => await kernel().addRoute(checkRoute(route), true),
    deleteRoute: async (route) => await kernel().deleteRoute(checkRoute(route)),
    qdiscs: async (dev) =>
      await kernel().qdiscs(dev === undefined ? undefined : checkInterfaceName(dev)),
    addTbf: async (dev, spec) => await kernel().addTbf(checkInterfaceName(dev), checkTbf(spec)),
    deleteRootQdisc: async (dev) => await kernel().deleteRootQdisc(checkInterfaceName(dev)),
    sysctlGet: async (key) => await kernel().sysctlGet(checkSysctlKey(key)),
    sysctlSet: async (key, value) =>
      await kernel().sysctlSet(checkSysctlKey(key), checkSysctlValue(value)),
  };
}

export { configureInterface, type ConfigureOptions } from "./configure_interface.ts";
