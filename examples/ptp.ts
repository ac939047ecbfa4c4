/**
 * The ptp plugin: a point-to-point link between the host and a container, like the reference
 * `ptp`. A veth pair is created with one end in CNI_NETNS, named CNI_IFNAME; the addresses come
 * from the IPAM plugin named by `ipam.type` (delegated, e.g. host-local).
 *
 * In the container every address gets a link route to its gateway and a route to its subnet
 * through that gateway (so all traffic, even to the subnet, goes through the host), plus the IPAM
 * result's routes. On the host the veth carries each gateway as a /32 (/128) address and a route
 * to each container address. The result lists the host interface (index 0) and the container
 * interface (index 1, which every IP names).
 *
 * Namespace work happens in child processes (`ip`, `nsenter --net=<CNI_NETNS> ip`, `sysctl`);
 * this process never changes its own namespace.
 *
 * Configuration: `ipam` (required), `mtu` (integer, optional: the kernel's default when absent or
 * 0), `dns` (optional; replaces the IPAM plugin's DNS when any member is set). `ipMasq: true` is
 * refused with code 2: this example sets up no masquerading.
 *
 * Permissions (plugins.json): `--allow-env` for the CNI_* variables, `--allow-run` without a list
 * (the IPAM plugin's path comes from CNI_PATH at run time, and Deno's allow-list holds exact
 * programs only), `--allow-read` without a list (to find the IPAM plugin in the CNI_PATH
 * directories).
 *
 * @module
 */
import {
  ALL_VERSIONS,
  CniError,
  configError,
  convertToCurrent,
  CURRENT_VERSION,
  DecodeError,
  decodeNetConf,
  delegateCheck,
  delegateDel,
  type DelegateExec,
  delegateGc,
  type DelegateRunOutput,
  delegateStatus,
  denoDelegateExec,
  type Dns,
  ErrorCode,
  field,
  formatCidr,
  formatIp,
  type Interface100,
  type Invocation,
  type IpCidr,
  isIpv4,
  optionalInteger,
  parseCidr,
  parseIp,
  parsePrevResult,
  type PluginHandlers,
  type Result100,
  type Route,
  runPlugin,
  withDelegatedAdd,
} from "../lib/mod.ts";

/** What the plugin needs from the outside world; tests pass fakes. */
export interface PtpDependencies {
  /** Runs `ip`, `nsenter`, `sysctl` and the IPAM plugin. */
  exec: DelegateExec;
  /** The time limit of each child process, in milliseconds. */
  timeoutMs: number;
  /** A fresh host-side interface name; the default is "veth" and 8 random hex digits. */
  hostVethName: () => string;
}

/** The decoded configuration. */
export interface PtpConf {
  cniVersion: string;
  name: string;
  /** `ipam.type`: the IPAM plugin to delegate to ("" when missing). */
  ipamType: string;
  /** The MTU of both ends; undefined leaves the kernel's default. */
  mtu?: number;
  ipMasq: boolean;
  dns?: Dns;
  rawPrevResult?: Record<string, unknown>;
}

/**
 * Decodes the configuration.
 *
 * @throws {Error} "failed to load netconf: ..." for a key of the wrong type
 * @throws {CniError} code 7 for an MTU out of range
 */
export function loadPtpConf(invocation: Invocation): PtpConf {
  let conf: PtpConf;
  try {
    const net = decodeNetConf(invocation.document);
    const mtu = optionalInteger(field(net.raw, "mtu"), { struct: "NetConf", path: "mtu" });
    conf = {
      cniVersion: net.cniVersion,
      name: net.name,
      ipamType: net.ipam?.type ?? "",
      ipMasq: net.ipMasq ?? false,
      ...(mtu ? { mtu } : {}),
      ...(net.dns && Object.keys(net.dns).length > 0 ? { dns: net.dns } : {}),
      ...(net.rawPrevResult ? { rawPrevResult: net.rawPrevResult } : {}),
    };
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    throw new Error(`failed to load netconf: ${error.message}`);
  }
  if (conf.mtu !== undefined && (conf.mtu < 68 || conf.mtu > 65535)) {
    throw configError("mtu", `must be an integer from 68 to 65535, got ${conf.mtu}`);
  }
  return conf;
}

