/**
 * The ptp example (examples/ptp.ts) in this process, through the dispatcher and the test harness
 * (lib/testing.ts). A small fake kernel answers `ip` in the plugin's namespace and, through
 * `nsenter --net=<CNI_NETNS>`, in the container's; `sysctl` and the IPAM plugin (`host-local` in
 * /opt/cni/bin) are fakes too. No root and no process.
 *
 * Every case asserts the exit status, stdout, stderr and every program the plugin ran (argv,
 * environment, stdin), in order, against the reviewed expectations in tests/testdata/ptp/runs.json,
 * where each run is one line (see {@link record}): "ip ..." on the host, "[netns] ip ..." through
 * nsenter in CNI_NETNS, "sysctl ...", and the IPAM plugin with its whole environment. The random
 * host veth names read "<veth-1>", "<veth-2>" in the order they appear; "<stdin>" is the plugin's
 * own stdin.
 *
 * The last test runs the bundle (dist/deno-ptp.js) as a real process against a stand-in IPAM
 * plugin, with the permissions plugins.json bakes in. The end-to-end tests (tests/e2e/ptp_test.ts)
 * run the plugin against real namespaces.
 */
import assert from "node:assert/strict";
import { ptpPlugin } from "../examples/ptp.ts";
import { result } from "../lib/mod.ts";
import type { Result100 } from "../lib/mod.ts";
import { convertResult, formatResult, type RunOutput } from "../lib/protocol.ts";
import {
  atVersion,
  type FakeProgram,
  invoke,
  type InvokeOutcome,
  type ProgramCall,
  readFixture,
} from "../lib/testing.ts";
import { ALL_VERSIONS, versionHasCheck, versionHasGcAndStatus } from "../lib/version.ts";
import type { JsonObject } from "../lib/_decode.ts";
import { runPlugin } from "./_process.ts";

/** CNI_NETNS of every case (the harness's default). */
const NETNS = "/var/run/netns/ctr-test";

/** The environment the namespace toolkit gives `ip`, `nsenter` and `sysctl`: nothing else. */
const SYSTEM_ENV = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" };

// ---------------------------------------------------------------------------------------------
// A fake kernel: links, addresses, routes and sysctls of two namespaces, changed and read by a
// fake `ip` that understands what the namespace toolkit runs, with iproute2's messages.

type Side = "host" | "container";

interface FakeLink {
  name: string;
  index: number;
  mac: string;
  kind: string;
  up: boolean;
  mtu: number;
  /** The other end of a veth pair. */
  peer?: { side: Side; name: string };
}

interface FakeAddress {
  dev: string;
  local: string;
  prefixlen: number;
  family: 4 | 6;
}

interface FakeRoute {
  family: 4 | 6;
  /** As `ip -j` prints it: "default", a bare address for a host route, else a CIDR. */
  dst: string;
  gateway?: string;
  dev: string;
  /** undefined for the main table. */
  table?: string;
  scope?: string;
  prefsrc?: string;
  metric?: number;
  metrics?: Record<string, number>;
}

interface FakeNamespace {
  links: Map<string, FakeLink>;
  addresses: FakeAddress[];
  routes: FakeRoute[];
}

interface FakeKernel {
  host: FakeNamespace;
  container: FakeNamespace;
  /** The container namespace's path; nsenter opens nothing else. */
  netnsPath: string;
  /** True once the container namespace is gone. */
  netnsGone: boolean;
  sysctl: Map<string, string>;
  /** Numbers the next MAC address and interface index. */
  counter: number;
}

function newNamespace(): FakeNamespace {
  return { links: new Map([["lo", loopback()]]), addresses: [], routes: [] };
}

function loopback(): FakeLink {
  return { name: "lo", index: 1, mac: "00:00:00:00:00:00", kind: "", up: true, mtu: 65536 };
}

function newKernel(): FakeKernel {
  return {
    host: newNamespace(),
    container: newNamespace(),
    netnsPath: NETNS,
    netnsGone: false,
    sysctl: new Map([["net.ipv4.ip_forward", "0"], ["net.ipv6.conf.all.forwarding", "0"]]),
    counter: 0,
  };
}

/** Adds a link that is not a veth pair, e.g. a dummy, to one side. */
function addLink(kernel: FakeKernel, side: Side, name: string, kind: string): FakeLink {
  kernel.counter++;
  const link: FakeLink = {
    name,
    index: kernel.counter + 1,
    mac: `0a:00:00:00:00:${kernel.counter.toString(16).padStart(2, "0")}`,
    kind,
    up: false,
    mtu: 1500,
  };
  kernel[side].links.set(name, link);
  return link;
}

const ok = (stdout = ""): Partial<RunOutput> => ({ code: 0, stdout });
const fail = (code: number, stderr: string): Partial<RunOutput> => ({ code, stderr });
const noDevice = (name: string) => fail(1, `Cannot find device "${name}"\n`);
const fileExists = () => fail(2, "RTNETLINK answers: File exists\n");

function familyOf(address: string): 4 | 6 {
  return address.includes(":") ? 6 : 4;
}

/** A route destination as `ip -j` prints it. */
function shownDst(dst: string): string {
  if (dst === "0.0.0.0/0" || dst === "::/0" || dst === "default") return "default";
  return dst.endsWith("/32") || dst.endsWith("/128") ? dst.slice(0, dst.lastIndexOf("/")) : dst;
}

/** Reads `word value` pairs after the fixed words of a command. */
function pairs(words: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === "noprefixroute" || word === "nodad") map.set(word, "");
    else map.set(word, words[++i] ?? "");
  }
  return map;
}

function deleteLink(kernel: FakeKernel, side: Side, name: string): void {
  const link = kernel[side].links.get(name);
  if (link === undefined) return;
  const gone: [Side, string][] = [[side, name]];
  if (link.peer !== undefined) gone.push([link.peer.side, link.peer.name]);
  for (const [where, dev] of gone) {
    const ns = kernel[where];
    ns.links.delete(dev);
    ns.addresses = ns.addresses.filter((a) => a.dev !== dev);
    ns.routes = ns.routes.filter((r) => r.dev !== dev);
  }
}

function linkJson(link: FakeLink): JsonObject {
  return {
    ifindex: link.index,
    ifname: link.name,
    flags: link.up ? ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"] : ["BROADCAST", "MULTICAST"],
    mtu: link.mtu,
    address: link.mac,
    ...(link.kind === "" ? {} : { linkinfo: { info_kind: link.kind } }),
  };
}

