/**
 * deno-ptp (examples/ptp.ts) in this process, through the dispatcher and the test harness
 * (lib/testing.ts), on the model kernel (`modelKernel()`): the host's namespace of the model gets
 * the host end of the veth pair, CNI_NETNS (a namespace of the model) the container end. The IPAM
 * plugin is a fake host-local in CNI_PATH that keeps its reservations, so a test sees what ADD
 * took and what was released. No root and no process.
 *
 * Each case asserts the answer (exit status, error code and message, result), the state both
 * namespaces are left in (links, addresses, routes, the forwarding switch), the IPAM plugin's calls
 * and, where nothing may change, the whole state as before and the kernel's log of changes
 * (`kernel.changes()`). Only the IPAM plugin ever runs as a program: the toolkit works on the model.
 *
 * ptp does its namespace work in its own process only (`networking: "in-process"`): without FFI it
 * refuses, naming the flag, and never falls back to `ip` and `nsenter`, so there is no run of it
 * on fake programs to test; one case checks the refusal. The toolkit's operations themselves are
 * compared across the backends and the real kernel by tests/netns_contract_test.ts.
 *
 * The last tests run the bundle (dist/deno-ptp/deno-ptp.js, made by `deno task bundle`) as a real
 * process with the permissions plugins.json bakes in, against a stand-in IPAM plugin that records
 * its runs. As root, ADD, CHECK and DEL wire a real pair between two throwaway namespaces (one of
 * them standing in for the host) under `strace`, which shows that no program but the IPAM plugin
 * runs; without root (as root: as nobody, without capabilities), ADD must fail with a clean error
 * and release its address. tests/e2e/ptp_test.ts runs the plugin under libcni with the reference
 * host-local.
 */
import assert from "node:assert/strict";
import { ptpPlugin } from "../examples/ptp.ts";
import { type JsonObject, result, type Result100 } from "../lib/mod.ts";
import { type Address, type KernelRoute, type Link, netns } from "../lib/netns.ts";
import { convertResult, denoHost, formatResult, type RunOutput } from "../lib/protocol.ts";
import {
  atVersion,
  DEFAULT_TEST_ENV,
  type FakeProgram,
  forEachVersion,
  invoke,
  type InvokeOptions,
  type InvokeOutcome,
  type ModelKernel,
  modelKernel,
  type ModelNamespace,
  type NamespaceSnapshot,
  type ProgramCall,
  skipReason,
  withNetns,
} from "../lib/testing.ts";
import {
  ALL_VERSIONS,
  versionHasChaining,
  versionHasCheck,
  versionHasGcAndStatus,
} from "../lib/version.ts";
import { assertWellBehaved, pluginArgs, runPlugin } from "./_process.ts";

/** CNI_NETNS of every case (the harness's default), a namespace of the model. */
const NETNS = DEFAULT_TEST_ENV.CNI_NETNS;

// ---------------------------------------------------------------------------------------------
// The IPAM plugin

/** What the fake host-local hands out by default: one IPv4 address, a default route, DNS. */
const IPAM_DEFAULT: Result100 = result({
  ips: [{ address: "10.1.2.5/24", gateway: "10.1.2.1" }],
  routes: [{ dst: "0.0.0.0/0" }],
  dns: { nameservers: ["10.1.2.53"] },
});

/** One IPv6 address. */
const IPAM_IPV6: Result100 = result({
  ips: [{ address: "2001:db8:1::5/64", gateway: "2001:db8:1::1" }],
  routes: [{ dst: "::/0" }],
});

/** IPv4, IPv6, and a /32 with a gateway of its own. */
const IPAM_MULTI: Result100 = result({
  ips: [
    { address: "10.1.2.5/24", gateway: "10.1.2.1" },
    { address: "2001:db8:1::5/64", gateway: "2001:db8:1::1" },
    { address: "10.3.0.7/32", gateway: "10.3.0.1" },
  ],
  routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }],
});

/** Routes with every setting a result route has: mtu, advmss, priority, table, scope. */
const IPAM_ROUTE_EXTRAS: Result100 = result({
  ips: [{ address: "10.1.2.5/24", gateway: "10.1.2.1" }],
  routes: [
    { dst: "10.50.0.0/16", gw: "10.1.2.1", mtu: 1300, advmss: 1260, priority: 10, table: 100 },
    { dst: "10.60.0.0/16", scope: 0 },
    { dst: "0.0.0.0/0", priority: 100 },
  ],
});

/** The configuration's cniVersion, as the fake IPAM plugin reads its stdin. */
function versionOf(stdin: string): string {
  const parsed = JSON.parse(stdin) as { cniVersion?: string };
  return parsed.cniVersion || "0.1.0";
}

/** Where the fake IPAM plugin is: in CNI_PATH, so a CNI_PATH without it finds none. */
const IPAM_PATH = `${DEFAULT_TEST_ENV.CNI_PATH}/host-local`;

/** A fake IPAM plugin that remembers what it handed out. */
interface Ipam {
  /** The program, found at {@link IPAM_PATH}. */
  program: FakeProgram;
  /** Every call: its CNI_COMMAND, in order. */
  readonly verbs: string[];
  /** Every call as it came. */
  readonly calls: ProgramCall[];
  /** The attachments ("<container id>/<ifname>") that hold an address. */
  readonly reserved: Set<string>;
}

/** Answers of the IPAM plugin that replace its own, by verb. */
type IpamAnswers = Partial<Record<string, () => string | Partial<RunOutput>>>;

/**
 * The fake host-local: ADD reserves an address for the attachment and prints `answer` in the
 * configuration's version, DEL releases it, every other verb succeeds. `answers` replace its
 * answer for a verb (then it reserves and releases nothing).
 */
function fakeIpam(answer: Result100 = IPAM_DEFAULT, answers: IpamAnswers = {}): Ipam {
  const verbs: string[] = [];
  const calls: ProgramCall[] = [];
  const reserved = new Set<string>();
  return {
    verbs,
    calls,
    reserved,
    program(call) {
      const verb = call.env.CNI_COMMAND ?? "";
      verbs.push(verb);
      calls.push(call);
      const custom = answers[verb];
      if (custom !== undefined) return custom();
      const attachment = `${call.env.CNI_CONTAINERID}/${call.env.CNI_IFNAME}`;
      if (verb === "DEL") reserved.delete(attachment);
      if (verb !== "ADD") return "";
      reserved.add(attachment);
      return formatResult(convertResult(answer, versionOf(call.stdin)));
    },
  };
}

/** A ptp configuration at `version`; keys of `extra` set to undefined are left out. */
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
// The model kernel

/** What ptp changes in a namespace, in short lines: links, addresses, routes. */
interface NetState {
  /** "<name> <kind> up|down mtu <mtu>", loopback left out. */
  links: string[];
  /** "<dev> <cidr>" and the flags ptp sets, link-local addresses left out. */
  addresses: string[];
  /**
   * Every route but the kernel's own (the local table, IPv6 link-local and multicast), as `ip
   * route` would print it, in the kernel's order.
   */
  routes: string[];
}

/** The kernel's own IPv6 addresses and routes of every link. */
const LINK_LOCAL = /^(fe80:|ff00:)/;

/** A namespace's links, addresses and routes (both families, every table) as short lines. */
function netStateOf(links: Link[], addresses: Address[], routes: KernelRoute[]): NetState {
  return {
    links: links.filter((link) => link.name !== "lo")
      .map((link) => `${link.name} ${link.kind} ${link.up ? "up" : "down"} mtu ${link.mtu}`),
    addresses: addresses.filter((a) => a.dev !== "lo" && !LINK_LOCAL.test(a.cidr))
      .map((a) =>
        [
          a.dev,
          a.cidr,
          ...(a.noPrefixRoute ? ["noprefixroute"] : []),
          ...(a.noDad ? ["nodad"] : []),
          ...(a.tentative ? ["tentative"] : []),
        ].join(" ")
      ),
    routes: routes.filter((r) => r.table !== "local" && !LINK_LOCAL.test(r.dst))
      .map((r) =>
        [
          r.dst,
          ...(r.gateway === undefined ? [] : ["via", r.gateway]),
          "dev",
          r.dev,
          ...(r.scope === undefined || r.scope === "global" ? [] : ["scope", r.scope]),
          ...(r.prefsrc === undefined ? [] : ["src", r.prefsrc]),
          ...(r.table === "main" ? [] : ["table", r.table]),
          ...(r.metric === undefined ? [] : ["metric", String(r.metric)]),
          ...(r.mtu === undefined ? [] : ["mtu", String(r.mtu)]),
          ...(r.advmss === undefined ? [] : ["advmss", String(r.advmss)]),
        ].join(" ")
      ),
  };
}