/** One address of the IPAM result, with what ptp derives from it. */
interface AddressPlan {
  /** "10.1.2.5/24" */
  address: string;
  /** "10.1.2.5" */
  ip: string;
  /** "10.1.2.1" */
  gateway: string;
  /** "10.1.2.0/24" */
  subnet: string;
  /** 32 or 128: the host prefix length of this family. */
  hostBits: 32 | 128;
}

/** The network of a CIDR: its address with the host bits cleared. */
function subnetOf(cidr: IpCidr): string {
  const bytes = Uint8Array.from(cidr.address.bytes);
  const prefix = cidr.bits === 32 ? cidr.prefixLength + 96 : cidr.prefixLength;
  for (let bit = prefix; bit < 128; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return formatCidr({ ...cidr, address: { bytes } });
}

function planAddress(address: string, gateway: string | undefined): AddressPlan {
  const cidr = parseCidr(address);
  if (cidr === undefined) throw new Error(`IPAM plugin returned an invalid address: ${address}`);
  const hostBits = isIpv4(cidr.address) ? 32 : 128;
  const gw = gateway === undefined ? undefined : parseIp(gateway);
  if (gw === undefined || isIpv4(gw) !== (hostBits === 32)) {
    throw new Error(`IPAM plugin returned no gateway of the same family for ${address}`);
  }
  return {
    address,
    ip: formatIp(cidr.address),
    gateway: formatIp(gw),
    subnet: subnetOf(cidr),
    hostBits,
  };
}

/** Where the programs ptp runs are looked for when PATH does not find them. */
const SYSTEM_DIRS = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** The programs ptp runs. */
const PROGRAMS = ["ip", "nsenter", "sysctl"];

/** Runs one child process and fails with its stderr when it exits non-zero. */
class Commands {
  /** Where each program is, once PATH has failed to find one; undefined while PATH works. */
  #found: Map<string, string> | undefined;

  constructor(private readonly deps: PtpDependencies) {}

  async run(cmd: readonly string[], stdin = ""): Promise<DelegateRunOutput> {
    const [program, ...args] = this.#found ? this.#absolute(cmd) : cmd;
    const options = { env: {}, stdin, timeoutMs: this.deps.timeoutMs };
    try {
      return await this.deps.exec.run(program!, args, options);
    } catch (error) {
      // A runtime may start plugins without PATH: then use the usual system directories, also
      // for the `ip` that nsenter starts.
      if (!(error instanceof Error) || error.name !== "NotFound" || this.#found) throw error;
      this.#found = new Map();
      for (const name of PROGRAMS) {
        for (const dir of SYSTEM_DIRS) {
          if (!(await this.deps.exec.isFile(`${dir}/${name}`))) continue;
          this.#found.set(name, `${dir}/${name}`);
          break;
        }
      }
      return await this.run(cmd, stdin);
    }
  }

  /** `cmd` with its program, and the program nsenter runs, as absolute paths. */
  #absolute(cmd: readonly string[]): string[] {
    const found = (name: string) => {
      const path = this.#found?.get(name);
      if (path === undefined) {
        throw new Error(`cannot run "${name}": not found in PATH or ${SYSTEM_DIRS.join(", ")}`);
      }
      return path;
    };
    const words = [found(cmd[0]!), ...cmd.slice(1)];
    const inner = cmd[0] === "nsenter" ? words.indexOf("--") + 1 : 0;
    if (inner > 0) words[inner] = found(words[inner]!);
    return words;
  }

  async ok(what: string, cmd: readonly string[], stdin = ""): Promise<string> {
    const output = await this.run(cmd, stdin);
    if (output.code !== 0 || output.signal !== undefined) {
      const why = output.stderr.trim() ||
        (output.timedOut ? "timed out" : `exit status ${output.code}`);
      throw new Error(`${what}: ${why}`);
    }
    return output.stdout;
  }
}

/** `ip` in the plugin's namespace (the host's). */
function hostIp(...args: string[]): string[] {
  return ["ip", ...args];
}

/** `ip` in the container's namespace, through nsenter. */
function containerIp(netns: string, ...args: string[]): string[] {
  return ["nsenter", `--net=${netns}`, "--", "ip", ...args];
}

/** What nsenter says when CNI_NETNS does not exist. */
const NETNS_MISSING = /cannot open .*: No such file or directory/;

/** What ip says when a link does not exist. */
const LINK_MISSING = /Cannot find device|does not exist/;

/** The JSON documents `ip -j` prints, one per line (several with -batch). */
function parseIpJson(stdout: string): unknown[][] {
  return stdout.split("\n").filter((line) => line.trim() !== "").map((line) => {
    const parsed: unknown = JSON.parse(line);
    if (!Array.isArray(parsed)) throw new Error(`unexpected "ip -j" output: ${line}`);
    return parsed;
  });
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? value as Record<string, unknown> : {};
}

/** The MAC address in `ip -j link show` output. */
function macOf(document: unknown[] | undefined, name: string): string {
  const mac = record(document?.[0]).address;
  if (typeof mac !== "string") throw new Error(`cannot read the MAC address of "${name}"`);
  return mac;
}

/** Switches on forwarding for the address families in use, as the reference does. */
async function enableForwarding(commands: Commands, plans: readonly AddressPlan[]): Promise<void> {
  const keys = [
    ...(plans.some((p) => p.hostBits === 32) ? ["net.ipv4.ip_forward"] : []),
    ...(plans.some((p) => p.hostBits === 128) ? ["net.ipv6.conf.all.forwarding"] : []),
  ];
  try {
    const values = (await commands.ok("sysctl", ["sysctl", "-n", ...keys])).trim().split("\n");
    for (const [i, key] of keys.entries()) {
      if (values[i]?.trim() !== "1") {
        await commands.ok("sysctl", ["sysctl", "-q", "-w", `${key}=1`]);
      }
    }
  } catch (error) {
    throw new Error(`Could not enable IP forwarding: ${(error as Error).message}`);
  }
}

/** The `ip route` words of a route's spec 1.1.0 extras. */
function routeExtras(route: Route): string[] {
  const words: string[] = [];
  if (route.mtu) words.push("mtu", String(route.mtu));
  if (route.advmss) words.push("advmss", String(route.advmss));
  if (route.priority) words.push("metric", String(route.priority));
  if (route.table !== undefined) words.push("table", String(route.table));
  if (route.scope !== undefined) words.push("scope", String(route.scope));
  return words;
}

/** The `ip -batch` lines that configure the container's end. */
function containerBatch(
  ifName: string,
  plans: readonly AddressPlan[],
  routes: readonly Route[],
): string[] {
  const lines = [`link set dev ${ifName} up`];
  for (const plan of plans) {
    lines.push(
      `addr add ${plan.address} dev ${ifName} noprefixroute${
        plan.hostBits === 128 ? " nodad" : ""
      }`,
    );
  }
  const gatewayRoutes = new Set<string>();
  for (const plan of plans) {
    // Like the reference: the gateway is reached on the link, the subnet through the gateway.
    const toGateway = `route add ${plan.gateway}/${plan.hostBits} dev ${ifName} scope link`;
    if (!gatewayRoutes.has(plan.gateway)) lines.push(`${toGateway} src ${plan.ip}`);
    gatewayRoutes.add(plan.gateway);
    if (!plan.address.endsWith(`/${plan.hostBits}`)) {
      lines.push(`route add ${plan.subnet} via ${plan.gateway} dev ${ifName} src ${plan.ip}`);
    }
  }
  for (const route of routes) {
    const v4 = parseCidr(route.dst)?.bits === 32;
    const gw = route.gw ?? plans.find((p) => (p.hostBits === 32) === v4)?.gateway;
    if (gw === undefined) throw new Error(`no gateway for route ${route.dst}`);
    lines.push([`route add ${route.dst} via ${gw} dev ${ifName}`, ...routeExtras(route)].join(" "));
  }
  return [...lines, `link show dev ${ifName}`];
}

/** The `ip -batch` lines that configure the host's end. */
function hostBatch(hostVeth: string, plans: readonly AddressPlan[]): string[] {
  const lines = [`link set dev ${hostVeth} up`];
  const gateways = new Set<string>();
  for (const plan of plans) {
    if (gateways.has(plan.gateway)) continue;
    gateways.add(plan.gateway);
    const nodad = plan.hostBits === 128 ? " nodad" : "";
    lines.push(`addr add ${plan.gateway}/${plan.hostBits} dev ${hostVeth}${nodad}`);
  }
  for (const plan of plans) {
    lines.push(`route replace ${plan.ip}/${plan.hostBits} dev ${hostVeth} scope link`);
  }
  return [...lines, `link show dev ${hostVeth}`];
}

/** Fails unless CNI_NETNS opens and holds no link named CNI_IFNAME yet. */
async function checkContainerName(commands: Commands, netns: string, ifName: string) {
  const output = await commands.run(containerIp(netns, "link", "show", "dev", ifName));
  if (output.code === 0) throw new Error(`container veth name "${ifName}" already exists`);
  if (NETNS_MISSING.test(output.stderr)) {
    throw new Error(`failed to open netns "${netns}": ${output.stderr.trim()}`);
  }
  if (!LINK_MISSING.test(output.stderr)) {
    throw new Error(`failed to look up "${ifName}" in netns "${netns}": ${output.stderr.trim()}`);
  }
}

/** Creates the veth pair, the peer directly in CNI_NETNS as CNI_IFNAME; returns the host name. */
async function createVeth(
  commands: Commands,
  deps: PtpDependencies,
  args: { netns: string; ifName: string; mtu?: number },
): Promise<string> {
  const mtu = args.mtu === undefined ? [] : ["mtu", String(args.mtu)];
  for (let attempt = 0;; attempt++) {
    const hostVeth = deps.hostVethName();
    const output = await commands.run(hostIp(
      "link",
      "add",
      hostVeth,
      ...mtu,
      "type",
      "veth",
      "peer",
      "name",
      args.ifName,
      ...mtu,
      "netns",
      args.netns,
    ));
    if (output.code === 0) return hostVeth;
    // A random host name that is taken: try another one, as the reference does.
    if (/File exists/.test(output.stderr) && attempt < 4) continue;
    throw new Error(`failed to create veth pair: ${output.stderr.trim()}`);
  }
}

/** Configures both ends and returns the two interfaces of the result. */
async function attach(
  invocation: Invocation,
  conf: PtpConf,
  deps: PtpDependencies,
  ipamResult: Result100,
): Promise<Result100> {
  const ips = ipamResult.ips ?? [];
  if (ips.length === 0) throw new Error("IPAM plugin returned missing IP config");
  const plans = ips.map((ip) => planAddress(ip.address, ip.gateway));
  const routes = ipamResult.routes ?? [];
  const commands = new Commands(deps);
  const { netns, ifName } = invocation;

  await enableForwarding(commands, plans);
  await checkContainerName(commands, netns, ifName);
  const hostVeth = await createVeth(commands, deps, { netns, ifName, ...conf });
  let interfaces: Interface100[];
  try {
    const container = await commands.ok(
      `failed to configure "${ifName}" in netns "${netns}"`,
      containerIp(netns, "-j", "-batch", "-"),
      containerBatch(ifName, plans, routes).join("\n") + "\n",
    );
    const host = await commands.ok(
      `failed to configure "${hostVeth}" on the host`,
      hostIp("-j", "-batch", "-"),
      hostBatch(hostVeth, plans).join("\n") + "\n",
    );
    const mtu = conf.mtu === undefined ? {} : { mtu: conf.mtu };
    interfaces = [
      { name: hostVeth, mac: macOf(parseIpJson(host).at(-1), hostVeth), ...mtu },
      {
        name: ifName,
        mac: macOf(parseIpJson(container).at(-1), ifName),
        ...mtu,
        sandbox: netns,
      },
    ];
  } catch (error) {
    // Deleting the host end removes the container end and every route through them.
    await commands.run(hostIp("link", "del", "dev", hostVeth));
    throw error;
  }
  return {
    cniVersion: CURRENT_VERSION,
    interfaces,
    ips: ips.map((ip) => ({ ...ip, interface: 1 })),
    ...(routes.length ? { routes } : {}),
    ...(conf.dns ? { dns: conf.dns } : ipamResult.dns ? { dns: ipamResult.dns } : {}),
  };
}

/** One route as `ip -j route` prints it. */
interface KernelRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  table: string;
}

