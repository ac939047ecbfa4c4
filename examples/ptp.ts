/**
 * The deno-ptp plugin: a point-to-point link between the host and a container, like the
 * reference `ptp`. A veth pair is created with one end in CNI_NETNS, named CNI_IFNAME; the
 * addresses come from the IPAM plugin named by `ipam.type`.
 *
 * In the container every address gets a link route to its gateway and a route to its subnet
 * through that gateway (so all traffic, even to the subnet, goes through the host), plus the IPAM
 * result's routes. On the host the veth carries each gateway as a /32 (/128) address and a route
 * to each container address. The result lists the host interface (index 0) and the container
 * interface (index 1, which every IP names).
 *
 * A host route is never replaced: when another link already routes a container address (two
 * networks handing out the same address), ADD fails and releases what it took.
 *
 * Configuration: `ipam` (required), `mtu` (optional: the kernel's default when absent or 0),
 * `dns` (optional; replaces the IPAM plugin's DNS). `ipMasq: true` is refused with code 2: this
 * example sets up no masquerading.
 *
 * @module
 */
import {
  CniError,
  configError,
  definePlugin,
  ErrorCode,
  type IpConfig100,
  type PluginContext,
  result,
  type Result100,
  runPlugin,
} from "../lib/mod.ts";
import { formatCidr, formatIp, isIpv4, networkOf, parseCidr, parseIp } from "../lib/ip_math.ts";
import {
  CommandError,
  configureInterface,
  KernelError,
  type KernelRoute,
  NamespaceMissingError,
  type Netns,
  type RouteSpec,
} from "../lib/netns.ts";

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

function planAddress(ip: IpConfig100): AddressPlan {
  const cidr = parseCidr(ip.address);
  if (cidr === undefined) throw new Error(`IPAM plugin returned an invalid address: ${ip.address}`);
  const hostBits = isIpv4(cidr.address) ? 32 : 128;
  const gateway = ip.gateway === undefined ? undefined : parseIp(ip.gateway);
  if (gateway === undefined || isIpv4(gateway) !== (hostBits === 32)) {
    throw new Error(`IPAM plugin returned no gateway of the same family for ${ip.address}`);
  }
  return {
    address: ip.address,
    ip: formatIp(cidr.address),
    gateway: formatIp(gateway),
    subnet: formatCidr(networkOf(cidr)),
    hostBits,
  };
}

type PtpContext = PluginContext<{ ipamType: string; mtu: number | undefined }>;

/**
 * Readies the toolkits' backends while the IPAM plugin runs, so that the work after it starts at
 * once. A toolkit that cannot be made is left to the operation that needs it to report.
 */
function prepare(...toolkits: (() => Netns)[]): void {
  for (const toolkit of toolkits) {
    try {
      void toolkit().prepare();
    } catch {
      // The first operation on it reports the problem.
    }
  }
}

/** Switches on forwarding for the address families in use, as the reference does. */
async function enableForwarding(onHost: Netns, plans: readonly AddressPlan[]): Promise<void> {
  const keys = [
    ...(plans.some((p) => p.hostBits === 32) ? ["net.ipv4.ip_forward"] : []),
    ...(plans.some((p) => p.hostBits === 128) ? ["net.ipv6.conf.all.forwarding"] : []),
  ];
  try {
    for (const key of keys) {
      if ((await onHost.sysctlGet(key)) !== "1") await onHost.sysctlSet(key, "1");
    }
  } catch (error) {
    throw new Error(`could not enable IP forwarding: ${(error as Error).message}`);
  }
}