/** The state of the model's namespace at `path` (the host's when undefined), as short lines. */
function netState(kernel: ModelKernel, path?: string): NetState {
  const { links, addresses, routes } = kernel.snapshot(path);
  return netStateOf(links, addresses, [...routes.ipv4, ...routes.ipv6]);
}

/** Both namespaces' whole state. */
interface Snapshots {
  host: NamespaceSnapshot;
  container: NamespaceSnapshot;
}

/** One test's world: the model kernel with CNI_NETNS, the IPAM plugin, the state before. */
interface World {
  kernel: ModelKernel;
  host: ModelNamespace;
  container: ModelNamespace;
  ipam: Ipam;
  /** Both namespaces' whole state once set up, before the plugin ran. */
  before: Snapshots;
  snapshots(): Snapshots;
  /** What ptp made in both namespaces, in short lines. */
  state(): { host: NetState; container: NetState };
  /** Runs the plugin on this world's kernel with its IPAM plugin. */
  run(options?: InvokeOptions): Promise<InvokeOutcome>;
  /** The host end's name: the only veth of the host whose name ptp makes. */
  hostVeth(): string;
  /** The kernel's changes since the set-up, one line each: "<netns> <operation> <args>". */
  changes(): string[];
}

interface WorldOptions {
  /** What the IPAM plugin's ADD hands out. */
  ipam?: Result100;
  /** The IPAM plugin's answers that replace its own. */
  answers?: IpamAnswers;
  /** Forwarding is on already (`net.ipv4.ip_forward`, `net.ipv6.conf.all.forwarding`). */
  forwarding?: boolean;
  /** Changes the namespaces before `before` is taken. */
  setUp?: (host: ModelNamespace, container: ModelNamespace) => void;
}

function world(options: WorldOptions = {}): World {
  const kernel = modelKernel();
  const container = kernel.addNamespace(NETNS);
  const host = kernel.namespace();
  if (options.forwarding) {
    host.sysctlSet("net.ipv4.ip_forward", "1");
    host.sysctlSet("net.ipv6.conf.all.forwarding", "1");
  }
  options.setUp?.(host, container);
  kernel.clearLog();
  const ipam = fakeIpam(options.ipam, options.answers);
  const snapshots = () => ({ host: kernel.snapshot(), container: kernel.snapshot(NETNS) });
  return {
    kernel,
    host,
    container,
    ipam,
    before: snapshots(),
    snapshots,
    state: () => ({ host: netState(kernel), container: netState(kernel, NETNS) }),
    run: (invokeOptions = {}) =>
      invoke(ptpPlugin, {
        config: conf(),
        kernel,
        programs: { [IPAM_PATH]: ipam.program },
        ...invokeOptions,
      }),
    hostVeth() {
      const names = host.links().map((link) => link.name).filter((n) =>
        /^veth[0-9a-f]{8}$/.test(n)
      );
      assert.equal(names.length, 1, `one host veth, not ${JSON.stringify(names)}`);
      return names[0]!;
    },
    changes: () =>
      kernel.changes().map((entry) =>
        `${entry.netns ?? "host"} ${entry.operation} ${JSON.stringify(entry.args)}`
      ),
  };
}

/** Runs ADD in `w` at `version` and returns the result as printed, for a runtime to cache. */
async function attach(w: World, version = "1.1.0", extra: Record<string, unknown> = {}) {
  const added = await w.run({ config: conf(version, extra) });
  assert.equal(added.code, 0, added.stdout);
  return added.json as JsonObject;
}

/** The state ADD leaves with IPAM_DEFAULT, the host end named `veth`. */
function attached(veth: string, mtu = 1500) {
  return {
    host: {
      links: [`${veth} veth up mtu ${mtu}`],
      addresses: [`${veth} 10.1.2.1/32`],
      routes: [`10.1.2.5/32 dev ${veth} scope link`],
    },
    container: {
      links: [`eth0 veth up mtu ${mtu}`],
      addresses: ["eth0 10.1.2.5/24 noprefixroute"],
      routes: [
        "0.0.0.0/0 via 10.1.2.1 dev eth0",
        "10.1.2.0/24 via 10.1.2.1 dev eth0 src 10.1.2.5",
        "10.1.2.1/32 dev eth0 scope link src 10.1.2.5",
      ],
    },
  };
}

function assertOk(outcome: InvokeOutcome): void {
  assert.equal(outcome.code, 0, outcome.stdout + outcome.stderr);
}

function assertError(outcome: InvokeOutcome, code: number, msg: string | RegExp): void {
  assert.equal(outcome.code, 1, outcome.stdout);
  assert.equal(outcome.error?.code, code, outcome.stdout);
  if (typeof msg === "string") assert.equal(outcome.error?.msg, msg);
  else assert.match(outcome.error?.msg ?? "", msg);
}

/** The programs a run ran: only ever the IPAM plugin, with its verb. */
function ran(outcome: InvokeOutcome): string[] {
  return outcome.runs.map((run) => `${run.program} ${run.env.CNI_COMMAND}`);
}

function ipamRun(verb: string): string {
  return `${IPAM_PATH} ${verb}`;
}

const CHECK_VERSIONS = ALL_VERSIONS.filter(versionHasCheck);
const NO_ATTACHMENT = { CNI_CONTAINERID: "", CNI_NETNS: "", CNI_IFNAME: "" };

// ---------------------------------------------------------------------------------------------
// ADD

Deno.test("ptp ADD wires a veth pair between the host and CNI_NETNS, in every version", async (t) => {
  await forEachVersion(t, ptpPlugin, async (version) => {
    const w = world();
    const config = conf(version);
    const added = await w.run({ config });
    assertOk(added);
    assert.equal(added.stderr, "");
    assert.deepEqual(ran(added), [ipamRun("ADD")], "no program but the IPAM plugin runs");
    assert.equal(added.runs[0]?.stdin, JSON.stringify(config), "the IPAM plugin gets our stdin");
    assert.deepEqual([...w.ipam.reserved], ["ctr-test/eth0"]);

    const veth = w.hostVeth();
    assert.deepEqual(w.state(), attached(veth));
    // The two ends are one pair.
    const hostEnd = w.host.link(veth)!;
    const containerEnd = w.container.link("eth0")!;
    assert.equal(hostEnd.linkIndex, containerEnd.index);
    assert.equal(containerEnd.linkIndex, hostEnd.index);
    assert.equal(w.host.sysctlGet("net.ipv4.ip_forward"), "1");
    assert.equal(w.host.sysctlGet("net.ipv6.conf.all.forwarding"), "0", "IPv4 only");
    assert.deepEqual(w.kernel.snapshot(NETNS).sysctls, {}, "nothing switched in the container");

    // The result as a runtime reads it, in the 1.x shape: what each version can carry of it.
    const legacy = !versionHasChaining(version);
    assert.deepEqual(added.result, {
      cniVersion: "1.1.0",
      ...(legacy ? {} : {
        interfaces: [
          { name: veth, mac: hostEnd.mac },
          { name: "eth0", mac: containerEnd.mac, sandbox: NETNS },
        ],
      }),
      ips: [{ address: "10.1.2.5/24", gateway: "10.1.2.1", ...(legacy ? {} : { interface: 1 }) }],
      routes: [{ dst: "0.0.0.0/0" }],
      dns: { nameservers: ["10.1.2.53"] },
    });
  });
});

Deno.test("ptp ADD switches forwarding on, then makes the pair, the container's end, the host's end", async () => {
  const w = world();
  assertOk(await w.run());
  const veth = w.hostVeth();
  assert.deepEqual(w.changes(), [
    'host write sysctl ["net.ipv4.ip_forward","1"]',
    `host create link [{"name":"${veth}","kind":"veth","peerName":"eth0","peerNetns":"${NETNS}"}]`,
    `${NETNS} set link ["eth0",{"up":true}]`,
    `${NETNS} add address ["eth0","10.1.2.5/24",{"noPrefixRoute":true}]`,
    `${NETNS} add route [{"dst":"10.1.2.1/32","dev":"eth0","src":"10.1.2.5","scope":"link"}]`,
    `${NETNS} add route [{"dst":"10.1.2.0/24","dev":"eth0","via":"10.1.2.1","src":"10.1.2.5"}]`,
    `${NETNS} add route [{"dst":"0.0.0.0/0","dev":"eth0","via":"10.1.2.1"}]`,
    `host set link ["${veth}",{"up":true}]`,
    `host add address ["${veth}","10.1.2.1/32",{}]`,
    `host add route [{"dst":"10.1.2.5/32","dev":"${veth}","scope":"link"}]`,
  ]);
});