/** "default" and bare addresses as CIDRs, so they compare with result routes. */
function normalizeDst(dst: string, v4: boolean): string {
  if (dst === "default") return v4 ? "0.0.0.0/0" : "::/0";
  const cidr = parseCidr(dst.includes("/") ? dst : `${dst}/${dst.includes(":") ? 128 : 32}`);
  return cidr === undefined ? dst : formatCidr(cidr);
}

function kernelRoutes(document: unknown[] | undefined): KernelRoute[] {
  return (document ?? []).map((entry) => {
    const r = record(entry);
    const dst = typeof r.dst === "string" ? r.dst : "";
    const gateway = typeof r.gateway === "string" ? r.gateway : undefined;
    return {
      dst: normalizeDst(dst, !dst.includes(":") && !(gateway ?? "").includes(":")),
      ...(gateway === undefined ? {} : { gateway }),
      ...(typeof r.dev === "string" ? { dev: r.dev } : {}),
      table: r.table === undefined ? "main" : String(r.table),
    };
  });
}

function tableName(table: number | undefined): string {
  return table === undefined || table === 254 ? "main" : table === 255 ? "local" : String(table);
}

/** The container's end still as the previous result describes it. */
async function checkContainer(
  commands: Commands,
  invocation: Invocation,
  result: Result100,
  index: number,
): Promise<void> {
  const { netns, ifName } = invocation;
  // `addr show` carries the link's kind and MAC too. (In a batch, `addr show` after `link show`
  // prints no addresses, so the link is not listed on its own.)
  const output = await commands.run(
    containerIp(netns, "-d", "-j", "-batch", "-"),
    `addr show dev ${ifName}\nroute show table all\n`,
  );
  if (NETNS_MISSING.test(output.stderr)) {
    throw new Error(`failed to open netns "${netns}": ${output.stderr.trim()}`);
  }
  if (output.code !== 0) {
    throw new Error(`ptp: Container Interface name in prevResult: ${ifName} not found`);
  }
  const [links, routeList] = parseIpJson(output.stdout);
  const link = record(links?.[0]);
  if (record(link.linkinfo).info_kind !== "veth") {
    throw new Error(`Error: Container interface ${ifName} not of type veth/p2p`);
  }
  const expectedMac = result.interfaces?.[index]?.mac;
  if (expectedMac && expectedMac.toLowerCase() !== String(link.address).toLowerCase()) {
    throw new Error(
      `ptp: Interface ${ifName} Mac ${expectedMac} doesn't match container Mac: ${link.address}`,
    );
  }
  const addrInfo = Array.isArray(link.addr_info) ? link.addr_info : [];
  const present = new Set(
    addrInfo.map(record).map((a) => normalizeDst(`${a.local}/${a.prefixlen}`, a.family === "inet")),
  );
  const routes = kernelRoutes(routeList);
  for (const ip of result.ips ?? []) {
    if (ip.interface !== undefined && ip.interface !== index) continue;
    if (!present.has(ip.address)) {
      throw new Error(`Failed to match addr ${ip.address} on interface ${ifName}`);
    }
    const plan = planAddress(ip.address, ip.gateway);
    const toSubnet = plan.address.endsWith(`/${plan.hostBits}`) ||
      routes.some((r) => r.dst === plan.subnet && r.gateway === plan.gateway && r.table === "main");
    if (!toSubnet) throw new Error(`Route for prefix ${plan.subnet} via ${plan.gateway} not found`);
  }
  for (const route of result.routes ?? []) {
    const table = tableName(route.table);
    const found = routes.some((r) =>
      r.dst === route.dst && r.table === table &&
      (route.gw === undefined || r.gateway === route.gw)
    );
    if (!found) {
      throw new Error(`Route to ${route.dst}${route.gw ? ` via ${route.gw}` : ""} not found`);
    }
  }
}