/** A host-side name: "veth" and 8 random hex digits. */
function randomVethName(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  return `veth${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Creates the veth pair, the peer directly in CNI_NETNS as CNI_IFNAME; returns the host name. */
async function createVeth(context: PtpContext): Promise<string> {
  const { onHost, ifName, netns, conf } = context;
  if (await context.inContainer.link(ifName) !== undefined) {
    throw new Error(`container veth name "${ifName}" already exists`);
  }
  for (let attempt = 0;; attempt++) {
    const name = randomVethName();
    try {
      await onHost.createVeth({
        name,
        peerName: ifName,
        peerNetns: netns,
        ...(conf.mtu === undefined ? {} : { mtu: conf.mtu }),
      });
      // Deleting the host end removes the container end and every route through them.
      context.onFailure(() => onHost.deleteLink(name));
      return name;
    } catch (error) {
      // A random host name that is taken: try another one, as the reference does.
      const taken = error instanceof KernelError && error.errno === "EEXIST";
      // A command that timed out may still have made the pair: remove it if the verb fails.
      if (error instanceof CommandError && error.output.timedOut) {
        context.onFailure(() => onHost.deleteLink(name));
      }
      if (!taken || attempt >= 4) throw error;
    }
  }
}

/**
 * The container's routes of ptp's own: like the reference, each gateway is reached on the link,
 * and each address's subnet through its gateway, so all traffic goes through the host.
 */
function gatewayRoutes(ifName: string, plans: readonly AddressPlan[]): RouteSpec[] {
  const routes: RouteSpec[] = [];
  const gateways = new Set<string>();
  for (const plan of plans) {
    if (!gateways.has(plan.gateway)) {
      routes.push({
        dst: `${plan.gateway}/${plan.hostBits}`,
        dev: ifName,
        scope: "link",
        src: plan.ip,
      });
    }
    gateways.add(plan.gateway);
    if (!plan.address.endsWith(`/${plan.hostBits}`)) {
      routes.push({ dst: plan.subnet, via: plan.gateway, dev: ifName, src: plan.ip });
    }
  }
  return routes;
}

/** The host route to one container address; never taken from another link. */
async function addHostRoute(onHost: Netns, hostVeth: string, plan: AddressPlan): Promise<void> {
  const dst = `${plan.ip}/${plan.hostBits}`;
  const family = plan.hostBits === 32 ? 4 : 6;
  const taken = async () =>
    (await onHost.routes(family)).find((route) => route.dst === dst && route.dev !== hostVeth);
  // Any metric counts: a route at another metric would shadow ours, or ours would shadow it.
  let holder = await taken();
  if (holder === undefined) {
    try {
      await onHost.addRoute({ dst, dev: hostVeth, scope: "link" });
      return;
    } catch (error) {
      if (!(error instanceof KernelError && error.errno === "EEXIST")) throw error;
      holder = await taken();
    }
  }
  throw new CniError(
    ErrorCode.internal,
    `the host route to ${dst} already points at ${JSON.stringify(holder?.dev ?? "another link")}`,
    "another attachment holds this address; ptp never takes over a host route",
  );
}

/** Addresses and routes of the host's end. */
async function configureHost(onHost: Netns, hostVeth: string, plans: readonly AddressPlan[]) {
  await onHost.setLinkUp(hostVeth);
  const gateways = new Set<string>();
  for (const plan of plans) {
    if (gateways.has(plan.gateway)) continue;
    gateways.add(plan.gateway);
    await onHost.addAddress(hostVeth, `${plan.gateway}/${plan.hostBits}`, { noDad: true });
  }
  for (const plan of plans) await addHostRoute(onHost, hostVeth, plan);
}

async function add(context: PtpContext): Promise<Result100> {
  const { conf, onHost, ifName, netns } = context;
  // Refused on ADD only: DEL, CHECK and GC of such a configuration must still clean up.
  if (conf.ipMasq) {
    throw new CniError(
      ErrorCode.unsupportedField,
      'unsupported field "ipMasq": true',
      "this ptp sets up no IP masquerading",
    );
  }
  const ipamAdd = context.delegate.add(conf.ipamType);
  prepare(() => context.inContainer, () => onHost);
  const ipam = await ipamAdd;
  const ips = ipam.ips ?? [];
  if (ips.length === 0) throw new Error("IPAM plugin returned missing IP config");
  const plans = ips.map(planAddress);
  const routes = ipam.routes ?? [];
  await enableForwarding(onHost, plans);
  const hostVeth = await createVeth(context);
  // The addresses without the kernel's subnet routes, which ptp replaces by routes via gateway.
  await configureInterface(
    context.inContainer,
    ifName,
    {
      cniVersion: context.configVersion,
      interfaces: [{ name: hostVeth }, { name: ifName, sandbox: netns }],
      ips: ips.map((ip) => ({ ...ip, interface: 1 })),
      routes,
    },
    { noPrefixRoute: true, noDad: true, extraRoutes: gatewayRoutes(ifName, plans) },
  );
  await configureHost(onHost, hostVeth, plans);
  const mtu = conf.mtu === undefined ? {} : { mtu: conf.mtu };
  const hostMac = (await onHost.link(hostVeth))?.mac;
  const containerMac = (await context.inContainer.link(ifName))?.mac;
  const dns = conf.dns && Object.keys(conf.dns).length > 0 ? conf.dns : ipam.dns;
  return result({
    interfaces: [
      { name: hostVeth, ...(hostMac && { mac: hostMac }), ...mtu },
      { name: ifName, ...(containerMac && { mac: containerMac }), ...mtu, sandbox: netns },
    ],
    ips: ips.map((ip) => ({ ...ip, interface: 1 })),
    routes,
    ...(dns && { dns }),
  });
}

async function del(context: PtpContext): Promise<void> {
  const ipamDel = context.delegate.del(context.conf.ipamType);
  if (context.netns !== "") prepare(() => context.inContainer);
  await ipamDel;
  if (context.netns === "") return;
  // Deleting the container end removes the host end and its routes, and only those: a route
  // through another link is never touched. A namespace or link already gone is success.
  try {
    await context.inContainer.deleteLink(context.ifName);
  } catch (error) {
    if (!(error instanceof NamespaceMissingError)) throw error;
  }
}

function tableName(table: number | undefined): string {
  return table === undefined || table === 254 ? "main" : table === 255 ? "local" : String(table);
}

/** The container's end still as the previous result describes it. */
async function checkContainer(context: PtpContext, previous: Result100, index: number) {
  const { ifName } = context;
  const container = context.inContainer;
  const link = await container.link(ifName);
  if (link === undefined) {
    throw new Error(`ptp: Container Interface name in prevResult: ${ifName} not found`);
  }
  if (link.kind !== "veth") throw new Error(`Container interface ${ifName} not of type veth/p2p`);
  const mac = previous.interfaces?.[index]?.mac;
  if (mac && mac.toLowerCase() !== link.mac) {
    throw new Error(`ptp: Interface ${ifName} Mac ${mac} doesn't match container Mac: ${link.mac}`);
  }
  const present = new Set((await container.addresses(ifName)).map((a) => a.cidr));
  const routes: KernelRoute[] = [
    ...(await container.routes(4, "all")),
    ...(await container.routes(6, "all")),
  ];
  for (const ip of previous.ips ?? []) {
    if (ip.interface !== undefined && ip.interface !== index) continue;
    if (!present.has(ip.address)) {
      throw new Error(`Failed to match addr ${ip.address} on interface ${ifName}`);
    }
    const plan = planAddress(ip);
    const toSubnet = plan.address.endsWith(`/${plan.hostBits}`) ||
      routes.some((r) => r.dst === plan.subnet && r.gateway === plan.gateway && r.table === "main");
    if (!toSubnet) throw new Error(`Route for prefix ${plan.subnet} via ${plan.gateway} not found`);
  }
  for (const route of previous.routes ?? []) {
    const found = routes.some((r) =>
      r.dst === route.dst && r.table === tableName(route.table) &&
      (route.gw === undefined || r.gateway === route.gw)
    );
    if (!found) {
      throw new Error(`Route to ${route.dst}${route.gw ? ` via ${route.gw}` : ""} not found`);
    }
  }
}