Deno.test("ptp ADD leaves forwarding alone when it is on already", async () => {
  const w = world({ forwarding: true });
  assertOk(await w.run());
  assert.equal(w.changes().filter((line) => line.includes("sysctl")).length, 0);
  assert.equal(w.host.sysctlGet("net.ipv4.ip_forward"), "1");
});

Deno.test("ptp ADD gives both ends the configured mtu and reports it", async (t) => {
  await forEachVersion(t, ptpPlugin, async (version) => {
    const w = world();
    const added = await w.run({ config: conf(version, { mtu: 1400 }) });
    assertOk(added);
    const veth = w.hostVeth();
    assert.deepEqual(w.state(), attached(veth, 1400));
    // Only 1.x results carry an interface's MTU.
    const mtu = version.startsWith("1.") ? 1400 : undefined;
    assert.deepEqual(
      added.result?.interfaces?.map((iface) => [iface.name, iface.mtu]),
      versionHasChaining(version) ? [[veth, mtu], ["eth0", mtu]] : undefined,
    );
  });
  await t.step("mtu 0 leaves the kernel's default", async () => {
    const w = world();
    const added = await w.run({ config: conf("1.1.0", { mtu: 0 }) });
    assertOk(added);
    assert.deepEqual(w.state(), attached(w.hostVeth()));
    assert.deepEqual(added.result?.interfaces?.map((iface) => iface.mtu), [undefined, undefined]);
  });
});

Deno.test("ptp ADD prints the configured dns instead of the IPAM plugin's, unless it is empty", async (t) => {
  const rows = [
    {
      dns: { nameservers: ["192.0.2.53"], search: ["example.test"] },
      printed: { nameservers: ["192.0.2.53"], search: ["example.test"] },
    },
    { dns: {}, printed: { nameservers: ["10.1.2.53"] } },
  ];
  for (const row of rows) {
    await t.step(`dns ${JSON.stringify(row.dns)}`, async () => {
      const added = await world().run({ config: conf("1.1.0", { dns: row.dns }) });
      assertOk(added);
      assert.deepEqual(added.result?.dns, row.printed);
    });
  }
});

Deno.test("ptp ADD with IPv6: nodad on both ends, the gateway's /128, IPv6 forwarding", async () => {
  const w = world({ ipam: IPAM_IPV6 });
  assertOk(await w.run());
  const veth = w.hostVeth();
  assert.deepEqual(w.state(), {
    host: {
      links: [`${veth} veth up mtu 1500`],
      addresses: [`${veth} 2001:db8:1::1/128 nodad`],
      routes: [
        `2001:db8:1::1/128 dev ${veth} metric 256`,
        `2001:db8:1::5/128 dev ${veth} metric 1024`,
      ],
    },
    container: {
      links: ["eth0 veth up mtu 1500"],
      addresses: ["eth0 2001:db8:1::5/64 noprefixroute nodad"],
      routes: [
        "2001:db8:1::1/128 dev eth0 src 2001:db8:1::5 metric 1024",
        "2001:db8:1::/64 via 2001:db8:1::1 dev eth0 src 2001:db8:1::5 metric 1024",
        "::/0 via 2001:db8:1::1 dev eth0 metric 1024",
      ],
    },
  });
  assert.equal(w.host.sysctlGet("net.ipv6.conf.all.forwarding"), "1");
  assert.equal(w.host.sysctlGet("net.ipv4.ip_forward"), "0", "IPv6 only");
  assert.equal(w.container.sysctlGet("net.ipv6.conf.eth0.disable_ipv6"), "0");
});

Deno.test("ptp ADD with IPv4, IPv6 and a /32: a gateway address and a host route each", async (t) => {
  await forEachVersion(t, ptpPlugin, async (version) => {
    const w = world({ ipam: IPAM_MULTI });
    const added = await w.run({ config: conf(version) });
    assertOk(added);
    const veth = w.hostVeth();
    assert.deepEqual(w.state(), {
      host: {
        links: [`${veth} veth up mtu 1500`],
        addresses: [
          `${veth} 10.1.2.1/32`,
          `${veth} 10.3.0.1/32`,
          `${veth} 2001:db8:1::1/128 nodad`,
        ],
        routes: [
          `10.1.2.5/32 dev ${veth} scope link`,
          `10.3.0.7/32 dev ${veth} scope link`,
          `2001:db8:1::1/128 dev ${veth} metric 256`,
          `2001:db8:1::5/128 dev ${veth} metric 1024`,
        ],
      },
      container: {
        links: ["eth0 veth up mtu 1500"],
        addresses: [
          "eth0 10.1.2.5/24 noprefixroute",
          "eth0 10.3.0.7/32 noprefixroute",
          "eth0 2001:db8:1::5/64 noprefixroute nodad",
        ],
        routes: [
          "0.0.0.0/0 via 10.1.2.1 dev eth0",
          "10.1.2.0/24 via 10.1.2.1 dev eth0 src 10.1.2.5",
          "10.1.2.1/32 dev eth0 scope link src 10.1.2.5",
          // A /32 has no subnet to route through its gateway.
          "10.3.0.1/32 dev eth0 scope link src 10.3.0.7",
          "2001:db8:1::1/128 dev eth0 src 2001:db8:1::5 metric 1024",
          "2001:db8:1::/64 via 2001:db8:1::1 dev eth0 src 2001:db8:1::5 metric 1024",
          "::/0 via 2001:db8:1::1 dev eth0 metric 1024",
        ],
      },
    });
    assert.equal(w.host.sysctlGet("net.ipv4.ip_forward"), "1");
    assert.equal(w.host.sysctlGet("net.ipv6.conf.all.forwarding"), "1");
    assert.deepEqual(added.result?.ips?.map((ip) => ip.interface), [1, 1, 1]);
  }, { only: (version) => versionHasChaining(version) });
});

Deno.test("ptp ADD applies the IPAM routes' mtu, advmss, priority, table and scope", async () => {
  const w = world({ ipam: IPAM_ROUTE_EXTRAS });
  const added = await w.run();
  assertOk(added);
  assert.deepEqual(w.state().container.routes, [
    "10.50.0.0/16 via 10.1.2.1 dev eth0 table 100 metric 10 mtu 1300 advmss 1260",
    "0.0.0.0/0 via 10.1.2.1 dev eth0 metric 100",
    "10.1.2.0/24 via 10.1.2.1 dev eth0 src 10.1.2.5",
    "10.1.2.1/32 dev eth0 scope link src 10.1.2.5",
    "10.60.0.0/16 via 10.1.2.1 dev eth0",
  ]);
  assert.deepEqual(added.result?.routes, IPAM_ROUTE_EXTRAS.routes);
});

Deno.test("ptp ADD takes a CNI_IFNAME the kernel takes, whatever its characters, as a name", async (t) => {
  // The kernel's rules allow these: they are names, never words of a command.
  for (const ifName of [`e'#"0`, "$(id)", "a;b", "x`id`", "abcdefghijklmno"]) {
    await t.step(JSON.stringify(ifName), async () => {
      const w = world({ forwarding: true });
      const env = { CNI_IFNAME: ifName };
      const added = await w.run({ env });
      assertOk(added);
      assert.deepEqual(w.container.links().map((link) => link.name), ["lo", ifName]);
      assert.deepEqual(w.state().container.addresses, [`${ifName} 10.1.2.5/24 noprefixroute`]);
      assert.equal(added.result?.interfaces?.[1]?.name, ifName);
      assertOk(await w.run({ command: "DEL", env }));
      assert.deepEqual(w.snapshots(), w.before, "DEL removed the pair");
    });
  }
});