/** The host's end: the veth of the previous result and a route to each container address. */
async function checkHost(commands: Commands, result: Result100, index: number): Promise<void> {
  const hostIndex = result.interfaces?.findIndex((iface) => iface.sandbox === undefined) ?? -1;
  const hostVeth = result.interfaces?.[hostIndex]?.name;
  if (hostVeth === undefined) return;
  const output = await commands.run(
    hostIp("-d", "-j", "-batch", "-"),
    `link show dev ${hostVeth}\nroute show table main\n`,
  );
  if (output.code !== 0) throw new Error(`ptp: host interface ${hostVeth} not found`);
  const [links, routeList] = parseIpJson(output.stdout);
  if (record(record(links?.[0]).linkinfo).info_kind !== "veth") {
    throw new Error(`ptp: host interface ${hostVeth} not of type veth`);
  }
  const routes = kernelRoutes(routeList);
  for (const ip of result.ips ?? []) {
    if (ip.interface !== undefined && ip.interface !== index) continue;
    const cidr = parseCidr(ip.address)!;
    const host = `${formatIp(cidr.address)}/${isIpv4(cidr.address) ? 32 : 128}`;
    if (!routes.some((r) => r.dst === host && r.dev === hostVeth)) {
      throw new Error(`ptp: host route to ${host} via ${hostVeth} not found`);
    }
  }
}