function addressJson(link: FakeLink, addresses: readonly FakeAddress[]): JsonObject {
  return {
    ifindex: link.index,
    ifname: link.name,
    addr_info: addresses.filter((a) => a.dev === link.name).map((a) => ({
      family: a.family === 4 ? "inet" : "inet6",
      local: a.local,
      prefixlen: a.prefixlen,
      scope: "global",
    })),
  };
}

function routeJson(route: FakeRoute): JsonObject {
  const { family: _family, ...shown } = route;
  return { ...shown, flags: [] };
}

/** The fake `ip` in one namespace: argv in, iproute2's output and messages out. */
function fakeIp(kernel: FakeKernel, side: Side, args: readonly string[]): Partial<RunOutput> {
  const ns = kernel[side];
  const words = [...args];
  let family: 4 | 6 | undefined;
  while (words[0]?.startsWith("-")) {
    const option = words.shift()!;
    if (option === "-4") family = 4;
    if (option === "-6") family = 6;
  }
  const command = words.slice(0, 2).join(" ");
  const rest = words.slice(2);
  switch (command) {
    case "link show": {
      const name = rest[1]!;
      const link = ns.links.get(name);
      return link === undefined
        ? fail(1, `Device "${name}" does not exist.\n`)
        : ok(JSON.stringify([linkJson(link)]) + "\n");
    }
    case "link add": {
      // link add NAME [mtu M] type veth peer name PEER [mtu M] [netns PATH]
      const name = rest[0]!;
      const peerAt = rest.indexOf("peer");
      const own = pairs(rest.slice(1, peerAt));
      const peer = pairs(rest.slice(peerAt + 1));
      const peerName = peer.get("name")!;
      const peerSide: Side = peer.get("netns") === undefined ? side : "container";
      if (peer.has("netns") && (peer.get("netns") !== kernel.netnsPath || kernel.netnsGone)) {
        return fail(2, "Error: Peer netns reference is invalid.\n");
      }
      if (own.get("type") !== "veth") return fail(2, "fake ip: only veth pairs\n");
      if (ns.links.has(name) || kernel[peerSide].links.has(peerName)) return fileExists();
      const mtu = Number(own.get("mtu") ?? 1500);
      const here = addLink(kernel, side, name, "veth");
      const there = addLink(kernel, peerSide, peerName, "veth");
      here.mtu = mtu;
      there.mtu = Number(peer.get("mtu") ?? 1500);
      here.peer = { side: peerSide, name: peerName };
      there.peer = { side, name };
      return ok();
    }
    case "link set": {
      const link = ns.links.get(rest[1]!);
      if (link === undefined) return noDevice(rest[1]!);
      link.up = rest[2] === "up";
      return ok();
    }
    case "link del": {
      if (!ns.links.has(rest[1]!)) return noDevice(rest[1]!);
      deleteLink(kernel, side, rest[1]!);
      return ok();
    }
    case "addr add": {
      // addr add CIDR dev NAME [noprefixroute] [nodad]
      const options = pairs(rest.slice(1));
      const dev = options.get("dev")!;
      if (!ns.links.has(dev)) return noDevice(dev);
      const [local, prefix] = rest[0]!.split("/");
      const address = { dev, local: local!, prefixlen: Number(prefix), family: familyOf(local!) };
      if (ns.addresses.some((a) => a.dev === dev && a.local === address.local)) {
        return fail(2, "Error: ipv4: Address already assigned.\n");
      }
      ns.addresses.push(address);
      return ok();
    }
    case "addr show": {
      const links = rest[0] === "dev" ? [ns.links.get(rest[1]!)] : [...ns.links.values()];
      if (links[0] === undefined) return fail(1, `Device "${rest[1]}" does not exist.\n`);
      return ok(JSON.stringify(links.map((link) => addressJson(link!, ns.addresses))) + "\n");
    }
    case "route add": {
      // route add DST [via GW] dev NAME [src S] [scope S] [table T] [metric M] [mtu M] [advmss A]
      const dst = rest[0]!;
      const options = pairs(rest.slice(1));
      const dev = options.get("dev")!;
      if (!ns.links.has(dev)) return noDevice(dev);
      const table = options.get("table");
      const metric = options.get("metric");
      const route: FakeRoute = {
        family: familyOf(dst === "default" ? options.get("via") ?? "" : dst),
        dst: shownDst(dst),
        ...(options.has("via") ? { gateway: options.get("via")! } : {}),
        dev,
        ...(table === undefined || table === "254" ? {} : { table }),
        ...(options.has("scope") ? { scope: options.get("scope")! } : {}),
        ...(options.has("src") ? { prefsrc: options.get("src")! } : {}),
        ...(metric === undefined ? {} : { metric: Number(metric) }),
      };
      const metrics = {
        ...(options.has("mtu") ? { mtu: Number(options.get("mtu")) } : {}),
        ...(options.has("advmss") ? { advmss: Number(options.get("advmss")) } : {}),
      };
      if (Object.keys(metrics).length > 0) route.metrics = metrics;
      const clash = ns.routes.some((r) =>
        r.family === route.family && r.dst === route.dst && r.table === route.table &&
        r.metric === route.metric
      );
      if (clash) return fileExists();
      ns.routes.push(route);
      return ok();
    }
    case "route show": {
      const table = rest[0] === "table" ? rest[1] : undefined;
      const listed = ns.routes.filter((r) =>
        r.family === family &&
        (table === "all" || (table === undefined ? r.table === undefined : r.table === table))
      );
      return ok(JSON.stringify(listed.map(routeJson)) + "\n");
    }
  }
  return fail(1, `fake ip: unexpected command ${JSON.stringify(args)}\n`);
}

function fakeSysctl(kernel: FakeKernel, args: readonly string[]): Partial<RunOutput> {
  if (args[0] === "-n" && args.length === 2) {
    const value = kernel.sysctl.get(args[1]!);
    return value === undefined
      ? fail(255, `sysctl: cannot stat /proc/sys/${args[1]!.replaceAll(".", "/")}: No such file\n`)
      : ok(`${value}\n`);
  }
  if (args[0] === "-q" && args[1] === "-w" && args.length === 3) {
    const [key, value] = args[2]!.split("=");
    kernel.sysctl.set(key!, value!);
    return ok();
  }
  return fail(1, `fake sysctl: unexpected arguments ${JSON.stringify(args)}\n`);
}