/** The host's end: the veth of the previous result and a route to each container address. */
async function checkHost({ onHost }: PtpContext, previous: Result100, index: number) {
  const hostVeth = previous.interfaces?.find((iface) => iface.sandbox === undefined)?.name;
  if (hostVeth === undefined) return;
  const link = await onHost.link(hostVeth);
  if (link === undefined) throw new Error(`ptp: host interface ${hostVeth} not found`);
  if (link.kind !== "veth") throw new Error(`ptp: host interface ${hostVeth} not of type veth`);
  for (const ip of previous.ips ?? []) {
    if (ip.interface !== undefined && ip.interface !== index) continue;
    const plan = planAddress(ip);
    const dst = `${plan.ip}/${plan.hostBits}`;
    const routes = await onHost.routes(plan.hostBits === 32 ? 4 : 6);
    if (!routes.some((r) => r.dst === dst && r.dev === hostVeth)) {
      throw new Error(`ptp: host route to ${dst} via ${hostVeth} not found`);
    }
  }
}

async function check(context: PtpContext): Promise<void> {
  const ipamCheck = context.delegate.check(context.conf.ipamType);
  prepare(() => context.inContainer, () => context.onHost);
  await ipamCheck;
  const previous = context.prevResult;
  if (previous === undefined) throw new Error("ptp: Required prevResult missing");
  const index =
    previous.interfaces?.findIndex((iface) =>
      iface.name === context.ifName && iface.sandbox === context.netns
    ) ?? -1;
  if (index < 0) {
    const named = previous.interfaces?.find((iface) => iface.name === context.ifName);
    throw new Error(
      `Sandbox in prevResult ${named?.sandbox ?? ""} doesn't match configured netns: ` +
        context.netns,
    );
  }
  await checkContainer(context, previous, index);
  await checkHost(context, previous, index);
}

/** The deno-ptp plugin. */
export const ptpPlugin = definePlugin({
  name: "deno-ptp",
  // Namespace work in this process only (netlink): never `ip`, `nsenter` or `sysctl`.
  networking: "in-process",
  about: "CNI ptp plugin (deno-cni)",
  config(_raw, { read, conf }) {
    const mtu = read.integer("mtu", { min: 0, max: 65535 });
    if (mtu !== undefined && mtu !== 0 && mtu < 68) {
      throw configError("mtu", `must be 0 or an integer from 68 to 65535, got ${mtu}`);
    }
    return { ipamType: conf.ipam?.type ?? "", mtu: mtu || undefined };
  },
  add,
  del,
  check,
  // Nothing of ptp's own outlives a namespace (the veth pair and its routes go with it), so GC
  // is the IPAM plugin's: it gets the same stdin, valid attachments included.
  gc: (context) => context.delegate.gc(context.conf.ipamType),
  async status(context) {
    try {
      await context.delegate.status(context.conf.ipamType);
    } catch (error) {
      // The IPAM plugin's own answer passes unchanged; an IPAM plugin that is not configured or
      // not in CNI_PATH means ADD cannot be served either (spec: code 50).
      if (error instanceof CniError) throw error;
      throw new CniError(
        ErrorCode.pluginNotAvailable,
        "ptp: IPAM plugin not available",
        (error as Error).message,
      );
    }
  },
});

if (import.meta.main) await runPlugin(ptpPlugin);