/** The plugin's handlers, with the outside world behind `dependencies`. */
export function ptpPlugin(dependencies: Partial<PtpDependencies> = {}): PluginHandlers {
  const deps: PtpDependencies = {
    exec: dependencies.exec ?? denoDelegateExec(),
    timeoutMs: dependencies.timeoutMs ?? 60_000,
    hostVethName: dependencies.hostVethName ?? randomVethName,
  };
  const delegation = (invocation: Invocation) => ({
    cniPath: invocation.path,
    exec: deps.exec,
    timeoutMs: deps.timeoutMs,
  });

  return {
    about: "CNI ptp plugin (deno-cni)",
    versions: ALL_VERSIONS,

    add(invocation) {
      const conf = loadPtpConf(invocation);
      if (conf.ipMasq) {
        throw new CniError(
          ErrorCode.unsupportedField,
          'unsupported field "ipMasq": true',
          "this ptp sets up no IP masquerading",
        );
      }
      return withDelegatedAdd(conf.ipamType, invocation.stdin, {
        ...delegation(invocation),
        use: (result) => attach(invocation, conf, deps, convertToCurrent(result)),
      });
    },

    async del(invocation) {
      const conf = loadPtpConf(invocation);
      await delegateDel(conf.ipamType, invocation.stdin, delegation(invocation));
      if (invocation.netns === "") return;
      // Deleting the container end removes the host end and its routes. A namespace or link that
      // is already gone is success: DEL may be repeated.
      const commands = new Commands(deps);
      const output = await commands.run(
        containerIp(invocation.netns, "link", "del", "dev", invocation.ifName),
      );
      if (output.code === 0) return;
      if (NETNS_MISSING.test(output.stderr) || LINK_MISSING.test(output.stderr)) return;
      throw new Error(
        `failed to delete "${invocation.ifName}" in netns "${invocation.netns}": ` +
          output.stderr.trim(),
      );
    },

    async check(invocation) {
      const conf = loadPtpConf(invocation);
      await delegateCheck(conf.ipamType, invocation.stdin, delegation(invocation));
      if (conf.rawPrevResult === undefined) throw new Error("ptp: Required prevResult missing");
      let result: Result100;
      try {
        result = convertToCurrent(parsePrevResult(conf.rawPrevResult, conf.cniVersion));
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
        throw new Error(error.message);
      }
      const index =
        result.interfaces?.findIndex((iface) =>
          iface.name === invocation.ifName && iface.sandbox === invocation.netns
        ) ?? -1;
      if (index < 0) {
        const named = result.interfaces?.find((iface) => iface.name === invocation.ifName);
        throw new Error(
          `Sandbox in prevResult ${named?.sandbox ?? ""} doesn't match configured netns: ` +
            invocation.netns,
        );
      }
      const commands = new Commands(deps);
      await checkContainer(commands, invocation, result, index);
      await checkHost(commands, result, index);
    },

    async gc(invocation) {
      // Nothing of ptp's own outlives a namespace (the veth pair and its routes go with it), so
      // GC is the IPAM plugin's: it gets the same stdin, valid attachments included.
      const conf = loadPtpConf(invocation);
      await delegateGc(conf.ipamType, invocation.stdin, delegation(invocation));
    },

    async status(invocation) {
      const conf = loadPtpConf(invocation);
      try {
        await delegateStatus(conf.ipamType, invocation.stdin, delegation(invocation));
      } catch (error) {
        // The IPAM plugin's own answer (or failure to run) passes unchanged; an IPAM plugin that
        // is not configured or not in CNI_PATH means ADD cannot be served either (spec: code 50).
        if (error instanceof CniError) throw error;
        throw new CniError(
          ErrorCode.pluginNotAvailable,
          "ptp: IPAM plugin not available",
          (error as Error).message,
        );
      }
    },
  };
}

function randomVethName(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  return `veth${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

if (import.meta.main) await runPlugin(ptpPlugin());