/** Lets a case make one program fail: return an outcome to use instead of the fake kernel's. */
type Intercept = (side: Side, args: readonly string[]) => Partial<RunOutput> | undefined;

/** `ip`, `nsenter` and `sysctl` on the fake kernel. */
function systemPrograms(kernel: FakeKernel, intercept?: Intercept): Record<string, FakeProgram> {
  const ip = (side: Side, args: readonly string[]) =>
    intercept?.(side, args) ?? fakeIp(kernel, side, args);
  return {
    ip: (call) => ip("host", call.args),
    sysctl: (call) =>
      intercept?.("host", ["sysctl", ...call.args]) ?? fakeSysctl(kernel, call.args),
    nsenter(call) {
      const [net, separator, program, ...args] = call.args;
      if (separator !== "--" || program !== "/usr/sbin/ip") {
        return fail(1, `fake nsenter: unexpected arguments ${JSON.stringify(call.args)}\n`);
      }
      const path = net?.replace(/^--net=/, "");
      if (path !== kernel.netnsPath || kernel.netnsGone) {
        return fail(1, `nsenter: cannot open ${path}: No such file or directory\n`);
      }
      return ip("container", args);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The IPAM plugin and the configuration

/** What the fake host-local hands out by default: one IPv4 address, a default route, DNS. */
const IPAM_DEFAULT: Result100 = result({
  ips: [{ address: "10.1.2.5/24", gateway: "10.1.2.1" }],
  routes: [{ dst: "0.0.0.0/0" }],
  dns: { nameservers: ["10.1.2.53"] },
});

/** A result as an IPAM plugin prints it for a configuration of `version`. */
function printedIn(answer: Result100, version: string): string {
  return formatResult(convertResult(answer, version));
}

/** The configuration's cniVersion, as the fake IPAM plugin reads its stdin. */
function versionOf(stdin: string): string {
  const parsed = JSON.parse(stdin) as { cniVersion?: string };
  return parsed.cniVersion || "0.1.0";
}

type IpamAnswers = Partial<Record<string, (call: ProgramCall) => string | Partial<RunOutput>>>;

/** The fake host-local: ADD hands out `answer` in the configuration's version; others succeed. */
function fakeIpam(answer: Result100, answers: IpamAnswers = {}): FakeProgram {
  return (call) => {
    const verb = call.env.CNI_COMMAND ?? "";
    const custom = answers[verb];
    if (custom !== undefined) return custom(call);
    return verb === "ADD" ? printedIn(answer, versionOf(call.stdin)) : "";
  };
}

/** A ptp configuration at `version`; `extra` keys set to undefined are left out. */
function conf(version = "1.1.0", extra: Record<string, unknown> = {}): JsonObject {
  return JSON.parse(JSON.stringify({
    cniVersion: version,
    name: "ptpnet",
    type: "deno-ptp",
    ipam: { type: "host-local", subnet: "10.1.2.0/24" },
    ...extra,
  }));
}

// ---------------------------------------------------------------------------------------------
// Cases

/** One invocation of the plugin in a fake world. */
interface Case {
  /** Its key in runs.json. */
  id: string;
  /** The step's name. */
  name: string;
  /** CNI_COMMAND; default ADD. */
  command?: string;
  /** The spec versions to run it in; default 1.1.0 only. */
  versions?: readonly string[];
  /** Environment changes ("" unsets). */
  env?: Record<string, string>;
  /** The configuration for a version; default `conf(version)`. */
  config?: (version: string, kernel: FakeKernel) => JsonObject | string | Promise<JsonObject>;
  /** What the IPAM plugin's ADD hands out; default {@link IPAM_DEFAULT}. */
  ipam?: Result100;
  /** Other answers of the IPAM plugin, by verb. */
  ipamAnswers?: IpamAnswers;
  /** No IPAM plugin in CNI_PATH. */
  noIpam?: boolean;
  /** Changes the fake kernel before the run. */
  setUp?: (kernel: FakeKernel) => void;
  /** Makes programs fail. */
  intercept?: Intercept;
  /** Makes stdout fail, so the answer is lost. */
  stdout?: "closed";
  /** Asserts the kernel after the run. */
  after?: (kernel: FakeKernel, outcome: InvokeOutcome) => void;
}

/** A case's reviewed outcome. */
interface Expected {
  code: number;
  /** stdout as data, null when empty; for cases run in several versions, see stdoutByVersion. */
  stdout?: unknown;
  stdoutByVersion?: Record<string, unknown>;
  stderr: string;
  runs: string[];
}

/** Runs ADD on the fake kernel and returns the printed result, as a runtime caches it. */
async function attach(kernel: FakeKernel, version: string, ipam = IPAM_DEFAULT) {
  const added = await invoke(ptpPlugin, {
    config: conf(version),
    programs: { ...systemPrograms(kernel), "host-local": fakeIpam(ipam) },
  });
  assert.equal(added.code, 0, added.stdout);
  return added.json as JsonObject;
}

/** A CHECK configuration: the ADD result as prevResult, then `change` applied to the kernel. */
function checkAfter(
  change: (kernel: FakeKernel) => void = () => {},
  edit: (prevResult: JsonObject) => void = () => {},
  ipam = IPAM_DEFAULT,
) {
  return async (version: string, kernel: FakeKernel) => {
    const prevResult = await attach(kernel, version, ipam);
    change(kernel);
    edit(prevResult);
    return conf(version, { prevResult });
  };
}

/** The host veth of the fake kernel (the first veth on the host side). */
function hostVeth(kernel: FakeKernel): FakeLink {
  const link = [...kernel.host.links.values()].find((l) => l.kind === "veth");
  assert.ok(link, "no host veth");
  return link;
}

function dropRoute(ns: FakeNamespace, dst: string): void {
  const before = ns.routes.length;
  ns.routes = ns.routes.filter((r) => r.dst !== dst);
  assert.equal(ns.routes.length, before - 1, `no route to ${dst} to remove`);
}

/** The first interface of a printed result, which is the host veth. */
function renameHostInterface(name: string) {
  return (prevResult: JsonObject) => {
    const interfaces = prevResult.interfaces as JsonObject[];
    interfaces[0]!.name = name;
  };
}

const CHECK_VERSIONS = ALL_VERSIONS.filter(versionHasCheck);
const NO_ATTACHMENT = { CNI_CONTAINERID: "", CNI_NETNS: "", CNI_IFNAME: "" };

/** An IPv6 address, a dual-stack pair, and a /32 with its own gateway. */
const IPAM_IPV6 = result({
  ips: [{ address: "2001:db8:1::5/64", gateway: "2001:db8:1::1" }],
  routes: [{ dst: "::/0" }],
});
const IPAM_MULTI = result({
  ips: [
    { address: "10.1.2.5/24", gateway: "10.1.2.1" },
    { address: "2001:db8:1::5/64", gateway: "2001:db8:1::1" },
    { address: "10.3.0.7/32", gateway: "10.3.0.1" },
  ],
  routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }],
});
const IPAM_ROUTE_EXTRAS = result({
  ips: [{ address: "10.1.2.5/24", gateway: "10.1.2.1" }],
  routes: [
    { dst: "10.50.0.0/16", gw: "10.1.2.254", mtu: 1300, advmss: 1260, priority: 10, table: 100 },
    { dst: "10.60.0.0/16", scope: 0 },
    { dst: "0.0.0.0/0", priority: 100 },
  ],
});

/** Host interface names that must never reach a program: CHECK refuses them with code 7. */
const UNSAFE_HOST_NAMES = ["lo\nlink del eth0", "lo\n", "x y", "a\tb", "eth0/1", "a:b", ""];

const CASES: Case[] = [
  // ADD
  {
    id: "ADD",
    name: "ADD creates the veth pair, configures both ends and prints the result",
    versions: ALL_VERSIONS,
    after(kernel) {
      const veth = hostVeth(kernel);
      assert.match(veth.name, /^veth[0-9a-f]{8}$/);
      assert.deepEqual(veth.peer, { side: "container", name: "eth0" });
      assert.equal(kernel.sysctl.get("net.ipv4.ip_forward"), "1");
      assert.equal(kernel.sysctl.get("net.ipv6.conf.all.forwarding"), "0");
    },
  },
  {
    id: "ADD forwarding on",
    name: "ADD leaves ip_forward alone when it is on already",
    setUp: (kernel) => void kernel.sysctl.set("net.ipv4.ip_forward", "1"),
  },
  {
    id: "ADD mtu",
    name: "ADD gives both ends the configured mtu and reports it",
    config: (v) => conf(v, { mtu: 1400 }),
    after: (kernel) => assert.equal(hostVeth(kernel).mtu, 1400),
  },
  {
    id: "ADD mtu 0",
    name: "ADD with mtu 0 leaves the kernel's default",
    config: (v) => conf(v, { mtu: 0 }),
  },
  {
    id: "ADD dns",
    name: "ADD prints the configured dns instead of the IPAM plugin's",
    versions: ["0.4.0", "1.1.0"],
    config: (v) => conf(v, { dns: { nameservers: ["192.0.2.53"], search: ["example.test"] } }),
  },
  {
    id: "ADD empty dns",
    name: "ADD with an empty dns prints the IPAM plugin's",
    config: (v) => conf(v, { dns: {} }),
  },
  {
    id: "ADD IPv6",
    name: "ADD with an IPv6 address: nodad on both ends, IPv6 forwarding",
    ipam: IPAM_IPV6,
    after(kernel) {
      assert.equal(kernel.sysctl.get("net.ipv6.conf.all.forwarding"), "1");
      assert.equal(kernel.sysctl.get("net.ipv4.ip_forward"), "0");
    },
  },
  {
    id: "ADD multiple IPs",
    name: "ADD with IPv4, IPv6 and a /32: one gateway address each, a host route each",
    versions: ["0.3.1", "1.1.0"],
    ipam: IPAM_MULTI,
  },
  {
    id: "ADD route extras",
    name: "ADD applies the IPAM routes' mtu, advmss, priority (metric), table and scope",
    ipam: IPAM_ROUTE_EXTRAS,
  },
  {
    id: "ADD host veth name taken",
    name: "ADD tries another host veth name when the random one is taken",
    intercept(side, args) {
      if (side !== "host" || args.join(" ").indexOf("link add") !== 0 || refused.size > 0) {
        return undefined;
      }
      refused.add(args[2]!);
      return fileExists();
    },
    after: (kernel) => assert.ok(!kernel.host.links.has([...refused][0]!)),
  },
  {
    id: "ADD ifname with quotes",
    name: "ADD hands a CNI_IFNAME with ', # and \" to every program as one argument",
    env: { CNI_IFNAME: `e'#"0` },
    after(kernel) {
      assert.deepEqual(kernel.container.addresses, [
        { dev: `e'#"0`, local: "10.1.2.5", prefixlen: 24, family: 4 },
      ]);
    },
  },
  {
    id: "ADD ifname with newline",
    name: "ADD refuses a CNI_IFNAME with a newline before anything runs",
    env: { CNI_IFNAME: "e\nx" },
  },
  {
    id: "ADD ipMasq",
    name: "ADD refuses ipMasq with code 2 before anything runs",
    config: (v) => conf(v, { ipMasq: true }),
  },
  {
    id: "ADD mtu too small",
    name: "ADD refuses an mtu below 68 with code 7 before anything runs",
    config: (v) => conf(v, { mtu: 67 }),
  },
  {
    id: "ADD mtu too large",
    name: "ADD refuses an mtu above 65535 with code 7 before anything runs",
    config: (v) => conf(v, { mtu: 65536 }),
  },
  {
    id: "ADD no ipam",
    name: "ADD without ipam fails before anything runs",
    config: (v) => conf(v, { ipam: undefined }),
  },
  {
    id: "ADD ipam type is a path",
    name: "ADD refuses an ipam type with a path separator",
    config: (v) => conf(v, { ipam: { type: "../../bin/sh" } }),
  },
  {
    id: "ADD ipam fails",
    name: "ADD passes the IPAM plugin's error through and runs nothing else",
    ipamAnswers: { ADD: () => ({ code: 1, stdout: '{"code":11,"msg":"no free addresses"}' }) },
  },
  {
    id: "ADD ipam no IPs",
    name: "ADD releases the reservation when the IPAM result has no IP",
    ipam: result({}),
  },
  {
    id: "ADD ipam no gateway",
    name: "ADD releases the reservation when an address has no gateway",
    ipam: result({ ips: [{ address: "10.1.2.5/24" }] }),
  },
  {
    id: "ADD sysctl fails",
    name: "ADD releases the reservation when forwarding cannot be switched on",
    intercept: (_side, args) =>
      args[0] === "sysctl" && args[1] === "-q"
        ? fail(255, 'sysctl: permission denied on key "net.ipv4.ip_forward"\n')
        : undefined,
  },
  {
    id: "ADD ifname taken",
    name: "ADD fails when CNI_IFNAME exists in the container and releases the reservation",
    setUp: (kernel) => void addLink(kernel, "container", "eth0", "dummy"),
    after: (kernel) => assert.equal(kernel.container.links.get("eth0")?.kind, "dummy"),
  },
  {
    id: "ADD netns missing",
    name: "ADD fails when CNI_NETNS does not open and releases the reservation",
    setUp: (kernel) => void (kernel.netnsGone = true),
  },
  {
    id: "ADD link add fails",
    name: "ADD releases the reservation when the veth pair cannot be created",
    intercept: (side, args) =>
      side === "host" && args[0] === "link" && args[1] === "add"
        ? fail(2, "RTNETLINK answers: Operation not permitted\n")
        : undefined,
  },
  {
    id: "ADD container addr add fails",
    name: "ADD deletes the host veth, then releases the reservation, when the container fails",
    intercept: (side, args) =>
      side === "container" && args[0] === "addr" && args[1] === "add"
        ? fail(2, "RTNETLINK answers: Permission denied\n")
        : undefined,
    after: (kernel) => assertNoVeth(kernel),
  },
  {
    id: "ADD host route held",
    name: "ADD never takes over a host route another link holds: it fails naming it and undoes",
    setUp(kernel) {
      addLink(kernel, "host", "veth0000beef", "veth");
      kernel.host.routes.push({ family: 4, dst: "10.1.2.5", dev: "veth0000beef", scope: "link" });
    },
    after(kernel) {
      assert.deepEqual([...kernel.host.links.keys()], ["lo", "veth0000beef"]);
      assert.deepEqual(kernel.host.routes, [
        { family: 4, dst: "10.1.2.5", dev: "veth0000beef", scope: "link" },
      ]);
      assert.deepEqual([...kernel.container.links.keys()], ["lo"]);
    },
  },
  {
    id: "ADD undo fails too",
    name: "ADD reports its own error when releasing the reservation fails as well",
    intercept: (side, args) =>
      side === "container" && args[0] === "addr" && args[1] === "add"
        ? fail(2, "RTNETLINK answers: Permission denied\n")
        : undefined,
    ipamAnswers: { DEL: () => ({ code: 1, stdout: '{"code":11,"msg":"store locked"}' }) },
    after: (kernel) => assertNoVeth(kernel),
  },
  {
    id: "ADD answer lost",
    name: "ADD whose answer cannot be written undoes everything and exits 1",
    stdout: "closed",
    after: (kernel) => assertNoVeth(kernel),
  },
  // DEL
  {
    id: "DEL",
    name: "DEL releases the address and deletes the container's link",
    command: "DEL",
    versions: ALL_VERSIONS,
    setUp: (kernel) => attachByHand(kernel),
    after: (kernel) => assertNoVeth(kernel),
  },
  {
    id: "DEL ifname with quotes",
    name: "DEL deletes a CNI_IFNAME with ', # and \" named as one argument",
    command: "DEL",
    env: { CNI_IFNAME: `e'#"0` },
  },
  {
    id: "DEL link gone",
    name: "DEL succeeds when the link is already gone",
    command: "DEL",
  },
  {
    id: "DEL netns gone",
    name: "DEL succeeds when the namespace is already gone",
    command: "DEL",
    setUp: (kernel) => void (kernel.netnsGone = true),
  },
  {
    id: "DEL no netns",
    name: "DEL without CNI_NETNS only releases the address",
    command: "DEL",
    env: { CNI_NETNS: "" },
  },
  {
    id: "DEL ipam fails",
    name: "DEL passes the IPAM plugin's error through and leaves the link",
    command: "DEL",
    setUp: (kernel) => attachByHand(kernel),
    ipamAnswers: { DEL: () => ({ code: 1, stdout: '{"code":11,"msg":"store locked"}' }) },
    after: (kernel) => assert.ok(kernel.container.links.has("eth0")),
  },
  {
    id: "DEL link del fails",
    name: "DEL fails when the link exists and cannot be deleted",
    command: "DEL",
    setUp: (kernel) => attachByHand(kernel),
    intercept: (side, args) =>
      side === "container" && args[1] === "del"
        ? fail(2, "RTNETLINK answers: Operation not permitted\n")
        : undefined,
  },
  {
    id: "DEL ipMasq",
    name: "DEL of a configuration with ipMasq still releases (ADD refused it, DEL must not fail)",
    command: "DEL",
    config: (v) => conf(v, { ipMasq: true }),
  },
  // CHECK
  {
    id: "CHECK",
    name: "CHECK passes when links, addresses and routes are as ADD left them",
    command: "CHECK",
    versions: CHECK_VERSIONS,
    config: checkAfter(),
  },
  {
    id: "CHECK before 0.4.0",
    name: "CHECK under a configuration older than 0.4.0 is refused before anything runs",
    command: "CHECK",
    versions: ALL_VERSIONS.filter((v) => !versionHasCheck(v)),
  },
  {
    id: "CHECK multiple IPs",
    name: "CHECK passes for IPv4, IPv6 and a /32",
    command: "CHECK",
    config: checkAfter(undefined, undefined, IPAM_MULTI),
  },
  {
    id: "CHECK route extras",
    name: "CHECK passes for IPAM routes in another table",
    command: "CHECK",
    config: checkAfter(undefined, undefined, IPAM_ROUTE_EXTRAS),
  },
  {
    id: "CHECK no prevResult",
    name: "CHECK without prevResult fails after the IPAM plugin's CHECK",
    command: "CHECK",
  },
  {
    id: "CHECK ipam fails",
    name: "CHECK passes the IPAM plugin's error through and looks no further",
    command: "CHECK",
    config: checkAfter(),
    ipamAnswers: { CHECK: () => ({ code: 1, stdout: '{"code":11,"msg":"no reservation"}' }) },
  },
  {
    id: "CHECK other netns",
    name: "CHECK fails when the result's sandbox is another namespace",
    command: "CHECK",
    config: checkAfter(undefined, (prev) => {
      (prev.interfaces as JsonObject[])[1]!.sandbox = "/var/run/netns/other";
    }),
  },
  {
    id: "CHECK link missing",
    name: "CHECK fails when the container's link is gone",
    command: "CHECK",
    config: checkAfter((kernel) => deleteLink(kernel, "container", "eth0")),
  },
  {
    id: "CHECK wrong kind",
    name: "CHECK fails when the container's link is not a veth",
    command: "CHECK",
    config: checkAfter((kernel) => void (kernel.container.links.get("eth0")!.kind = "dummy")),
  },
  {
    id: "CHECK MAC mismatch",
    name: "CHECK fails when the container's MAC is not the result's",
    command: "CHECK",
    config: checkAfter((kernel) =>
      void (kernel.container.links.get("eth0")!.mac = "0a:00:00:00:00:99")
    ),
  },
  {
    id: "CHECK MAC case",
    name: "CHECK compares MAC addresses without regard to case",
    command: "CHECK",
    config: checkAfter(undefined, (prev) => {
      const container = (prev.interfaces as JsonObject[])[1]!;
      container.mac = String(container.mac).toUpperCase();
    }),
  },
  {
    id: "CHECK address missing",
    name: "CHECK fails when the container's address is gone",
    command: "CHECK",
    config: checkAfter((kernel) => void (kernel.container.addresses = [])),
  },
  {
    id: "CHECK subnet route missing",
    name: "CHECK fails when the route to the subnet via the gateway is gone",
    command: "CHECK",
    config: checkAfter((kernel) => dropRoute(kernel.container, "10.1.2.0/24")),
  },
  {
    id: "CHECK ipam route missing",
    name: "CHECK fails when a route of the IPAM result is gone",
    command: "CHECK",
    config: checkAfter((kernel) => dropRoute(kernel.container, "default")),
  },
  {
    id: "CHECK host veth missing",
    name: "CHECK fails when the host veth is gone",
    command: "CHECK",
    config: checkAfter((kernel) => {
      const veth = hostVeth(kernel);
      delete veth.peer;
      kernel.host.links.delete(veth.name);
      kernel.host.routes = [];
    }),
  },
  {
    id: "CHECK host route missing",
    name: "CHECK fails when the host route to the container is gone",
    command: "CHECK",
    config: checkAfter((kernel) => dropRoute(kernel.host, "10.1.2.5")),
  },
  {
    id: "CHECK host route elsewhere",
    name: "CHECK fails when the host route to the container points at another link",
    command: "CHECK",
    config: checkAfter((kernel) => {
      addLink(kernel, "host", "veth0000beef", "veth");
      kernel.host.routes = kernel.host.routes.map((r) =>
        r.dst === "10.1.2.5" ? { ...r, dev: "veth0000beef" } : r
      );
    }),
  },
  ...UNSAFE_HOST_NAMES.map((name, i): Case => ({
    id: `CHECK unsafe host name ${i + 1}`,
    name: `CHECK refuses the host interface name ${JSON.stringify(name)} with code 7`,
    command: "CHECK",
    config: checkAfter(undefined, renameHostInterface(name)),
    after: (_kernel, outcome) => assertNameNeverRan(outcome, name),
  })),
  ...["a;b", "$(id)"].map((name, i): Case => ({
    id: `CHECK shell word host name ${i + 1}`,
    name: `CHECK hands the host interface name ${JSON.stringify(name)} to ip as one argument`,
    command: "CHECK",
    config: checkAfter(undefined, renameHostInterface(name)),
  })),
  // GC, STATUS, VERSION
  {
    id: "GC",
    name: "GC runs the IPAM plugin's GC with the same stdin, valid attachments included",
    command: "GC",
    env: NO_ATTACHMENT,
    config: (v) =>
      conf(v, {
        "cni.dev/valid-attachments": [{ containerID: "ctr-a", ifname: "eth0" }, {
          containerID: "ctr-b",
          ifname: "net1",
        }],
      }),
  },
  {
    id: "GC ipam fails",
    name: "GC passes the IPAM plugin's error through",
    command: "GC",
    env: NO_ATTACHMENT,
    config: (v) => conf(v, { "cni.dev/valid-attachments": [] }),
    ipamAnswers: { GC: () => ({ code: 1, stdout: '{"code":5,"msg":"cannot read store"}' }) },
  },
  {
    id: "GC before 1.1.0",
    name: "GC under a configuration older than 1.1.0 is refused before anything runs",
    command: "GC",
    env: NO_ATTACHMENT,
    versions: ALL_VERSIONS.filter((v) => !versionHasGcAndStatus(v)),
  },
  {
    id: "STATUS",
    name: "STATUS asks the IPAM plugin and succeeds with it",
    command: "STATUS",
    env: NO_ATTACHMENT,
  },
  {
    id: "STATUS ipam 51",
    name: "STATUS passes the IPAM plugin's code 51 through",
    command: "STATUS",
    env: NO_ATTACHMENT,
    ipamAnswers: {
      STATUS: () => ({
        code: 1,
        stdout: '{"code":51,"msg":"address pool nearly exhausted","details":"2 left"}',
      }),
    },
  },
  {
    id: "STATUS ipam missing",
    name: "STATUS is code 50 when the IPAM plugin is not in CNI_PATH",
    command: "STATUS",
    env: NO_ATTACHMENT,
    noIpam: true,
  },
  {
    id: "STATUS before 1.1.0",
    name: "STATUS under a configuration older than 1.1.0 is refused before anything runs",
    command: "STATUS",
    env: NO_ATTACHMENT,
    versions: ALL_VERSIONS.filter((v) => !versionHasGcAndStatus(v)),
  },
  {
    id: "STATUS no ipam",
    name: "STATUS is code 50 when no IPAM plugin is configured",
    command: "STATUS",
    env: NO_ATTACHMENT,
    config: (v) => conf(v, { ipam: undefined }),
  },
  {
    id: "VERSION",
    name: "VERSION lists every spec version",
    command: "VERSION",
    env: { ...NO_ATTACHMENT, CNI_PATH: "" },
    config: () => "",
  },
];

/** The host veth name "ADD host veth name taken" refused; cleared before each run. */
const refused = new Set<string>();

/** The state ADD leaves, made without the plugin: for DEL. */
function attachByHand(kernel: FakeKernel): void {
  const words = `link add veth01020304 type veth peer name eth0 netns ${NETNS}`.split(" ");
  assert.deepEqual(fakeIp(kernel, "host", words), ok());
  kernel.container.addresses.push({ dev: "eth0", local: "10.1.2.5", prefixlen: 24, family: 4 });
  kernel.host.routes.push({ family: 4, dst: "10.1.2.5", dev: "veth01020304", scope: "link" });
}

function assertNoVeth(kernel: FakeKernel): void {
  assert.deepEqual([...kernel.host.links.keys()], ["lo"], "host links");
  assert.deepEqual([...kernel.container.links.keys()], ["lo"], "container links");
  assert.deepEqual(kernel.host.routes, [], "host routes");
  assert.deepEqual(kernel.host.addresses, [], "host addresses");
}

function assertNameNeverRan(outcome: InvokeOutcome, name: string): void {
  for (const run of outcome.runs) {
    if (run.program.endsWith("/host-local")) continue;
    assert.ok(!run.args.includes(name), `ran ${run.program} with ${JSON.stringify(name)}`);
    assert.ok(
      name === "" || !run.args.some((arg) => arg.includes(name)) && !run.stdin.includes(name),
      `ran ${run.program} with ${JSON.stringify(name)} inside an argument or stdin`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Running a case and reading its outcome as runs.json writes it

/**
 * Replaces the random host veth names with "<veth-1>", "<veth-2>" in order of appearance; the
 * fixed names the cases' set-ups give other links stay.
 */
function vethNames(): (text: string) => string {
  const names = new Map<string, string>();
  return (text) =>
    text.replace(/veth[0-9a-f]{8}/g, (name) => {
      if (name === "veth0000beef" || name === "veth01020304") return name;
      if (!names.has(name)) names.set(name, `<veth-${names.size + 1}>`);
      return names.get(name)!;
    });
}

/** A word as runs.json writes it: as it is when that is unambiguous, else JSON-quoted. */
function word(text: string): string {
  return /^[A-Za-z0-9_./:=@,+-]+$/.test(text) ? text : JSON.stringify(text);
}

/**
 * One program run as one line of runs.json: its environment as `NAME=value` words unless it is
 * exactly {@link SYSTEM_ENV}, the program ("ip" and "sysctl" for /usr/sbin/ip and
 * /usr/sbin/sysctl; "[netns] ip" for /usr/sbin/ip through `/usr/sbin/nsenter --net=<CNI_NETNS>
 * --`; any other program by its path), its arguments, and `< stdin` unless stdin is empty.
 * Every word that could be misread is JSON-quoted, so two different runs never read the same.
 */
function record(call: ProgramCall, stdin: string, rename: (text: string) => string): string {
  const words: string[] = [];
  if (JSON.stringify(call.env) !== JSON.stringify(SYSTEM_ENV)) {
    for (const [name, value] of Object.entries(call.env)) words.push(`${name}=${word(value)}`);
  }
  const argv = [call.program, ...call.args];
  const entered = argv.slice(0, 4).join(" ") === `/usr/sbin/nsenter --net=${NETNS} -- /usr/sbin/ip`;
  if (entered) words.push("[netns]", "ip", ...argv.slice(4).map(word));
  else if (call.program === "/usr/sbin/ip") words.push("ip", ...call.args.map(word));
  else if (call.program === "/usr/sbin/sysctl") words.push("sysctl", ...call.args.map(word));
  else words.push(...argv.map(word));
  if (call.stdin !== "") words.push("<", call.stdin === stdin ? "<stdin>" : word(call.stdin));
  return rename(words.join(" "));
}

/** Runs a case in one version; returns its outcome in runs.json's form. */
async function runCase(c: Case, version: string) {
  const kernel = newKernel();
  refused.clear();
  c.setUp?.(kernel);
  const config = c.config === undefined ? conf(version) : await c.config(version, kernel);
  const stdin = typeof config === "string" ? config : JSON.stringify(config);
  const outcome = await invoke(ptpPlugin, {
    command: c.command ?? "ADD",
    env: c.env ?? {},
    config,
    programs: {
      ...systemPrograms(kernel, c.intercept),
      ...(c.noIpam ? {} : { "host-local": fakeIpam(c.ipam ?? IPAM_DEFAULT, c.ipamAnswers) }),
    },
    ...(c.stdout && { stdout: c.stdout }),
  });
  c.after?.(kernel, outcome);
  const rename = vethNames();
  const runs = outcome.runs.map((call) => record(call, stdin, rename));
  return {
    code: outcome.code,
    stdout: outcome.json === undefined ? null : JSON.parse(rename(JSON.stringify(outcome.json))),
    stderr: rename(outcome.stderr),
    runs,
  };
}

const EXPECTED = readFixture<Record<string, Expected>>(
  new URL("testdata/ptp/runs.json", import.meta.url),
);

Deno.test("ptp cases and their reviewed expectations name the same ids", () => {
  const ids = CASES.map((c) => c.id);
  assert.equal(new Set(ids).size, ids.length, "case ids must be unique");
  assert.deepEqual([...ids].sort(), Object.keys(EXPECTED).sort());
});

Deno.test("ptp in-process with a fake kernel, IPAM plugin and sysctl", async (t) => {
  for (const c of CASES) {
    await t.step(c.name, async (t) => {
      const expected = EXPECTED[c.id];
      assert.ok(expected, `no expectation for ${JSON.stringify(c.id)} in runs.json`);
      for (const version of c.versions ?? ["1.1.0"]) {
        await t.step(`cniVersion ${version}`, async () => {
          const actual = await runCase(c, version);
          const stdout = expected.stdoutByVersion?.[version] ?? expected.stdout;
          assert.deepEqual(actual, {
            code: expected.code,
            stdout,
            stderr: expected.stderr,
            runs: expected.runs,
          });
        });
      }
    });
  }
});

Deno.test("ptp ADD never shadows a host route another link holds at another metric", async (t) => {
  // A route to the container's address through another link, whatever its metric, belongs to
  // another attachment: a new route of a better metric would take its traffic (IPv4), one of a
  // worse metric would never get any (IPv6's default metric is 1024).
  const rows = [
    { family: 4 as const, dst: "10.1.2.5", address: "10.1.2.5/32", ipam: IPAM_DEFAULT },
    { family: 6 as const, dst: "2001:db8:1::5", address: "2001:db8:1::5/128", ipam: IPAM_IPV6 },
  ];
  for (const row of rows) {
    await t.step(`IPv${row.family}: a route to ${row.address} at metric 100`, async () => {
      const kernel = newKernel();
      addLink(kernel, "host", "veth0000beef", "veth");
      const held: FakeRoute = {
        family: row.family,
        dst: row.dst,
        dev: "veth0000beef",
        metric: 100,
      };
      kernel.host.routes.push(held);
      const added = await invoke(ptpPlugin, {
        config: conf(),
        programs: { ...systemPrograms(kernel), "host-local": fakeIpam(row.ipam) },
      });
      assert.equal(added.code, 1, added.stdout);
      assert.match(
        added.error?.msg ?? "",
        new RegExp(`^the host route to ${row.address} .*"veth0000beef"`),
      );
      assert.deepEqual(kernel.host.routes, [held]);
      assert.deepEqual([...kernel.host.links.keys()], ["lo", "veth0000beef"]);
      assert.deepEqual([...kernel.container.links.keys()], ["lo"]);
      const last = added.runs.at(-1);
      assert.deepEqual([last?.program, last?.env.CNI_COMMAND], ["/opt/cni/bin/host-local", "DEL"]);
    });
  }
});

Deno.test("ptp CHECK with an unsafe host interface name runs no program with it", async (t) => {
  // The same refusal for a prevResult in every version that has CHECK, whatever the name's place.
  for (const version of CHECK_VERSIONS) {
    await t.step(`cniVersion ${version}`, async () => {
      const kernel = newKernel();
      const prevResult = await attach(kernel, version);
      const name = "dummy0\nlink add injected0 type dummy";
      renameHostInterface(name)(prevResult);
      const checked = await invoke(ptpPlugin, {
        command: "CHECK",
        config: atVersion(conf(version, { prevResult }), version),
        programs: { ...systemPrograms(kernel), "host-local": fakeIpam(IPAM_DEFAULT) },
      });
      assert.equal(checked.error?.code, 7, checked.stdout);
      assertNameNeverRan(checked, name);
      assert.ok(!kernel.host.links.has("injected0"));
    });
  }
});

Deno.test("ptp as a real process forwards to a real IPAM plugin with its baked-in permissions", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "dcni-ptp-" });
  try {
    // A stand-in IPAM plugin: records its verb, environment and stdin, then answers as
    // $dir/answer-<verb> says (exit status on the first line, stdout after it), or succeeds.
    await Deno.writeTextFile(
      `${dir}/fake-ipam`,
      `#!/bin/sh
PATH=/usr/sbin:/usr/bin:/sbin:/bin
cat > "${dir}/stdin-$CNI_COMMAND"
env > "${dir}/env-$CNI_COMMAND"
if [ -f "${dir}/answer-$CNI_COMMAND" ]; then
  sed 1d "${dir}/answer-$CNI_COMMAND"
  exit "$(head -n 1 "${dir}/answer-$CNI_COMMAND")"
fi
`,
      { mode: 0o755 },
    );
    const env = { CNI_PATH: `/nonexistent:${dir}` };
    const stdin = JSON.stringify(conf("1.1.0", {
      ipam: { type: "fake-ipam" },
      "cni.dev/valid-attachments": [{ containerID: "c9", ifname: "eth1" }],
    }));

    await t.step("GC runs the IPAM plugin with CNI_COMMAND=GC and the same stdin", async () => {
      const run = await runPlugin("deno-ptp", { env: { ...env, CNI_COMMAND: "GC" }, stdin });
      assert.deepEqual([run.code, run.stdout, run.stderr], [0, "", ""]);
      assert.equal(await Deno.readTextFile(`${dir}/stdin-GC`), stdin);
      const seen = await Deno.readTextFile(`${dir}/env-GC`);
      assert.match(seen, /^CNI_COMMAND=GC$/m);
      assert.match(seen, new RegExp(`^CNI_PATH=/nonexistent:${dir}$`, "m"));
    });

    await t.step("STATUS succeeds when the IPAM plugin does", async () => {
      const run = await runPlugin("deno-ptp", { env: { ...env, CNI_COMMAND: "STATUS" }, stdin });
      assert.deepEqual([run.code, run.stdout, run.stderr], [0, "", ""]);
    });

    await t.step("STATUS passes the IPAM plugin's code 50 through unchanged", async () => {
      await Deno.writeTextFile(`${dir}/answer-STATUS`, '1\n{"code":50,"msg":"pool offline"}\n');
      const run = await runPlugin("deno-ptp", { env: { ...env, CNI_COMMAND: "STATUS" }, stdin });
      assert.equal(run.code, 1);
      assert.deepEqual(run.json, { code: 50, msg: "pool offline" });
    });

    await t.step("DEL without CNI_NETNS only runs the IPAM plugin's DEL", async () => {
      const run = await runPlugin("deno-ptp", {
        env: { ...env, CNI_COMMAND: "DEL", CNI_CONTAINERID: "c9", CNI_IFNAME: "eth1" },
        stdin,
      });
      assert.deepEqual([run.code, run.stdout, run.stderr], [0, "", ""]);
      assert.match(await Deno.readTextFile(`${dir}/env-DEL`), /^CNI_CONTAINERID=c9$/m);
    });

    await t.step(
      "ADD refuses an ipam type that is a path, so nothing else can be run",
      async () => {
        const type = `../${dir.split("/").pop()}/fake-ipam`;
        const run = await runPlugin("deno-ptp", {
          env: {
            ...env,
            CNI_COMMAND: "ADD",
            CNI_CONTAINERID: "c9",
            CNI_NETNS: "/x",
            CNI_IFNAME: "eth1",
          },
          stdin: JSON.stringify(conf("1.1.0", { ipam: { type } })),
        });
        assert.equal(run.code, 1);
        assert.deepEqual(run.json, { code: 999, msg: `invalid plugin name: ${type}` });
        await assert.rejects(Deno.stat(`${dir}/env-ADD`), Deno.errors.NotFound);
      },
    );

    await t.step("ADD with ipMasq is refused with code 2 before the IPAM plugin runs", async () => {
      const run = await runPlugin("deno-ptp", {
        env: {
          ...env,
          CNI_COMMAND: "ADD",
          CNI_CONTAINERID: "c9",
          CNI_NETNS: "/x",
          CNI_IFNAME: "eth1",
        },
        stdin: JSON.stringify(conf("1.1.0", { ipam: { type: "fake-ipam" }, ipMasq: true })),
      });
      assert.equal(run.code, 1);
      assert.equal((run.json as { code?: number }).code, 2);
      await assert.rejects(Deno.stat(`${dir}/env-ADD`), Deno.errors.NotFound);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