Deno.test("ptp ADD tries another host veth name when the random one is taken", async () => {
  // The host end's name comes from crypto.getRandomValues: the first is made to name a link the
  // host has already.
  const w = world({
    forwarding: true,
    setUp: (host) => host.createLink({ kind: "veth", name: "veth01020304", peerName: "peer0" }),
  });
  const original = crypto.getRandomValues;
  const draws = [[1, 2, 3, 4], [5, 6, 7, 8]];
  crypto.getRandomValues = (<T extends ArrayBufferView | null>(array: T): T => {
    const draw = array instanceof Uint8Array && array.length === 4 ? draws.shift() : undefined;
    if (draw === undefined) return original.call(crypto, array as Uint8Array) as T;
    (array as Uint8Array).set(draw);
    return array;
  }) as typeof crypto.getRandomValues;
  let added: InvokeOutcome;
  try {
    added = await w.run();
  } finally {
    crypto.getRandomValues = original;
  }
  assertOk(added);
  assert.deepEqual(w.state().host.links, [
    "peer0 veth down mtu 1500",
    "veth01020304 veth down mtu 1500",
    "veth05060708 veth up mtu 1500",
  ]);
  assert.equal(added.result?.interfaces?.[0]?.name, "veth05060708");
  assert.deepEqual(draws, [], "both names were drawn");
  const created = w.changes().filter((line) => line.includes("create link"));
  assert.equal(created.length, 1, "the refused name made nothing");
  assert.equal(w.kernel.log.filter((entry) => entry.operation === "create link").length, 2);
});

Deno.test("ptp without FFI refuses its namespace work, naming the flag, and runs no ip or nsenter", async (t) => {
  // Without a kernel the harness's host offers no in-process backend, as a plugin without
  // --allow-ffi has none.
  const rows = [
    { command: "ADD", verbs: [] },
    // DEL releases the address first, as the reference does, then cannot delete the pair.
    { command: "DEL", verbs: ["DEL"] },
  ];
  for (const row of rows) {
    await t.step(row.command, async () => {
      const ipam = fakeIpam();
      const outcome = await invoke(ptpPlugin, {
        command: row.command,
        config: conf(),
        programs: { [IPAM_PATH]: ipam.program },
      });
      assertError(outcome, 999, /^missing permission: deno-ptp may not use FFI/);
      assert.match(outcome.error?.details ?? "", /--allow-ffi/);
      assert.deepEqual(ipam.verbs, row.verbs);
      assert.deepEqual(outcome.runs.length, row.verbs.length, "no program but the IPAM plugin");
    });
  }
});

// ---------------------------------------------------------------------------------------------
// ADD that fails

Deno.test("ptp ADD that fails midway leaves nothing behind and releases the address", async (t) => {
  const held = (dst: string, metric?: number) => (host: ModelNamespace) => {
    host.createLink({ kind: "veth", name: "veth0000beef", peerName: "peer0" });
    host.setLink("veth0000beef", { up: true });
    host.addRoute({ dst, dev: "veth0000beef", ...(metric === undefined ? {} : { metric }) });
  };
  const rows: {
    name: string;
    options: WorldOptions;
    env?: Record<string, string>;
    code?: number;
    msg: string | RegExp;
    /** Whether something was made, then undone. */
    made: boolean;
  }[] = [
    {
      name: "another link holds the host route to the address",
      options: { setUp: held("10.1.2.5/32") },
      msg: 'the host route to 10.1.2.5/32 already points at "veth0000beef"',
      made: true,
    },
    {
      // A better metric would take its traffic, a worse one would never get any.
      name: "another link holds the host route at another metric",
      options: { setUp: held("10.1.2.5/32", 100) },
      msg: 'the host route to 10.1.2.5/32 already points at "veth0000beef"',
      made: true,
    },
    {
      name: "IPv6: another link holds the host route at another metric",
      options: { ipam: IPAM_IPV6, setUp: held("2001:db8:1::5/128", 100) },
      msg: 'the host route to 2001:db8:1::5/128 already points at "veth0000beef"',
      made: true,
    },
    {
      name: "CNI_IFNAME is taken in the container",
      options: {
        setUp: (_host, container) =>
          container.createLink({ kind: "veth", name: "eth0", peerName: "peer0" }),
      },
      msg: 'container veth name "eth0" already exists',
      made: false,
    },
    {
      name: "the IPAM result has an address without gateway",
      options: { ipam: result({ ips: [{ address: "10.1.2.5/24" }] }) },
      msg: "IPAM plugin returned no gateway of the same family for 10.1.2.5/24",
      made: false,
    },
    {
      name: "the IPAM result has an IPv6 address with an IPv4 gateway",
      options: {
        ipam: {
          cniVersion: "1.1.0",
          ips: [{ address: "2001:db8:1::5/64", gateway: "10.1.2.1" }],
        },
      },
      msg: "IPAM plugin returned no gateway of the same family for 2001:db8:1::5/64",
      made: false,
    },
    {
      name: "the IPAM result has no IP",
      options: { ipam: result({}) },
      msg: "IPAM plugin returned missing IP config",
      made: false,
    },
    {
      name: "a route of the IPAM result has a gateway that is not on the link",
      options: {
        ipam: result({ ...IPAM_DEFAULT, routes: [{ dst: "10.50.0.0/16", gw: "203.0.113.1" }] }),
      },
      msg: /^ENETUNREACH: add route .*10\.50\.0\.0\/16 via 203\.0\.113\.1 dev "eth0"/,
      made: true,
    },
    {
      name: "IPv6: a route of the IPAM result has a gateway that is not on the link",
      options: {
        ipam: result({ ...IPAM_IPV6, routes: [{ dst: "2001:db8:9::/48", gw: "2001:db8:7::1" }] }),
      },
      msg: /^EHOSTUNREACH: add route .*2001:db8:9::\/48 via 2001:db8:7::1 dev "eth0"/,
      made: true,
    },
    {
      name: "CNI_NETNS does not exist",
      options: {},
      env: { CNI_NETNS: "/var/run/netns/gone" },
      msg: 'failed to open netns "/var/run/netns/gone": No such file or directory',
      made: false,
    },
    {
      // The path is checked when the namespace is first used: after the IPAM plugin's ADD.
      name: "CNI_NETNS is not absolute",
      options: {},
      env: { CNI_NETNS: "var/run/netns/x" },
      code: 4,
      msg: 'invalid netns path "var/run/netns/x": it must be absolute',
      made: false,
    },
    {
      name: "CNI_IFNAME is one the kernel would read as a pattern",
      options: {},
      env: { CNI_IFNAME: "eth%d" },
      code: 7,
      msg: /^invalid interface name "eth%d": it has "%"/,
      made: false,
    },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      // Forwarding is on already, so that nothing at all may change.
      const w = world({ forwarding: true, ...row.options });
      const added = await w.run({ ...(row.env && { env: row.env }) });
      assertError(added, row.code ?? 999, row.msg);
      assert.deepEqual(ran(added), [ipamRun("ADD"), ipamRun("DEL")], "the address is released");
      assert.deepEqual(w.ipam.reserved, new Set());
      assert.deepEqual(w.snapshots(), w.before);
      const changed = w.kernel.changes().map((entry) => entry.operation);
      if (!row.made) assert.deepEqual(changed, [], "nothing was made");
      else assert.deepEqual([changed[0], changed.at(-1)], ["create link", "delete link"]);
    });
  }
});

Deno.test("ptp ADD that fails leaves forwarding on, as the reference does", async () => {
  const w = world({
    ipam: result({ ...IPAM_DEFAULT, routes: [{ dst: "10.50.0.0/16", gw: "203.0.113.1" }] }),
  });
  const added = await w.run();
  assert.equal(added.error?.code, 999, added.stdout);
  assert.deepEqual(w.ipam.reserved, new Set());
  assert.equal(w.host.sysctlGet("net.ipv4.ip_forward"), "1");
  assert.deepEqual(w.snapshots().container, w.before.container);
  assert.deepEqual(w.snapshots().host.links, w.before.host.links);
  assert.deepEqual(w.snapshots().host.routes, w.before.host.routes);
});

Deno.test("ptp ADD passes the IPAM plugin's error through and releases what it may hold", async () => {
  const w = world({
    answers: { ADD: () => ({ code: 1, stdout: '{"code":11,"msg":"no free addresses"}' }) },
  });
  const added = await w.run();
  assertError(added, 11, "no free addresses");
  assert.deepEqual(ran(added), [ipamRun("ADD"), ipamRun("DEL")]);
  assert.deepEqual(w.kernel.log, [], "the kernel was not even asked");
});

Deno.test("ptp ADD reports its own error when releasing the address fails as well", async () => {
  const w = world({
    forwarding: true,
    setUp: (_host, container) =>
      container.createLink({ kind: "veth", name: "eth0", peerName: "p" }),
    answers: { DEL: () => ({ code: 1, stdout: '{"code":11,"msg":"store locked"}' }) },
  });
  const added = await w.run();
  assertError(added, 999, 'container veth name "eth0" already exists');
  assert.deepEqual(ran(added), [ipamRun("ADD"), ipamRun("DEL")]);
  assert.deepEqual(w.snapshots(), w.before);
});

Deno.test("ptp ADD whose answer cannot be written undoes everything and exits 1", async () => {
  const w = world({ forwarding: true });
  const added = await w.run({ stdout: "closed" });
  assert.equal(added.code, 1);
  assert.deepEqual(ran(added), [ipamRun("ADD"), ipamRun("DEL")]);
  assert.deepEqual(w.ipam.reserved, new Set());
  assert.deepEqual(w.snapshots(), w.before);
  const changed = w.kernel.changes().map((entry) => entry.operation);
  assert.deepEqual([changed[0], changed.at(-1)], ["create link", "delete link"]);
});

Deno.test("ptp refuses a CNI_NETNS that is a FIFO with code 4 and releases the address", async (t) => {
  for (const command of ["ADD", "DEL"]) {
    await t.step(command, async () => {
      const w = world({ forwarding: true });
      const fifo = "/var/run/netns/fifo";
      w.kernel.addFile(fifo, "fifo");
      const outcome = await w.run({ command, env: { CNI_NETNS: fifo } });
      assertError(outcome, 4, `"${fifo}" is not a network namespace: it is a FIFO`);
      // The IPAM plugin runs first, as in the reference; what ADD took is released.
      assert.deepEqual(w.ipam.verbs, command === "ADD" ? ["ADD", "DEL"] : ["DEL"]);
      assert.deepEqual(w.ipam.reserved, new Set());
      assert.deepEqual(w.kernel.changes(), []);
      assert.deepEqual(w.snapshots(), w.before);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Configuration and environment refused before anything

Deno.test("ptp refuses a bad configuration or environment before anything runs", async (t) => {
  const rows: {
    name: string;
    config?: JsonObject;
    env?: Record<string, string>;
    code: number;
    msg: string;
  }[] = [
    {
      name: "ipMasq, which this ptp does not set up",
      config: conf("1.1.0", { ipMasq: true }),
      code: 2,
      msg: 'unsupported field "ipMasq": true',
    },
    {
      name: "an mtu below 68",
      config: conf("1.1.0", { mtu: 67 }),
      code: 7,
      msg: 'invalid network configuration: "mtu" must be 0 or an integer from 68 to 65535, got 67',
    },
    {
      name: "an mtu above 65535",
      config: conf("1.1.0", { mtu: 65536 }),
      code: 7,
      msg: 'invalid network configuration: "mtu" must be an integer from 0 to 65535, got 65536',
    },
    {
      name: "no ipam",
      config: conf("1.1.0", { ipam: undefined }),
      code: 999,
      msg: "no plugin name provided",
    },
    {
      name: "an ipam type that is a path",
      config: conf("1.1.0", { ipam: { type: "../../bin/sh" } }),
      code: 999,
      msg: "invalid plugin name: ../../bin/sh",
    },
    // CNI_IFNAME as the reference checks it.
    ...["x y", "a\tb", "eth0/1", "a:b", "lo\n", "."].map((ifName) => ({
      name: `CNI_IFNAME ${JSON.stringify(ifName)}`,
      env: { CNI_IFNAME: ifName },
      code: 4,
      msg: ifName === "."
        ? "interface name is . or .."
        : "interface name contains / or : or whitespace characters",
    })),
    {
      name: "a CNI_IFNAME longer than 15 bytes",
      env: { CNI_IFNAME: "abcdefghijklmnop" },
      code: 4,
      msg: "interface name is too long",
    },
    {
      name: "no CNI_IFNAME",
      env: { CNI_IFNAME: "" },
      code: 4,
      msg: "required env variables [CNI_IFNAME] missing",
    },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      const w = world();
      const added = await w.run({
        ...(row.config && { config: row.config }),
        ...(row.env && { env: row.env }),
      });
      assertError(added, row.code, row.msg);
      assert.deepEqual(added.runs, [], "not even the IPAM plugin");
      assert.deepEqual(w.kernel.log, [], "the kernel was not even asked");
    });
  }
});

// ---------------------------------------------------------------------------------------------
// DEL

Deno.test("ptp DEL removes what ADD made, and only that, and again when it is gone", async (t) => {
  await forEachVersion(t, ptpPlugin, async (version) => {
    // Another attachment on the host and another interface in the container stay.
    const w = world({
      forwarding: true,
      setUp(host, container) {
        host.createLink({ kind: "veth", name: "veth0000beef", peerName: "net1", peerNetns: NETNS });
        host.setLink("veth0000beef", { up: true });
        host.addAddress("veth0000beef", "10.9.0.1/32", {});
        host.addRoute({ dst: "10.9.0.5/32", dev: "veth0000beef", scope: "link" });
        container.setLink("net1", { up: true });
        container.addAddress("net1", "10.9.0.5/24", { noPrefixRoute: true });
        container.addRoute({ dst: "10.9.0.1/32", dev: "net1", scope: "link" });
        container.addRoute({ dst: "10.9.0.0/24", via: "10.9.0.1", dev: "net1" });
      },
    });
    const config = conf(version);
    await attach(w, version);
    assert.notDeepEqual(w.snapshots(), w.before);
    for (const round of ["the pair is there", "the pair is gone already"]) {
      w.kernel.clearLog();
      const deleted = await w.run({ command: "DEL", config });
      assert.deepEqual([deleted.code, deleted.stdout, deleted.stderr], [0, "", ""], round);
      assert.deepEqual(ran(deleted), [ipamRun("DEL")], round);
      assert.deepEqual(w.ipam.reserved, new Set(), round);
      assert.deepEqual(w.snapshots(), w.before, round);
      const changed = w.kernel.changes().map((entry) => entry.operation);
      assert.deepEqual(changed, round === "the pair is there" ? ["delete link"] : [], round);
    }
  });
});

Deno.test("ptp DEL succeeds when the namespace is gone, and the pair went with it", async () => {
  const w = world({ forwarding: true });
  await attach(w);
  w.kernel.deleteNamespace(NETNS);
  w.kernel.clearLog();
  const deleted = await w.run({ command: "DEL" });
  assert.deepEqual([deleted.code, deleted.stdout], [0, ""]);
  assert.deepEqual(ran(deleted), [ipamRun("DEL")]);
  assert.deepEqual(w.ipam.reserved, new Set());
  assert.deepEqual(w.kernel.snapshot(), w.before.host);
  assert.deepEqual(w.kernel.changes(), []);
});

Deno.test("ptp DEL without CNI_NETNS only releases the address", async () => {
  const w = world();
  await attach(w);
  const state = w.snapshots();
  w.kernel.clearLog();
  const deleted = await w.run({ command: "DEL", env: { CNI_NETNS: "" } });
  assert.deepEqual([deleted.code, deleted.stdout], [0, ""]);
  assert.deepEqual(ran(deleted), [ipamRun("DEL")]);
  assert.equal(
    deleted.runs[0]?.env.CNI_NETNS ?? "",
    "",
    "CNI_NETNS is empty for the IPAM plugin too",
  );
  assert.deepEqual(w.ipam.reserved, new Set());
  assert.deepEqual(w.kernel.log, [], "the kernel was not even asked");
  assert.deepEqual(w.snapshots(), state);
});

Deno.test("ptp DEL passes the IPAM plugin's error through and leaves the pair", async () => {
  const w = world({
    answers: { DEL: () => ({ code: 1, stdout: '{"code":11,"msg":"store locked"}' }) },
  });
  await attach(w);
  const state = w.snapshots();
  w.kernel.clearLog();
  const deleted = await w.run({ command: "DEL" });
  assertError(deleted, 11, "store locked");
  assert.deepEqual(w.snapshots(), state);
  assert.deepEqual(w.kernel.log, []);
});

Deno.test("ptp DEL of a configuration with ipMasq still releases and deletes", async () => {
  const w = world({ forwarding: true });
  await attach(w);
  const deleted = await w.run({ command: "DEL", config: conf("1.1.0", { ipMasq: true }) });
  assert.deepEqual([deleted.code, deleted.stdout], [0, ""]);
  assert.deepEqual(w.ipam.reserved, new Set());
  assert.deepEqual(w.snapshots(), w.before);
});

// ---------------------------------------------------------------------------------------------
// CHECK

/** A change to the state ADD left, and what CHECK says about it. */
interface CheckRow {
  name: string;
  change: (w: World, veth: string) => void;
  edit?: (prevResult: JsonObject) => void;
  /** The error message, given the host end's name and the result; undefined when CHECK passes. */
  msg?: string | ((veth: string, prevResult: JsonObject) => string);
}

const CHECK_ROWS: CheckRow[] = [
  { name: "as ADD left it", change: () => {} },
  {
    name: "the result's MAC in upper case",
    change: () => {},
    edit: (prev) => {
      const container = (prev.interfaces as JsonObject[])[1]!;
      container.mac = String(container.mac).toUpperCase();
    },
  },
  {
    name: "the result's sandbox is another namespace",
    change: () => {},
    edit: (prev) => void ((prev.interfaces as JsonObject[])[1]!.sandbox = "/var/run/netns/other"),
    msg: `Sandbox in prevResult /var/run/netns/other doesn't match configured netns: ${NETNS}`,
  },
  {
    name: "the pair is gone",
    change: (w, veth) => void w.host.deleteLink(veth),
    msg: "ptp: Container Interface name in prevResult: eth0 not found",
  },
  {
    name: "eth0 is no veth",
    change: (w) => {
      w.container.deleteLink("eth0");
      w.container.createLink({ kind: "bridge", name: "eth0" });
    },
    msg: "Container interface eth0 not of type veth/p2p",
  },
  {
    name: "eth0 has another MAC",
    change: (w) => w.container.setLink("eth0", { mac: "0a:00:00:00:00:99" }),
    msg: (_veth, prevResult) => {
      const mac = (prevResult.interfaces as JsonObject[])[1]!.mac;
      return `ptp: Interface eth0 Mac ${mac} doesn't match container Mac: 0a:00:00:00:00:99`;
    },
  },
  {
    name: "the address is gone",
    change: (w) => void w.container.deleteAddress("eth0", "10.1.2.5/24"),
    msg: "Failed to match addr 10.1.2.5/24 on interface eth0",
  },
  {
    name: "the route to the subnet via the gateway is gone",
    change: (w) =>
      void w.container.deleteRoute({ dst: "10.1.2.0/24", via: "10.1.2.1", dev: "eth0" }),
    msg: "Route for prefix 10.1.2.0/24 via 10.1.2.1 not found",
  },
  {
    name: "a route of the IPAM result is gone",
    change: (w) => void w.container.deleteRoute({ dst: "0.0.0.0/0", via: "10.1.2.1", dev: "eth0" }),
    msg: "Route to 0.0.0.0/0 not found",
  },
  {
    name: "the host end has another name",
    change: (w, veth) => w.host.renameLink(veth, "vethrenamed"),
    msg: (veth) => `ptp: host interface ${veth} not found`,
  },
  {
    name: "the host end is no veth",
    change: (w, veth) => {
      w.host.renameLink(veth, "vethrenamed");
      w.host.createLink({ kind: "bridge", name: veth });
    },
    msg: (veth) => `ptp: host interface ${veth} not of type veth`,
  },
  {
    name: "the host route to the container is gone",
    change: (w, veth) => void w.host.deleteRoute({ dst: "10.1.2.5/32", dev: veth }),
    msg: (veth) => `ptp: host route to 10.1.2.5/32 via ${veth} not found`,
  },
  {
    name: "the host route to the container points at another link",
    change: (w, veth) => {
      w.host.deleteRoute({ dst: "10.1.2.5/32", dev: veth });
      w.host.createLink({ kind: "veth", name: "veth0000beef", peerName: "peer0" });
      w.host.setLink("veth0000beef", { up: true });
      w.host.addRoute({ dst: "10.1.2.5/32", dev: "veth0000beef", scope: "link" });
    },
    msg: (veth) => `ptp: host route to 10.1.2.5/32 via ${veth} not found`,
  },
];

Deno.test("ptp CHECK passes as ADD left things and fails on each change the reference checks", async (t) => {
  await forEachVersion(t, ptpPlugin, async (version, t) => {
    for (const row of CHECK_ROWS) {
      await t.step(row.name, async () => {
        const w = world();
        const prevResult = await attach(w, version);
        const veth = w.hostVeth();
        row.change(w, veth);
        row.edit?.(prevResult);
        const state = w.snapshots();
        w.kernel.clearLog();
        const checked = await w.run({
          command: "CHECK",
          config: atVersion(conf(version, { prevResult }), version),
        });
        const msg = typeof row.msg === "function" ? row.msg(veth, prevResult) : row.msg;
        if (msg === undefined) assert.deepEqual([checked.code, checked.stdout], [0, ""]);
        else assertError(checked, 999, msg);
        assert.deepEqual(ran(checked), [ipamRun("CHECK")]);
        assert.deepEqual(w.kernel.changes(), [], "CHECK changes nothing");
        assert.deepEqual(w.snapshots(), state);
      });
    }
  }, { only: versionHasCheck });
});

Deno.test("ptp CHECK passes for IPv4, IPv6 and a /32, and for routes in another table", async (t) => {
  const rows = [
    {
      name: "IPv4, IPv6 and a /32; then the IPv6 address is gone",
      ipam: IPAM_MULTI,
      change: (w: World) => w.container.deleteAddress("eth0", "2001:db8:1::5/64"),
      msg: "Failed to match addr 2001:db8:1::5/64 on interface eth0",
    },
    {
      name: "a route in table 100; then it is gone",
      ipam: IPAM_ROUTE_EXTRAS,
      change: (w: World) =>
        w.container.deleteRoute({ dst: "10.50.0.0/16", dev: "eth0", table: 100, metric: 10 }),
      msg: "Route to 10.50.0.0/16 via 10.1.2.1 not found",
    },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      const w = world({ ipam: row.ipam });
      const config = conf("1.1.0", { prevResult: await attach(w) });
      assertOk(await w.run({ command: "CHECK", config }));
      assert.equal(row.change(w), true);
      assertError(await w.run({ command: "CHECK", config }), 999, row.msg);
    });
  }
});

Deno.test("ptp CHECK fails without prevResult, after the IPAM plugin's CHECK", async () => {
  const w = world();
  await attach(w);
  const checked = await w.run({ command: "CHECK" });
  assertError(checked, 999, "ptp: Required prevResult missing");
  assert.deepEqual(ran(checked), [ipamRun("CHECK")]);
});

Deno.test("ptp CHECK passes the IPAM plugin's error through and looks no further", async () => {
  const w = world({
    answers: { CHECK: () => ({ code: 1, stdout: '{"code":11,"msg":"no reservation"}' }) },
  });
  const prevResult = await attach(w);
  w.kernel.clearLog();
  const checked = await w.run({ command: "CHECK", config: conf("1.1.0", { prevResult }) });
  assertError(checked, 11, "no reservation");
  assert.deepEqual(w.kernel.log, [], "the kernel was not even asked");
});

Deno.test("ptp CHECK under a configuration older than 0.4.0 is refused before anything runs", async (t) => {
  for (const version of ALL_VERSIONS.filter((v) => !versionHasCheck(v))) {
    await t.step(version, async () => {
      const w = world();
      const checked = await w.run({ command: "CHECK", config: conf(version) });
      assertError(checked, 1, "config version does not allow CHECK");
      assert.deepEqual([checked.runs, w.kernel.log], [[], []]);
    });
  }
});

Deno.test("ptp CHECK refuses a host interface name the kernel would refuse, with code 7", async (t) => {
  // The name comes from the previous result, which anyone who can write the cache can change: it
  // never reaches the kernel.
  const names = [
    "lo\nlink del eth0",
    "lo\n",
    "x y",
    "a\tb",
    "eth0/1",
    "a:b",
    "",
    "abcdefghijklmnop",
    "e%d",
  ];
  for (const version of CHECK_VERSIONS) {
    for (const name of names) {
      await t.step(`cniVersion ${version}: ${JSON.stringify(name)}`, async () => {
        const w = world();
        const prevResult = await attach(w, version);
        (prevResult.interfaces as JsonObject[])[0]!.name = name;
        w.kernel.clearLog();
        const checked = await w.run({
          command: "CHECK",
          config: atVersion(conf(version, { prevResult }), version),
        });
        assertError(checked, 7, /^invalid interface name /);
        assert.deepEqual(w.kernel.changes(), []);
        const asked = w.kernel.log.filter((entry) =>
          JSON.stringify(entry.args).includes(JSON.stringify(name))
        );
        assert.deepEqual(asked, [], "the name never reached the kernel");
      });
    }
  }
});

Deno.test("ptp CHECK looks up a host interface name with shell characters as a name", async (t) => {
  for (const name of ["a;b", "$(id)", `e'#"0`]) {
    await t.step(JSON.stringify(name), async () => {
      const w = world();
      const prevResult = await attach(w);
      (prevResult.interfaces as JsonObject[])[0]!.name = name;
      w.kernel.clearLog();
      const checked = await w.run({ command: "CHECK", config: conf("1.1.0", { prevResult }) });
      assertError(checked, 999, `ptp: host interface ${name} not found`);
      assert.deepEqual(w.kernel.changes(), []);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// GC, STATUS, VERSION: the IPAM plugin's

Deno.test("ptp GC and STATUS are the IPAM plugin's and never touch the kernel", async (t) => {
  const valid = [{ containerID: "ctr-a", ifname: "eth0" }, {
    containerID: "ctr-b",
    ifname: "net1",
  }];
  const rows: {
    name: string;
    command: string;
    config?: JsonObject;
    answers?: IpamAnswers;
    env?: Record<string, string>;
    error?: { code: number; msg: string; details?: string };
    verbs: string[];
  }[] = [
    {
      name: "GC runs the IPAM plugin's GC with the same stdin, valid attachments included",
      command: "GC",
      config: conf("1.1.0", { "cni.dev/valid-attachments": valid }),
      verbs: ["GC"],
    },
    {
      name: "GC passes the IPAM plugin's error through",
      command: "GC",
      config: conf("1.1.0", { "cni.dev/valid-attachments": [] }),
      answers: { GC: () => ({ code: 1, stdout: '{"code":5,"msg":"cannot read store"}' }) },
      error: { code: 5, msg: "cannot read store" },
      verbs: ["GC"],
    },
    {
      name: "STATUS asks the IPAM plugin and succeeds with it",
      command: "STATUS",
      verbs: ["STATUS"],
    },
    {
      name: "STATUS passes the IPAM plugin's code 51 through",
      command: "STATUS",
      answers: {
        STATUS: () => ({
          code: 1,
          stdout: '{"code":51,"msg":"address pool nearly exhausted","details":"2 left"}',
        }),
      },
      error: { code: 51, msg: "address pool nearly exhausted", details: "2 left" },
      verbs: ["STATUS"],
    },
    {
      name: "STATUS is code 50 when the IPAM plugin is not in CNI_PATH",
      command: "STATUS",
      env: { CNI_PATH: "/nonexistent" },
      error: {
        code: 50,
        msg: "ptp: IPAM plugin not available",
        details: 'failed to find plugin "host-local" in path [/nonexistent]',
      },
      verbs: [],
    },
    {
      name: "STATUS is code 50 when no IPAM plugin is configured",
      command: "STATUS",
      config: conf("1.1.0", { ipam: undefined }),
      error: {
        code: 50,
        msg: "ptp: IPAM plugin not available",
        details: "no plugin name provided",
      },
      verbs: [],
    },
    ...ALL_VERSIONS.filter((v) => !versionHasGcAndStatus(v)).flatMap((version) =>
      ["GC", "STATUS"].map((command) => ({
        name: `${command} under a ${version} configuration is refused`,
        command,
        config: conf(version),
        error: { code: 1, msg: `config version does not allow ${command}` },
        verbs: [],
      }))
    ),
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      const w = world(row.answers ? { answers: row.answers } : {});
      const config = row.config ?? conf();
      const outcome = await w.run({
        command: row.command,
        config,
        env: { ...NO_ATTACHMENT, ...row.env },
      });
      if (row.error === undefined) assert.deepEqual([outcome.code, outcome.stdout], [0, ""]);
      else {
        assert.equal(outcome.code, 1);
        assert.deepEqual(outcome.error, row.error);
      }
      assert.deepEqual(w.ipam.verbs, row.verbs);
      for (const call of w.ipam.calls) assert.equal(call.stdin, JSON.stringify(config));
      assert.deepEqual(w.kernel.log, [], "the kernel was not even asked");
    });
  }
});

Deno.test("ptp VERSION lists every spec version", async () => {
  const w = world();
  const outcome = await w.run({
    command: "VERSION",
    env: { ...NO_ATTACHMENT, CNI_PATH: "" },
    config: "",
  });
  assert.equal(outcome.code, 0);
  assert.deepEqual(outcome.json, { cniVersion: "1.1.0", supportedVersions: [...ALL_VERSIONS] });
  assert.deepEqual([outcome.runs, w.kernel.log], [[], []]);
});

// ---------------------------------------------------------------------------------------------
// As a process

/**
 * Writes a stand-in IPAM plugin, `fake-ipam`, into `dir`: it appends its CNI_COMMAND to
 * `dir/verbs`, keeps its stdin in `dir/stdin-<verb>` and its environment in `dir/env-<verb>`,
 * then answers as `dir/answer-<verb>` says (exit status on the first line, stdout after it) or
 * succeeds. It uses shell builtins only, so its run is one exec: its own.
 */
async function writeStandIn(dir: string): Promise<string> {
  const path = `${dir}/fake-ipam`;
  const copy = 'while IFS= read -r line || [ -n "$line" ]; do printf \'%s\\n\' "$line"; done';
  await Deno.writeTextFile(
    path,
    `#!/bin/sh
printf '%s\\n' "$CNI_COMMAND" >> '${dir}/verbs'
export -p > '${dir}/env-'"$CNI_COMMAND"
${copy} > '${dir}/stdin-'"$CNI_COMMAND"
if [ -f '${dir}/answer-'"$CNI_COMMAND" ]; then
  { IFS= read -r code; ${copy}; } < '${dir}/answer-'"$CNI_COMMAND"
  exit "$code"
fi
`,
    { mode: 0o755 },
  );
  return path;
}

/** The verbs the stand-in IPAM plugin in `dir` ran, in order. */
async function standInVerbs(dir: string): Promise<string[]> {
  try {
    return (await Deno.readTextFile(`${dir}/verbs`)).trimEnd().split("\n");
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/** What the stand-in's ADD hands out: IPAM_DEFAULT, as a 1.1.0 IPAM plugin prints it. */
function standInAnswer(): string {
  return `0\n${formatResult(IPAM_DEFAULT)}\n`;
}

Deno.test("ptp as a process forwards GC, STATUS and DEL without CNI_NETNS to the IPAM plugin", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "dcni-ptp-" });
  try {
    await writeStandIn(dir);
    const env = { CNI_PATH: `/nonexistent:${dir}` };
    const stdin = JSON.stringify(conf("1.1.0", {
      ipam: { type: "fake-ipam" },
      "cni.dev/valid-attachments": [{ containerID: "c9", ifname: "eth1" }],
    }));

    await t.step("GC runs the IPAM plugin with CNI_COMMAND=GC and the same stdin", async () => {
      const run = await runPlugin("deno-ptp", { env: { ...env, CNI_COMMAND: "GC" }, stdin });
      assert.deepEqual([run.code, run.stdout, run.stderr], [0, "", ""]);
      assert.equal(await Deno.readTextFile(`${dir}/stdin-GC`), `${stdin}\n`);
      const seen = await Deno.readTextFile(`${dir}/env-GC`);
      assert.match(seen, /^export CNI_COMMAND='GC'$/m);
      assert.match(seen, new RegExp(`^export CNI_PATH='/nonexistent:${dir}'$`, "m"));
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
      assert.match(await Deno.readTextFile(`${dir}/env-DEL`), /^export CNI_CONTAINERID='c9'$/m);
    });

    const addEnv = {
      ...env,
      CNI_COMMAND: "ADD",
      CNI_CONTAINERID: "c9",
      CNI_NETNS: "/x",
      CNI_IFNAME: "eth1",
    };

    await t.step(
      "ADD refuses an ipam type that is a path, so nothing else can be run",
      async () => {
        const type = `../${dir.split("/").pop()}/fake-ipam`;
        const run = await runPlugin("deno-ptp", {
          env: addEnv,
          stdin: JSON.stringify(conf("1.1.0", { ipam: { type } })),
        });
        assert.equal(run.code, 1);
        assert.deepEqual(run.json, { code: 999, msg: `invalid plugin name: ${type}` });
      },
    );

    await t.step("ADD with ipMasq is refused with code 2 before the IPAM plugin runs", async () => {
      const run = await runPlugin("deno-ptp", {
        env: addEnv,
        stdin: JSON.stringify(conf("1.1.0", { ipam: { type: "fake-ipam" }, ipMasq: true })),
      });
      assert.equal(run.code, 1);
      assert.equal((run.json as { code?: number }).code, 2);
    });

    assert.deepEqual(await standInVerbs(dir), ["GC", "STATUS", "STATUS", "DEL"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const notRoot = await skipReason({ root: true });
const rootSkip = notRoot ?? (await skipReason({ programs: ["ip", "nsenter", "strace"] }));
if (rootSkip !== undefined) console.log(`ptp process test in namespaces ignored: ${rootSkip}`);

/**
 * Whether a program this process runs, as the plugin process is, has a capability that lets it
 * change the network without root.
 */
async function networkCapabilities(): Promise<boolean> {
  const output = await new Deno.Command("cat", { args: ["/proc/self/status"] }).output();
  const status = new TextDecoder().decode(output.stdout);
  const effective = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? "0"}`);
  const CAP_NET_ADMIN = 12n;
  const CAP_SYS_ADMIN = 21n;
  return ((effective >> CAP_NET_ADMIN) & 1n) === 1n || ((effective >> CAP_SYS_ADMIN) & 1n) === 1n;
}

/** As root, the plugin runs as nobody without capabilities (`setpriv`, from util-linux). */
const unprivilegedSkip = notRoot === undefined
  ? await skipReason({ programs: ["setpriv"] })
  : (await networkCapabilities())
  ? "has CAP_NET_ADMIN or CAP_SYS_ADMIN without root"
  : undefined;
if (unprivilegedSkip !== undefined) {
  console.log(`ptp process test without root ignored: ${unprivilegedSkip}`);
}

/** A system program's path, for a process with an empty environment. */
async function systemProgram(name: string): Promise<string> {
  for (const dir of ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]) {
    try {
      if ((await Deno.stat(`${dir}/${name}`)).isFile) return `${dir}/${name}`;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  throw new Error(`cannot find ${JSON.stringify(name)}`);
}

/**
 * The programs a process tree ran, from `strace -f -e trace=execve` output: the path of every
 * exec that succeeded, in order.
 */
function execsOf(trace: string): string[] {
  const pending = new Map<string, string>();
  const execs: string[] = [];
  for (const line of trace.split("\n")) {
    const call = /^(\d+)\s+execve\("([^"]*)"/.exec(line);
    if (call !== null) {
      if (line.includes("<unfinished ...>")) pending.set(call[1]!, call[2]!);
      else if (/ = 0$/.test(line)) execs.push(call[2]!);
      continue;
    }
    const resumed = /^(\d+)\s+<\.\.\. execve resumed>.* = 0$/.exec(line);
    const path = resumed === null ? undefined : pending.get(resumed[1]!);
    if (path !== undefined) execs.push(path);
  }
  return execs;
}

/**
 * One run of the bundle, as a runtime in the namespace at `hostPath` makes it: with exactly its
 * plugins.json permissions and the CNI variables as its whole environment, under `strace`, which
 * records every program the process and its children run.
 */
async function runTraced(
  hostPath: string,
  env: Record<string, string>,
  stdin: string,
  dir: string,
): Promise<{ code: number; stdout: string; stderr: string; json: unknown; execs: string[] }> {
  const trace = `${dir}/trace`;
  const nsenter = await systemProgram("nsenter");
  const child = new Deno.Command(await systemProgram("strace"), {
    args: [
      "-f",
      "-qq",
      "-e",
      "trace=execve",
      "-e",
      "signal=none",
      "-o",
      trace,
      nsenter,
      `--net=${hostPath}`,
      "--",
      Deno.execPath(),
      ...pluginArgs("deno-ptp"),
    ],
    cwd: "/",
    clearEnv: true,
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const output = await child.output();
  const decoder = new TextDecoder();
  const stdout = decoder.decode(output.stdout);
  const execs = execsOf(await Deno.readTextFile(trace));
  return {
    code: output.code,
    stdout,
    stderr: decoder.decode(output.stderr),
    json: stdout === "" ? undefined : JSON.parse(stdout),
    execs: execs.map((path) =>
      path === nsenter ? "nsenter" : path === Deno.execPath() ? "deno" : path
    ),
  };
}

/** A namespace's state as the real kernel reports it, in the short lines of {@link NetState}. */
async function realState(path: string): Promise<NetState> {
  const ns = netns(path, { host: denoHost() });
  return netStateOf(await ns.links(), await ns.addresses(), [
    ...(await ns.routes(4, "all")),
    ...(await ns.routes(6, "all")),
  ]);
}

Deno.test({
  name:
    "ptp as a process wires a real pair in throwaway namespaces, running no program but the IPAM plugin",
  ignore: rootSkip !== undefined,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "dcni-ptp-" });
    try {
      const ipam = await writeStandIn(dir);
      await Deno.writeTextFile(`${dir}/answer-ADD`, standInAnswer());
      // One namespace stands in for the host, so the machine's own network is never touched.
      await withNetns((hostPath) =>
        withNetns(async (containerPath) => {
          const env = (command: string) => ({
            CNI_COMMAND: command,
            CNI_CONTAINERID: "ctr-process",
            CNI_NETNS: containerPath,
            CNI_IFNAME: "eth0",
            // Only the IPAM plugin is there to be found.
            CNI_PATH: dir,
          });
          const config = conf("1.1.0", { ipam: { type: "fake-ipam" } });
          const stdin = JSON.stringify(config);
          const only = ["nsenter", "deno", ipam];
          let veth = "";
          let prevResult: unknown;

          await t.step("ADD", async () => {
            const run = await runTraced(hostPath, env("ADD"), stdin, dir);
            assertWellBehaved(run);
            assert.equal(run.code, 0, run.stdout + run.stderr);
            assert.deepEqual(run.execs, only, "no program but the IPAM plugin runs");
            prevResult = run.json;
            const printed = run.json as Result100;
            veth = printed.interfaces?.[0]?.name ?? "";
            assert.match(veth, /^veth[0-9a-f]{8}$/);
            assert.deepEqual(printed.ips, [
              { address: "10.1.2.5/24", gateway: "10.1.2.1", interface: 1 },
            ]);
            // The same state as on the model kernel.
            const expected = attached(veth);
            assert.deepEqual(await realState(hostPath), expected.host);
            assert.deepEqual(await realState(containerPath), expected.container);
            const onHost = netns(hostPath, { host: denoHost() });
            assert.equal(await onHost.sysctlGet("net.ipv4.ip_forward"), "1");
          });

          await t.step("CHECK", async () => {
            const run = await runTraced(
              hostPath,
              env("CHECK"),
              JSON.stringify({ ...config, prevResult }),
              dir,
            );
            assert.deepEqual([run.code, run.stdout, run.stderr], [0, "", ""]);
            assert.deepEqual(run.execs, only);
          });

          await t.step("DEL, twice", async () => {
            for (let i = 0; i < 2; i++) {
              const run = await runTraced(hostPath, env("DEL"), stdin, dir);
              assert.deepEqual([run.code, run.stdout, run.stderr], [0, "", ""]);
              assert.deepEqual(run.execs, only);
              const empty = { links: [], addresses: [], routes: [] };
              assert.deepEqual(await realState(hostPath), empty);
              assert.deepEqual(await realState(containerPath), empty);
            }
          });

          assert.deepEqual(await standInVerbs(dir), ["ADD", "CHECK", "DEL", "DEL"]);
        })
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "ptp as a process without root fails ADD with a clean error and releases the address",
  ignore: unprivilegedSkip !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dcni-ptp-" });
    try {
      await writeStandIn(dir);
      await Deno.writeTextFile(`${dir}/answer-ADD`, standInAnswer());
      const unprivileged = notRoot === undefined;
      // nobody runs the stand-in, which records its verbs in `dir`.
      if (unprivileged) await Deno.chown(dir, 65534, 65534);
      const run = await runPlugin("deno-ptp", {
        env: {
          CNI_COMMAND: "ADD",
          CNI_CONTAINERID: "ctr-process",
          CNI_NETNS: "/proc/self/ns/net",
          CNI_IFNAME: "eth0",
          CNI_PATH: dir,
        },
        stdin: JSON.stringify(conf("1.1.0", { ipam: { type: "fake-ipam" } })),
        unprivileged,
      });
      assertWellBehaved(run);
      assert.equal(run.code, 1);
      const error = run.json as { code?: number; msg?: string };
      assert.equal(error.code, 999, run.stdout);
      // Netlink (or /proc/sys) refuses a process without the capabilities.
      assert.match(error.msg ?? "", /\bE(PERM|ACCES)\b/, run.stdout);
      assert.deepEqual(await standInVerbs(dir), ["ADD", "DEL"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
