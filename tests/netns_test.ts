/**
 * The namespace toolkit's exec backend (lib/_netns_exec.ts, lib/_system_programs.ts) with a fake
 * host: the exact argv of every operation (through nsenter for a namespace path, directly for
 * the plugin's own), every value its own word after a keyword, the reading of `ip -j`/`tc -j`
 * output, the errno each error message stands for, the namespace path checks made before
 * anything opens a path, and the environment programs get. Also the toolkit's own checks of
 * names and values. No program really runs; what the kernel does is tests/netns_contract_test.ts.
 */
import assert from "node:assert/strict";
import {
  EXTACK_ERRNOS,
  peakRates,
  readAsIndex,
  STRERROR_ERRNOS,
  sysctlFile,
} from "../lib/_netns_exec.ts";
import { CniError } from "../lib/errors.ts";
import type { RunOutput } from "../lib/host.ts";
import {
  checkInterfaceName,
  CommandError,
  KernelError,
  NamespaceMissingError,
  type Netns,
  netns,
  SYSTEM_DIRS,
  SYSTEM_PATH,
} from "../lib/netns.ts";
import {
  fakeHost,
  type FakeHostOptions,
  type FakeProgram,
  type ProgramCall,
} from "../lib/testing.ts";

const NS = "/var/run/netns/c1";
const OTHER = "/var/run/netns/c2";
const IP = "/usr/sbin/ip";
const TC = "/usr/sbin/tc";
const NSENTER = "/usr/bin/nsenter";
const CAT = "/usr/bin/cat";
const DD = "/usr/bin/dd";

/** What a fake program answers, given the argv run in the namespace (nsenter's left out). */
type Answer = (argv: readonly string[], call: ProgramCall) => string | Partial<RunOutput>;

/** The links the fake `ip -j -d link show` lists. */
const LINK_ENTRIES = [
  {
    ifindex: 1,
    ifname: "lo",
    flags: ["LOOPBACK", "UP", "LOWER_UP"],
    mtu: 65536,
    txqlen: 1000,
    address: "00:00:00:00:00:00",
  },
  {
    ifindex: 2,
    link: "veth1",
    ifname: "eth0",
    flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
    mtu: 1500,
    txqlen: 1000,
    address: "0A:58:0A:01:00:05",
    linkinfo: { info_kind: "veth" },
  },
  {
    ifindex: 3,
    link: "eth0",
    ifname: "veth1",
    flags: ["BROADCAST", "MULTICAST", "PROMISC", "ALLMULTI"],
    master: "br0",
    mtu: 1500,
    txqlen: 1000,
    address: "0a:58:0a:01:00:06",
    linkinfo: { info_kind: "veth", info_slave_kind: "bridge" },
  },
  {
    ifindex: 4,
    ifname: "br0",
    flags: ["BROADCAST", "MULTICAST"],
    mtu: 1500,
    txqlen: 1000,
    address: "0a:58:0a:01:00:06",
    linkinfo: { info_kind: "bridge", info_data: { stp_state: 0 } },
  },
];

/** The fake `ip -N -j addr show`. */
const ADDRESS_ENTRIES = [
  { ifindex: 1, ifname: "lo", addr_info: [] },
  {
    ifindex: 2,
    ifname: "eth0",
    addr_info: [{ family: "inet", local: "10.1.0.5", prefixlen: 24, scope: "0" }],
  },
  { ifindex: 3, ifname: "veth1", addr_info: [] },
  { ifindex: 4, ifname: "br0", addr_info: [] },
];

/** A small world: the listings above, empty lists for the rest, success for every change. */
function world(argv: readonly string[]): string {
  const [program, ...args] = argv;
  const words = args.join(" ");
  if (program === IP && words === "-j -d link show") return JSON.stringify(LINK_ENTRIES);
  if (program === IP && words === "-N -j addr show") return JSON.stringify(ADDRESS_ENTRIES);
  if (program === CAT) return "0\n";
  return args.includes("show") ? "[]" : "";
}

/** The argv run in the namespace: nsenter's own words left out. */
function inner(call: ProgramCall): string[] {
  if (call.program !== NSENTER) return [call.program, ...call.args];
  assert.equal(call.args[1], "--");
  return call.args.slice(2);
}

/** A fake host with the programs where Debian puts them, each answering `answer`. */
function hostWith(answer: Answer = world, options: FakeHostOptions = {}) {
  const program: FakeProgram = (call) => answer(inner(call), call);
  return fakeHost({
    env: { PATH: "/home/user/bin", SECRET: "x" },
    ...options,
    programs: {
      [IP]: program,
      [TC]: program,
      [NSENTER]: program,
      [CAT]: program,
      [DD]: program,
      ...options.programs,
    },
  });
}

/** Both toolkits over one host: in the namespace at NS and in the plugin's own. */
function both(answer: Answer = world, options: FakeHostOptions = {}) {
  const host = hostWith(answer, options);
  return {
    host,
    inside: netns(NS, { host, timeoutMs: 1234 }),
    own: netns(undefined, { host }),
  };
}

/** The argv of each run, in the namespace (nsenter's words left out). */
function argv(host: { runs: ProgramCall[] }): string[][] {
  return host.runs.map(inner);
}

const LIST_LINKS = [IP, "-j", "-d", "link", "show"];

/** Asserts that `call` rejects with a KernelError with these fields. */
async function rejectsKernel(
  call: Promise<unknown>,
  fields: { errno: string; operation?: string; object?: string; message?: RegExp },
): Promise<void> {
  await assert.rejects(call, (error: unknown) => {
    assert.ok(error instanceof KernelError, String(error));
    assert.equal(error.errno, fields.errno);
    if (fields.operation !== undefined) assert.equal(error.operation, fields.operation);
    if (fields.object !== undefined) assert.equal(error.object, fields.object);
    if (fields.message !== undefined) assert.match(error.message, fields.message);
    return true;
  });
}

Deno.test("exec runs each operation with the exact argv", async (t) => {
  const rows: { name: string; call: (ns: Netns) => Promise<unknown>; runs: string[][] }[] = [
    { name: "links()", call: (ns) => ns.links(), runs: [LIST_LINKS] },
    { name: "link(name)", call: (ns) => ns.link("eth0"), runs: [LIST_LINKS] },
    { name: "link(index)", call: (ns) => ns.link(2), runs: [LIST_LINKS] },
    {
      name: "createVeth() with an MTU and a peer namespace",
      call: (ns) => ns.createVeth({ name: "veth1", peerName: "eth0", mtu: 1400, peerNetns: OTHER }),
      runs: [[
        IP,
        ...["link", "add", "name", "veth1", "mtu", "1400", "type", "veth"],
        ...["peer", "name", "eth0", "mtu", "1400", "netns", OTHER],
      ]],
    },
    {
      name: "createLink() of a veth with everything",
      call: (ns) =>
        ns.createLink({
          kind: "veth",
          name: "veth1",
          peerName: "eth0",
          mac: "02:00:00:00:00:0A",
          peerMac: "02:00:00:00:00:0b",
          txqueuelen: 500,
          netns: NS,
          peerNetns: OTHER,
        }),
      runs: [[
        IP,
        ...["link", "add", "name", "veth1", "address", "02:00:00:00:00:0a"],
        ...["txqueuelen", "500", "netns", NS, "type", "veth"],
        ...["peer", "name", "eth0", "address", "02:00:00:00:00:0b", "netns", OTHER],
      ]],
    },
    {
      name: "createLink() of a macvlan",
      call: (ns) => ns.createLink({ kind: "macvlan", name: "mv0", parent: "eth0", mode: "bridge" }),
      runs: [[
        IP,
        "link",
        "add",
        "link",
        "eth0",
        "name",
        "mv0",
        "type",
        "macvlan",
        "mode",
        "bridge",
      ]],
    },
    {
      name: "createLink() of an ipvlan, l2 when no mode is given",
      call: (ns) => ns.createLink({ kind: "ipvlan", name: "iv0", parent: "eth0" }),
      runs: [[IP, "link", "add", "link", "eth0", "name", "iv0", "type", "ipvlan", "mode", "l2"]],
    },
    {
      name: "createLink() of a vlan",
      call: (ns) => ns.createLink({ kind: "vlan", name: "eth0.7", parent: "eth0", vlanId: 7 }),
      runs: [[IP, "link", "add", "link", "eth0", "name", "eth0.7", "type", "vlan", "id", "7"]],
    },
    {
      name: "createLink() of a bridge",
      call: (ns) => ns.createLink({ kind: "bridge", name: "br0", mtu: 9000 }),
      runs: [[IP, "link", "add", "name", "br0", "mtu", "9000", "type", "bridge"]],
    },
    {
      name: "createLink() of a dummy in another namespace",
      call: (ns) => ns.createLink({ kind: "dummy", name: "d0", netns: OTHER }),
      runs: [[IP, "link", "add", "name", "d0", "netns", OTHER, "type", "dummy"]],
    },
    {
      name: "setLink() with every change",
      call: (ns) =>
        ns.setLink("eth0", {
          up: true,
          mtu: 1400,
          mac: "02:00:00:00:00:0C",
          txqueuelen: 10,
          promisc: true,
          allmulti: false,
          master: "br0",
        }),
      runs: [[
        IP,
        ...["link", "set", "dev", "eth0", "mtu", "1400", "address", "02:00:00:00:00:0c"],
        ...["txqueuelen", "10", "promisc", "on", "allmulticast", "off", "master", "br0", "up"],
      ]],
    },
    {
      name: "setLink() off a master",
      call: (ns) => ns.setLink("eth0", { master: null, promisc: false }),
      runs: [[IP, "link", "set", "dev", "eth0", "promisc", "off", "nomaster"]],
    },
    {
      name: "setLinkUp()",
      call: (ns) => ns.setLinkUp("eth0"),
      runs: [[IP, "link", "set", "dev", "eth0", "up"]],
    },
    {
      name: "setLinkDown()",
      call: (ns) => ns.setLinkDown("eth0"),
      runs: [[IP, "link", "set", "dev", "eth0", "down"]],
    },
    {
      name: "renameLink()",
      call: (ns) => ns.renameLink("eth0", "eth1"),
      runs: [[IP, "link", "set", "dev", "eth0", "name", "eth1"]],
    },
    {
      name: "moveLink() with a new name",
      call: (ns) => ns.moveLink("veth1", OTHER, { name: "eth0" }),
      runs: [[IP, "link", "set", "dev", "veth1", "netns", OTHER, "name", "eth0"]],
    },
    {
      name: "moveLink()",
      call: (ns) => ns.moveLink("veth1", OTHER),
      runs: [[IP, "link", "set", "dev", "veth1", "netns", OTHER]],
    },
    {
      name: "deleteLink()",
      call: (ns) => ns.deleteLink("veth1"),
      runs: [[IP, "link", "del", "dev", "veth1"]],
    },
    {
      name: "vethPeerIndex()",
      call: (ns) => ns.vethPeerIndex("eth0"),
      runs: [LIST_LINKS],
    },
    {
      name: "addresses()",
      call: (ns) => ns.addresses(),
      runs: [[IP, "-N", "-j", "addr", "show"]],
    },
    {
      name: "addresses(dev)",
      call: (ns) => ns.addresses("eth0"),
      runs: [[IP, "-N", "-j", "addr", "show"]],
    },
    {
      name: "addAddress()",
      call: (ns) => ns.addAddress("eth0", "10.1.0.5/24"),
      runs: [[IP, "addr", "add", "10.1.0.5/24", "dev", "eth0"]],
    },
    {
      name: "addAddress() without nodad for IPv4",
      call: (ns) => ns.addAddress("eth0", "10.1.0.5/24", { noDad: true, noPrefixRoute: true }),
      runs: [[IP, "addr", "add", "10.1.0.5/24", "dev", "eth0", "noprefixroute"]],
    },
    {
      name: "addAddress() with noprefixroute and nodad for IPv6",
      call: (ns) => ns.addAddress("eth0", "2001:DB8:0::5/64", { noPrefixRoute: true, noDad: true }),
      runs: [[IP, "addr", "add", "2001:db8::5/64", "dev", "eth0", "noprefixroute", "nodad"]],
    },
    {
      name: "deleteAddress()",
      call: (ns) => ns.deleteAddress("eth0", "10.1.0.5/24"),
      runs: [[IP, "addr", "del", "10.1.0.5/24", "dev", "eth0"]],
    },
    {
      name: "routes(4)",
      call: (ns) => ns.routes(4),
      runs: [[IP, "-N", "-j", "-4", "route", "show"]],
    },
    {
      name: "routes(6, table)",
      call: (ns) => ns.routes(6, 100),
      runs: [[IP, "-N", "-j", "-6", "route", "show", "table", "100"]],
    },
    {
      name: 'routes(4, "all")',
      call: (ns) => ns.routes(4, "all"),
      runs: [[IP, "-N", "-j", "-4", "route", "show", "table", "all"]],
    },
    {
      name: "addRoute() with every attribute",
      call: (ns) =>
        ns.addRoute({
          dst: "10.9.0.0/16",
          via: "10.1.0.1",
          dev: "eth0",
          src: "10.1.0.5",
          scope: "global",
          table: 100,
          metric: 20,
          mtu: 1400,
          advmss: 1360,
        }),
      runs: [[
        IP,
        ...["route", "add", "10.9.0.0/16", "via", "10.1.0.1", "dev", "eth0", "src", "10.1.0.5"],
        ...["scope", "global", "table", "100", "metric", "20", "mtu", "1400", "advmss", "1360"],
      ]],
    },
    {
      name: "addRoute() for a host route with a numeric scope",
      call: (ns) => ns.addRoute({ dst: "10.1.0.1", dev: "eth0", scope: 253 }),
      runs: [[IP, "route", "add", "10.1.0.1/32", "dev", "eth0", "scope", "253"]],
    },
    {
      name: "addRoute() for the default route",
      call: (ns) => ns.addRoute({ dst: "default", via: "10.1.0.1", dev: "eth0" }),
      runs: [[IP, "route", "add", "0.0.0.0/0", "via", "10.1.0.1", "dev", "eth0"]],
    },
    {
      name: "addRoute() writing IPv6 addresses canonically",
      call: (ns) => ns.addRoute({ dst: "2001:DB8:0:0::/64", via: "2001:DB8::1", dev: "eth0" }),
      runs: [[IP, "route", "add", "2001:db8::/64", "via", "2001:db8::1", "dev", "eth0"]],
    },
    {
      name: "replaceRoute()",
      call: (ns) => ns.replaceRoute({ dst: "::/0", via: "fe80::1", dev: "eth0", metric: 5 }),
      runs: [[IP, "route", "replace", "::/0", "via", "fe80::1", "dev", "eth0", "metric", "5"]],
    },
    {
      name: "deleteRoute()",
      call: (ns) => ns.deleteRoute({ dst: "10.9.0.0/16", dev: "eth0", table: 7 }),
      runs: [[IP, "route", "del", "10.9.0.0/16", "dev", "eth0", "table", "7"]],
    },
    {
      name: "qdiscs()",
      call: (ns) => ns.qdiscs(),
      runs: [[TC, "-j", "-raw", "qdisc", "show"]],
    },
    {
      name: "qdiscs(dev)",
      call: (ns) => ns.qdiscs("eth0"),
      runs: [[TC, "-j", "-raw", "qdisc", "show", "dev", "eth0"]],
    },
    {
      name: "addTbf() with a limit",
      call: (ns) => ns.addTbf("eth0", { rate: 125_000, burst: 10_000, limit: 20_000 }),
      runs: [[
        TC,
        ...["qdisc", "add", "dev", "eth0", "root", "tbf"],
        ...["rate", "125000bps", "burst", "10000", "limit", "20000"],
      ]],
    },
    {
      name: "addTbf() with a latency and a peak rate",
      call: (ns) =>
        ns.addTbf("eth0", {
          rate: 10_000_000_000,
          burst: 3000,
          latencyUs: 25_000,
          peakrate: 20_000_000_000,
          mtu: 1600,
        }),
      runs: [[
        TC,
        ...["qdisc", "add", "dev", "eth0", "root", "tbf", "rate", "10000000000bps"],
        ...["burst", "3000", "latency", "25000us", "peakrate", "20000000000bps", "mtu", "1600"],
      ]],
    },
    {
      name: "deleteRootQdisc()",
      call: (ns) => ns.deleteRootQdisc("eth0"),
      runs: [[TC, "qdisc", "del", "dev", "eth0", "root"]],
    },
    {
      name: "sysctlGet() with dots",
      call: (ns) => ns.sysctlGet("net.ipv4.ip_forward"),
      runs: [[CAT, "/proc/sys/net/ipv4/ip_forward"]],
    },
    {
      name: "sysctlGet() with dots and an interface name with a dot",
      call: (ns) => ns.sysctlGet("net.ipv4.conf.eth0/100.rp_filter"),
      runs: [[CAT, "/proc/sys/net/ipv4/conf/eth0.100/rp_filter"]],
    },
    {
      name: "sysctlGet() with slashes",
      call: (ns) => ns.sysctlGet("net/ipv4/conf/eth0.100/rp_filter"),
      runs: [[CAT, "/proc/sys/net/ipv4/conf/eth0.100/rp_filter"]],
    },
    {
      name: "sysctlSet()",
      call: (ns) => ns.sysctlSet("net/ipv6/conf/eth0/disable_ipv6", "1"),
      runs: [[
        DD,
        ...["of=/proc/sys/net/ipv6/conf/eth0/disable_ipv6", "conv=nocreat,notrunc"],
        ...["iflag=fullblock", "bs=1", "count=1", "status=none"],
      ]],
    },
    {
      name: "sysctlSet() of a longer value",
      call: (ns) => ns.sysctlSet("net.ipv4.ip_local_port_range", "32768 60999"),
      runs: [[
        DD,
        ...["of=/proc/sys/net/ipv4/ip_local_port_range", "conv=nocreat,notrunc"],
        ...["iflag=fullblock", "bs=11", "count=1", "status=none"],
      ]],
    },
    {
      name: "sysctlSet() of an empty value",
      call: (ns) => ns.sysctlSet("net.ipv4.ip_forward", ""),
      runs: [[
        DD,
        ...["of=/proc/sys/net/ipv4/ip_forward", "conv=nocreat,notrunc"],
        ...["iflag=fullblock", "bs=1", "count=0", "status=none"],
      ]],
    },
    { name: "run()", call: (ns) => ns.run("ip", ["-V"]), runs: [[IP, "-V"]] },
    {
      name: "ip()",
      call: (ns) => ns.ip(["-4", "addr", "flush", "dev", "eth0"]),
      runs: [[IP, "-4", "addr", "flush", "dev", "eth0"]],
    },
  ];
  for (const row of rows) {
    await t.step(`${row.name} in a namespace runs through nsenter`, async () => {
      const { host, inside } = both();
      await row.call(inside);
      assert.deepEqual(
        host.runs.map((run) => [run.program, ...run.args.slice(0, 2)]),
        row.runs.map(() => [NSENTER, `--net=${NS}`, "--"]),
      );
      assert.deepEqual(argv(host), row.runs);
    });
    await t.step(`${row.name} in the plugin's own namespace runs the program itself`, async () => {
      const { host, own } = both();
      await row.call(own);
      assert.deepEqual(host.runs.map((run) => [run.program, ...run.args]), row.runs);
    });
  }
  await t.step("sysctlSet() gives dd the value, and nothing else, on stdin", async () => {
    const { host, own } = both();
    await own.sysctlSet("net.ipv4.ip_local_port_range", "32768 60999");
    assert.equal(host.runs[0]?.stdin, "32768 60999");
  });
});

Deno.test("exec hands every name to a program as one word after its keyword", async (t) => {
  for (const name of ["help", "-x", "up", "a", "dev", "--help", "name", "root", "é-1"]) {
    await t.step(`the name ${JSON.stringify(name)}`, async () => {
      const { host, own } = both();
      await own.createVeth({ name, peerName: `p${name}` });
      await own.setLink(name, { up: true, master: name });
      await own.renameLink(name, `q${name}`);
      await own.addAddress(name, "10.1.0.5/24");
      await own.addRoute({ dst: "10.9.0.0/16", dev: name });
      await own.addTbf(name, { rate: 1, burst: 1, limit: 1 });
      await own.deleteLink(name);
      assert.deepEqual(argv(host), [
        [IP, "link", "add", "name", name, "type", "veth", "peer", "name", `p${name}`],
        [IP, "link", "set", "dev", name, "master", name, "up"],
        [IP, "link", "set", "dev", name, "name", `q${name}`],
        [IP, "addr", "add", "10.1.0.5/24", "dev", name],
        [IP, "route", "add", "10.9.0.0/16", "dev", name],
        [
          TC,
          "qdisc",
          "add",
          "dev",
          name,
          "root",
          "tbf",
          "rate",
          "1bps",
          "burst",
          "1",
          "limit",
          "1",
        ],
        [IP, "link", "del", "dev", name],
      ]);
    });
  }
});

Deno.test('exec never lets ip or tc read a missing "if<N>" link as index N', async (t) => {
  await t.step("readAsIndex() tells such names", () => {
    for (const name of ["if1", "if0", "if+1", "if-1", "if12x"]) {
      assert.equal(readAsIndex(name), true);
    }
    for (const name of ["if", "ifx", "xif1", "eth1", "If1", "i1"]) {
      assert.equal(readAsIndex(name), false, name);
    }
  });
  const missing: { name: string; call: (ns: Netns) => Promise<unknown>; operation: string }[] = [
    { name: "setLink()", call: (ns) => ns.setLink("if1", { mtu: 1400 }), operation: "set link" },
    {
      name: "setLink() to a master",
      call: (ns) => ns.setLink("eth0", { master: "if2" }),
      operation: "set link",
    },
    { name: "renameLink()", call: (ns) => ns.renameLink("if1", "x"), operation: "rename link" },
    { name: "moveLink()", call: (ns) => ns.moveLink("if1", OTHER), operation: "move link" },
    {
      name: "createLink() on a parent",
      call: (ns) => ns.createLink({ kind: "macvlan", name: "m0", parent: "if1" }),
      operation: "create link",
    },
    {
      name: "addAddress()",
      call: (ns) => ns.addAddress("if1", "10.1.0.5/24"),
      operation: "add address",
    },
    {
      name: "deleteAddress()",
      call: (ns) => ns.deleteAddress("if1", "10.1.0.5/24"),
      operation: "delete address",
    },
    {
      name: "addRoute()",
      call: (ns) => ns.addRoute({ dst: "10.9.0.0/16", dev: "if1x" }),
      operation: "add route",
    },
    {
      name: "replaceRoute()",
      call: (ns) => ns.replaceRoute({ dst: "10.9.0.0/16", dev: "if1" }),
      operation: "replace route",
    },
    {
      name: "deleteRoute()",
      call: (ns) => ns.deleteRoute({ dst: "10.9.0.0/16", dev: "if1" }),
      operation: "delete route",
    },
    {
      name: "addTbf()",
      call: (ns) => ns.addTbf("if1", { rate: 1, burst: 1, limit: 1 }),
      operation: "add qdisc",
    },
    {
      name: "deleteRootQdisc()",
      call: (ns) => ns.deleteRootQdisc("if1"),
      operation: "delete qdisc",
    },
    { name: "qdiscs()", call: (ns) => ns.qdiscs("if1"), operation: "list qdiscs" },
    { name: "addresses()", call: (ns) => ns.addresses("if1"), operation: "list addresses" },
  ];
  for (const row of missing) {
    await t.step(`${row.name} of a missing one is ENODEV, after only a listing`, async () => {
      const { host, inside } = both();
      await rejectsKernel(row.call(inside), { errno: "ENODEV", operation: row.operation });
      assert.ok(argv(host).length <= 1);
      for (const run of argv(host)) {
        assert.ok(run[1] === "-j" || run[1] === "-N", `ran ${run.join(" ")}`);
      }
    });
  }
  await t.step("deleteLink() of a missing one is false, after only a listing", async () => {
    const { host, inside } = both();
    assert.equal(await inside.deleteLink("if1"), false);
    assert.deepEqual(argv(host), [LIST_LINKS]);
  });
  await t.step("a link that has such a name is found by its name", async () => {
    const withIf = (argv: readonly string[]) =>
      argv.join(" ") === LIST_LINKS.join(" ")
        ? JSON.stringify([...LINK_ENTRIES, { ifindex: 9, ifname: "if1", flags: [] }])
        : world(argv);
    const { host, inside } = both(withIf);
    await inside.setLink("if1", { mtu: 1400 });
    assert.equal(await inside.deleteLink("if1"), true);
    assert.deepEqual(argv(host), [
      LIST_LINKS,
      [IP, "link", "set", "dev", "if1", "mtu", "1400"],
      LIST_LINKS,
      [IP, "link", "del", "dev", "if1"],
    ]);
  });
});

Deno.test("exec parses ip -j and tc -j output", async (t) => {
  await t.step("links() reads every field; promisc and allmulti only when set", async () => {
    const { own } = both();
    assert.deepEqual(await own.links(), [
      { name: "lo", index: 1, mtu: 65536, mac: "00:00:00:00:00:00", up: true, txqueuelen: 1000 },
      {
        name: "eth0",
        index: 2,
        mtu: 1500,
        mac: "0a:58:0a:01:00:05",
        up: true,
        kind: "veth",
        txqueuelen: 1000,
        linkIndex: 3,
      },
      {
        name: "veth1",
        index: 3,
        mtu: 1500,
        mac: "0a:58:0a:01:00:06",
        up: false,
        kind: "veth",
        txqueuelen: 1000,
        promisc: true,
        allmulti: true,
        masterIndex: 4,
        linkIndex: 2,
      },
      {
        name: "br0",
        index: 4,
        mtu: 1500,
        mac: "0a:58:0a:01:00:06",
        up: false,
        kind: "bridge",
        txqueuelen: 1000,
      },
    ]);
  });
  await t.step("links() reads a peer in another namespace, vlans, macvlans, ipvlans", async () => {
    const { own } = both(() =>
      JSON.stringify([
        { ifindex: 2, link_index: 7, link_netnsid: 0, ifname: "eth0", flags: [] },
        { ifindex: 3, link: "if12", ifname: "x0", flags: [] },
        {
          ifindex: 4,
          link: "eth0",
          ifname: "eth0.7",
          flags: [],
          linkinfo: { info_kind: "vlan", info_data: { protocol: "802.1Q", id: 7 } },
        },
        {
          ifindex: 5,
          link: "eth0",
          ifname: "mv0",
          flags: [],
          linkinfo: { info_kind: "macvlan", info_data: { mode: "bridge" } },
        },
        {
          ifindex: 6,
          link: "eth0",
          ifname: "iv0",
          flags: [],
          linkinfo: { info_kind: "ipvlan", info_data: { mode: "l3s" } },
        },
        {
          ifindex: 8,
          ifname: "odd",
          flags: [],
          linkinfo: { info_kind: "macvlan", info_data: { mode: "weird" } },
        },
      ])
    );
    assert.deepEqual(await own.links(), [
      { name: "eth0", index: 2, up: false, linkIndex: 7, linkNetnsId: 0 },
      { name: "x0", index: 3, up: false, linkIndex: 12 },
      { name: "eth0.7", index: 4, up: false, kind: "vlan", linkIndex: 2, vlanId: 7 },
      { name: "mv0", index: 5, up: false, kind: "macvlan", linkIndex: 2, macvlanMode: "bridge" },
      { name: "iv0", index: 6, up: false, kind: "ipvlan", linkIndex: 2, ipvlanMode: "l3s" },
      { name: "odd", index: 8, up: false, kind: "macvlan" },
    ]);
  });
  await t.step("link() finds by name and by index; undefined when missing", async () => {
    const { own } = both();
    assert.equal((await own.link("br0"))?.index, 4);
    assert.equal((await own.link(2))?.name, "eth0");
    assert.equal(await own.link("eth9"), undefined);
    assert.equal(await own.link(99), undefined);
    assert.equal(await own.vethPeerIndex("eth0"), 3);
    await assert.rejects(own.vethPeerIndex("br0"), { message: 'link "br0" is not a veth' });
  });
  await t.step("links() reads empty output as no links", async () => {
    const { own } = both(() => "\n");
    assert.deepEqual(await own.links(), []);
  });
  await t.step("addresses() reads numeric scopes, flags, and filters by link", async () => {
    const { own } = both(() =>
      JSON.stringify([
        {
          ifindex: 2,
          ifname: "eth0",
          addr_info: [
            { family: "inet", local: "10.1.0.5", prefixlen: 24, scope: "0" },
            {
              family: "inet",
              local: "10.2.0.5",
              prefixlen: 24,
              scope: "0",
              noprefixroute: true,
              secondary: true,
            },
            {
              family: "inet6",
              local: "2001:DB8::5",
              prefixlen: 64,
              scope: "0",
              nodad: true,
              noprefixroute: true,
            },
            { family: "inet6", local: "fe80::1", prefixlen: 64, scope: "253", tentative: true },
            { family: "inet", local: "bogus", prefixlen: 24 },
          ],
        },
        {
          ifindex: 1,
          ifname: "lo",
          addr_info: [
            { family: "inet", local: "127.0.0.1", prefixlen: 8, scope: "254" },
            { family: "inet", local: "127.0.0.2", prefixlen: 8, scope: "200" },
          ],
        },
      ])
    );
    assert.deepEqual(await own.addresses(), [
      { dev: "eth0", cidr: "10.1.0.5/24", family: 4, scope: "global" },
      { dev: "eth0", cidr: "10.2.0.5/24", family: 4, scope: "global", noPrefixRoute: true },
      {
        dev: "eth0",
        cidr: "2001:db8::5/64",
        family: 6,
        scope: "global",
        noDad: true,
        noPrefixRoute: true,
      },
      { dev: "eth0", cidr: "fe80::1/64", family: 6, scope: "link", tentative: true },
      { dev: "lo", cidr: "127.0.0.1/8", family: 4, scope: "host" },
      { dev: "lo", cidr: "127.0.0.2/8", family: 4, scope: "200" },
    ]);
    assert.deepEqual((await own.addresses("lo")).map((address) => address.cidr), [
      "127.0.0.1/8",
      "127.0.0.2/8",
    ]);
    await rejectsKernel(own.addresses("eth9"), {
      errno: "ENODEV",
      operation: "list addresses",
      object: 'of "eth9" in the current netns',
    });
  });
  await t.step("routes() reads numeric tables, types and scopes, canonically", async () => {
    const { own } = both(() =>
      JSON.stringify([
        { dst: "default", gateway: "10.1.0.1", dev: "eth0", flags: [] },
        {
          dst: "10.1.0.0/24",
          dev: "eth0",
          protocol: "2",
          scope: "253",
          prefsrc: "10.1.0.5",
          flags: [],
        },
        {
          dst: "10.9.0.1",
          dev: "eth0",
          metric: 20,
          table: "100",
          flags: [],
          metrics: [{ mtu: 1400, advmss: 1360 }],
        },
        {
          type: "2",
          dst: "10.1.0.5",
          dev: "eth0",
          table: "255",
          scope: "254",
          prefsrc: "10.1.0.5",
          flags: [],
        },
        { type: "3", dst: "10.1.0.255", dev: "eth0", table: "255", scope: "253", flags: [] },
        { type: "1", dst: "10.8.0.0/16", dev: "eth0", table: "254", flags: [] },
        { type: "6", dst: "10.7.0.0/16", table: "253", flags: [] },
      ])
    );
    assert.deepEqual(await own.routes(4, "all"), [
      { dst: "0.0.0.0/0", gateway: "10.1.0.1", dev: "eth0", table: "main", scope: "global" },
      { dst: "10.1.0.0/24", dev: "eth0", table: "main", scope: "link", prefsrc: "10.1.0.5" },
      {
        dst: "10.9.0.1/32",
        dev: "eth0",
        table: "100",
        scope: "global",
        metric: 20,
        mtu: 1400,
        advmss: 1360,
      },
      {
        dst: "10.1.0.5/32",
        dev: "eth0",
        table: "local",
        scope: "host",
        prefsrc: "10.1.0.5",
        type: "local",
      },
      {
        dst: "10.1.0.255/32",
        dev: "eth0",
        table: "local",
        scope: "link",
        type: "broadcast",
      },
      { dst: "10.8.0.0/16", dev: "eth0", table: "main", scope: "global" },
      { dst: "10.7.0.0/16", table: "253", scope: "global", type: "blackhole" },
    ]);
  });
  await t.step(
    "routes(6) reads the default route as ::/0 and writes addresses canonically",
    async () => {
      const { own } = both(() =>
        JSON.stringify([
          { dst: "default", gateway: "FE80::1", dev: "eth0", metric: 1024, flags: [] },
          { dst: "2001:DB8::/64", dev: "eth0", metric: 256, flags: [] },
          { type: "5", dst: "ff00::/8", dev: "eth0", table: "255", metric: 256, flags: [] },
        ])
      );
      assert.deepEqual(await own.routes(6), [
        {
          dst: "::/0",
          gateway: "fe80::1",
          dev: "eth0",
          table: "main",
          scope: "global",
          metric: 1024,
        },
        { dst: "2001:db8::/64", dev: "eth0", table: "main", scope: "global", metric: 256 },
        {
          dst: "ff00::/8",
          dev: "eth0",
          table: "local",
          scope: "global",
          metric: 256,
          type: "multicast",
        },
      ]);
    },
  );
  await t.step("routes(family, table) names the table ip leaves out", async () => {
    const route = JSON.stringify([{ dst: "10.9.0.0/16", dev: "eth0", flags: [] }]);
    for (const [table, name] of [[100, "100"], [255, "local"], [254, "main"]] as const) {
      const { own } = both(() => route);
      assert.deepEqual((await own.routes(4, table)).map((r) => r.table), [name]);
    }
  });
  await t.step("routes() of a table no route was ever added to is empty", async () => {
    for (const family of [4, 6] as const) {
      const { own } = both(() => ({
        code: 2,
        stdout: "[",
        stderr: `Error: ipv${family}: FIB table does not exist.\nDump terminated\n`,
      }));
      assert.deepEqual(await own.routes(family, 101), []);
    }
  });
  await t.step("qdiscs() reads handles, parents and a tbf's settings", async () => {
    const { own } = both(() =>
      JSON.stringify([
        { kind: "noqueue", handle: "0:", dev: "lo", root: true, refcnt: 2, options: {} },
        {
          kind: "tbf",
          handle: "8001:",
          dev: "eth0",
          root: true,
          options: {
            rate: 10_000_000_000,
            burst: 90_000,
            burst_raw: "9c",
            lat: 11,
            limit: 200_000,
          },
        },
        { kind: "pfifo", handle: "10:", dev: "eth0", parent: "8001:1", options: { limit: 1000 } },
      ])
    );
    assert.deepEqual(await own.qdiscs(), [
      { dev: "lo", kind: "noqueue", handle: 0, root: true, parent: 0xffffffff },
      {
        dev: "eth0",
        kind: "tbf",
        handle: 0x80010000,
        root: true,
        parent: 0xffffffff,
        tbf: { rate: 10_000_000_000, burst: 90_000, limit: 200_000 },
      },
      { dev: "eth0", kind: "pfifo", handle: 0x100000, root: false, parent: 0x80010001 },
    ]);
  });
  await t.step("qdiscs() reads a peak rate from tc's text, where alone tc prints it", async () => {
    const answer: Answer = (argv) =>
      argv.includes("-j")
        ? JSON.stringify([{
          kind: "tbf",
          handle: "8045:",
          root: true,
          options: { rate: 1_000_000, burst: 3000, minburst: 1600, mtu_raw: "30d4", limit: 28_000 },
        }])
        : "qdisc tbf 8045:[80450000] root refcnt 3 rate 8Mbit burst 3000b [0000b71b] " +
          "peakrate 16Mbit minburst 1600b [000030d4] lat 25ms limit 28000b \n";
    const { host, own } = both(answer);
    assert.deepEqual(await own.qdiscs("eth0"), [{
      dev: "eth0",
      kind: "tbf",
      handle: 0x80450000,
      root: true,
      parent: 0xffffffff,
      tbf: { rate: 1_000_000, burst: 3000, limit: 28_000, peakrate: 2_000_000, mtu: 1600 },
    }]);
    assert.deepEqual(argv(host), [
      [TC, "-j", "-raw", "qdisc", "show", "dev", "eth0"],
      [TC, "-raw", "qdisc", "show", "dev", "eth0"],
    ]);
  });
  await t.step("peakRates() reads each tbf's peak rate by link and handle", () => {
    const text = [
      "qdisc noqueue 0: dev lo root refcnt 2 ",
      "qdisc tbf 8001:[80010000] dev eth0 root refcnt 2 rate 8Mbit burst 3000b [0000b71b] " +
      "peakrate 1Kbit minburst 1b [00000017] lat 25ms limit 28000b ",
      "qdisc tbf 8002:[80020000] dev eth1 root refcnt 2 rate 16Kbit burst 1000b [00773594] " +
      "peakrate 80Gbit minburst 0b [00000002] lat 500ms limit 2000b ",
      "qdisc tbf 8003:[80030000] dev eth2 root refcnt 2 rate 16Kbit burst 1000b [00773594] " +
      "peakrate 1000008bit minburst 1500b [00773594] lat 500ms limit 2000b ",
      "qdisc tbf 8004:[80040000] dev eth3 root refcnt 2 rate 16Kbit burst 1000b lat 500ms ",
    ].join("\n");
    assert.deepEqual(
      peakRates(text, undefined),
      new Map([["eth0 8001:", 125], ["eth1 8002:", 10_000_000_000], ["eth2 8003:", 125_001]]),
    );
    assert.deepEqual(
      peakRates(
        "qdisc tbf 10:[00100000] root rate 8Mbit burst 3000b peakrate 2Tbit minburst 1b ",
        "x",
      ),
      new Map([["x 10:", 250_000_000_000]]),
    );
  });
  await t.step("a listing that is not JSON is refused, quoting it", async () => {
    const { own } = both(() => 'Object "link" is unknown, try "ip help".');
    await assert.rejects(own.links(), {
      message:
        'ip -j -d link show printed no JSON: "Object \\"link\\" is unknown, try \\"ip help\\"."',
    });
  });
  await t.step("a listing that is not a list is refused", async () => {
    const { own } = both(() => "{}");
    await assert.rejects(own.addresses(), { message: "ip -N -j addr show printed no JSON list" });
  });
});

Deno.test("exec maps error messages to the kernel's errno", async (t) => {
  // Each message as `ip`, `tc`, `cat` or `dd` prints it for what the kernel answered.
  const messages: [string, string][] = [
    ["RTNETLINK answers: File exists", "EEXIST"],
    ["RTNETLINK answers: No such process", "ESRCH"],
    ["RTNETLINK answers: No such device", "ENODEV"],
    ["RTNETLINK answers: Invalid argument", "EINVAL"],
    ["RTNETLINK answers: Operation not supported", "EOPNOTSUPP"],
    ["RTNETLINK answers: Cannot assign requested address", "EADDRNOTAVAIL"],
    ["RTNETLINK answers: No route to host", "EHOSTUNREACH"],
    ["RTNETLINK answers: Network is unreachable", "ENETUNREACH"],
    ["RTNETLINK answers: Device or resource busy", "EBUSY"],
    ["RTNETLINK answers: Operation not permitted", "EPERM"],
    ["RTNETLINK answers: Address family not supported by protocol", "EAFNOSUPPORT"],
    ["Error: Unknown device type.", "EOPNOTSUPP"],
    ["Error: mtu greater than device maximum.", "EINVAL"],
    ["Error: mtu less than device minimum.", "EINVAL"],
    ["Error: Unable to use 'v3' for the new interface name in the target netns.", "EEXIST"],
    ["Error: An interface with the same name exists in the target netns.", "EEXIST"],
    ["Error: ipv4: Address already assigned.", "EEXIST"],
    ["Error: ipv6: address already assigned.", "EEXIST"],
    ["Error: ipv4: Address not found.", "EADDRNOTAVAIL"],
    ["Error: ipv6: address not found.", "EADDRNOTAVAIL"],
    ["Error: Nexthop has invalid gateway.", "ENETUNREACH"],
    ["Error: Device for nexthop is not up.", "ENETDOWN"],
    ["Error: Nexthop device is not up.", "ENETDOWN"],
    ["Error: Invalid prefsrc address.", "EINVAL"],
    ["Error: Invalid source address.", "EINVAL"],
    ["Error: FIB table does not exist.", "ESRCH"],
    ["Error: Exclusivity flag on, cannot modify.", "EEXIST"],
    ["Error: Cannot delete qdisc with handle of zero.", "ENOENT"],
    ["Error: Can not enslave a bridge to a bridge.", "ELOOP"],
    ["Error: Gateway can not be a local address.", "EINVAL"],
    ['Cannot find device "eth9"', "ENODEV"],
    ['Device "eth9" does not exist.', "ENODEV"],
    ['Error: argument "br9" is wrong: Device does not exist', "ENODEV"],
  ];
  for (const [stderr, errno] of messages) {
    await t.step(`${JSON.stringify(stderr)} is ${errno}`, async () => {
      const { inside } = both(() => ({ code: 2, stderr: `${stderr}\n` }));
      await rejectsKernel(inside.setLinkUp("eth0"), {
        errno,
        operation: "set link",
        object: '"eth0"',
      });
    });
  }
  await t.step("the kernel's explanation is in the message", async () => {
    const { inside } = both(() => ({
      code: 2,
      stderr: "Error: ipv4: Address already assigned.\n",
    }));
    await rejectsKernel(inside.addAddress("eth0", "10.1.0.5/24"), {
      errno: "EEXIST",
      message: /^EEXIST: add address 10\.1\.0\.5\/24 on "eth0": already exists: ipv4: Address/,
    });
  });
  await t.step("every text of the tables names a known errno", () => {
    for (const errno of Object.values(STRERROR_ERRNOS)) assert.match(errno, /^E[A-Z]+$/);
    for (const [, errno] of EXTACK_ERRNOS) assert.match(errno, /^E[A-Z]+$/);
  });
  const unknown: [string, string][] = [
    ["a message no table has", "Error: Something new happened.\n"],
    ["ip's own complaint", 'Error: either "dev" is duplicate, or "x" is a garbage.\n'],
    ["an unknown strerror", "RTNETLINK answers: Something odd\n"],
    ["nothing", ""],
  ];
  for (const [what, stderr] of unknown) {
    await t.step(`${what} is a CommandError with the output`, async () => {
      const { inside } = both(() => ({ code: 2, stderr }));
      await assert.rejects(inside.setLinkUp("eth0"), (error: unknown) => {
        assert.ok(error instanceof CommandError, String(error));
        assert.equal(error.output.stderr, stderr);
        return true;
      });
    });
  }
  await t.step("a time-out is a CommandError whatever stderr says", async () => {
    const { inside } = both(() => ({
      code: 137,
      signal: "SIGKILL",
      timedOut: true,
      stderr: "RTNETLINK answers: File exists\n",
    }));
    await assert.rejects(inside.addRoute({ dst: "10.9.0.0/16", dev: "eth0" }), {
      name: "CommandError",
      message: "ip route add 10.9.0.0/16 dev eth0 failed: timed out",
    });
  });
  await t.step("a signal is a failure", async () => {
    const { inside } = both(() => ({ code: 0, signal: "SIGSEGV" }));
    await assert.rejects(inside.setLinkUp("eth0"), CommandError);
  });
  await t.step("CommandError caps stderr at 1 KiB", async () => {
    const { inside } = both(() => ({ code: 1, stderr: "e".repeat(5000) }));
    await assert.rejects(inside.setLinkUp("eth0"), {
      message: `ip link set dev eth0 up failed: "${"e".repeat(1024)}" (3976 more bytes cut)`,
    });
  });
});

Deno.test("exec tells what is gone from what failed", async (t) => {
  const gone: { name: string; call: (ns: Netns) => Promise<boolean>; stderr: string }[] = [
    {
      name: "deleteLink()",
      call: (ns) => ns.deleteLink("veth1"),
      stderr: 'Cannot find device "veth1"',
    },
    {
      name: "deleteAddress()",
      call: (ns) => ns.deleteAddress("eth0", "10.1.0.5/24"),
      stderr: "Error: ipv4: Address not found.",
    },
    {
      name: "deleteAddress() of IPv6",
      call: (ns) => ns.deleteAddress("eth0", "2001:db8::5/64"),
      stderr: "Error: ipv6: address not found.",
    },
    {
      name: "deleteRoute()",
      call: (ns) => ns.deleteRoute({ dst: "10.9.0.0/16", dev: "eth0" }),
      stderr: "RTNETLINK answers: No such process",
    },
    {
      name: "deleteRoute() in a table that does not exist",
      call: (ns) => ns.deleteRoute({ dst: "10.9.0.0/16", dev: "eth0", table: 101 }),
      stderr: "Error: FIB table does not exist.",
    },
    {
      name: "deleteRootQdisc()",
      call: (ns) => ns.deleteRootQdisc("eth0"),
      stderr: "Error: Cannot delete qdisc with handle of zero.",
    },
  ];
  for (const row of gone) {
    await t.step(
      `${row.name} is true when done, false for ${JSON.stringify(row.stderr)}`,
      async () => {
        assert.equal(await row.call(both().inside), true);
        assert.equal(
          await row.call(both(() => ({ code: 2, stderr: `${row.stderr}\n` })).inside),
          false,
        );
      },
    );
  }
  const thrown: {
    name: string;
    call: (ns: Netns) => Promise<boolean>;
    stderr: string;
    errno: string;
  }[] = [
    {
      name: "deleteLink() of lo",
      call: (ns) => ns.deleteLink("lo"),
      stderr: "RTNETLINK answers: Operation not supported",
      errno: "EOPNOTSUPP",
    },
    {
      name: "deleteAddress() on a missing link",
      call: (ns) => ns.deleteAddress("eth9", "10.1.0.5/24"),
      stderr: 'Cannot find device "eth9"',
      errno: "ENODEV",
    },
    {
      name: "deleteRoute() through a missing link",
      call: (ns) => ns.deleteRoute({ dst: "10.9.0.0/16", dev: "eth9" }),
      stderr: 'Cannot find device "eth9"',
      errno: "ENODEV",
    },
    {
      name: "deleteRootQdisc() refused otherwise",
      call: (ns) => ns.deleteRootQdisc("eth0"),
      stderr: "RTNETLINK answers: Invalid argument",
      errno: "EINVAL",
    },
  ];
  for (const row of thrown) {
    await t.step(`${row.name} throws ${row.errno}`, async () => {
      const { inside } = both(() => ({ code: 2, stderr: `${row.stderr}\n` }));
      await rejectsKernel(row.call(inside), { errno: row.errno });
    });
  }
});

Deno.test("exec reads and writes sysctls as files under /proc/sys", async (t) => {
  await t.step("sysctlFile() follows sysctl's rule for dots and slashes", () => {
    assert.equal(sysctlFile("net.ipv4.ip_forward"), "/proc/sys/net/ipv4/ip_forward");
    assert.equal(sysctlFile("net/ipv4/ip_forward"), "/proc/sys/net/ipv4/ip_forward");
    assert.equal(
      sysctlFile("net.ipv4.conf.eth0/100.forwarding"),
      "/proc/sys/net/ipv4/conf/eth0.100/forwarding",
    );
    assert.equal(
      sysctlFile("net/ipv4/conf/eth0.100/forwarding"),
      "/proc/sys/net/ipv4/conf/eth0.100/forwarding",
    );
    assert.equal(sysctlFile("kernel"), "/proc/sys/kernel");
  });
  await t.step("sysctlGet() trims the value", async () => {
    const { own } = both(() => "1\n");
    assert.equal(await own.sysctlGet("net.ipv4.ip_forward"), "1");
  });
  const failures: {
    name: string;
    call: (ns: Netns) => Promise<unknown>;
    stderr: string;
    errno: string;
    operation: string;
  }[] = [
    {
      name: "a missing key read",
      call: (ns) => ns.sysctlGet("net.ipv4.nope"),
      stderr: "/usr/bin/cat: /proc/sys/net/ipv4/nope: No such file or directory",
      errno: "ENOENT",
      operation: "read sysctl",
    },
    {
      name: "a directory read",
      call: (ns) => ns.sysctlGet("net.ipv4.conf"),
      stderr: "/usr/bin/cat: /proc/sys/net/ipv4/conf: Is a directory",
      errno: "EISDIR",
      operation: "read sysctl",
    },
    {
      name: "a write-only key read",
      call: (ns) => ns.sysctlGet("net.ipv4.route.flush"),
      stderr: "cat: /proc/sys/net/ipv4/route/flush: Permission denied",
      errno: "EACCES",
      operation: "read sysctl",
    },
    {
      name: "a missing key written",
      call: (ns) => ns.sysctlSet("net.ipv4.nope", "1"),
      stderr: "/usr/bin/dd: failed to open '/proc/sys/net/ipv4/nope': No such file or directory",
      errno: "ENOENT",
      operation: "write sysctl",
    },
    {
      name: "a value the kernel refuses",
      call: (ns) => ns.sysctlSet("net.ipv4.ip_forward", "abc"),
      stderr: "/usr/bin/dd: error writing '/proc/sys/net/ipv4/ip_forward': Invalid argument",
      errno: "EINVAL",
      operation: "write sysctl",
    },
    {
      name: "a read-only key written",
      call: (ns) => ns.sysctlSet("net.ipv4.conf.all.mc_forwarding", "1"),
      stderr: "dd: failed to open '/proc/sys/net/ipv4/conf/all/mc_forwarding': Permission denied",
      errno: "EACCES",
      operation: "write sysctl",
    },
  ];
  for (const row of failures) {
    await t.step(`${row.name} is ${row.errno}`, async () => {
      const { inside } = both(() => ({ code: 1, stderr: `${row.stderr}\n` }));
      await rejectsKernel(row.call(inside), { errno: row.errno, operation: row.operation });
    });
  }
  await t.step("another failure is a CommandError", async () => {
    const { own } = both(() => ({ code: 1, stderr: "dd: invalid number: 'x'\n" }));
    await assert.rejects(own.sysctlSet("net.ipv4.ip_forward", "1"), CommandError);
  });
});

Deno.test("exec checks namespace paths before anything opens them", async (t) => {
  for (const kind of ["a FIFO", "a regular file", "a directory", "a socket"] as const) {
    await t.step(`the namespace being ${kind} is code 4 and runs nothing`, async () => {
      const { host, inside } = both(world, { namespacePaths: { [NS]: kind } });
      await assert.rejects(inside.links(), {
        code: 4,
        message: `"${NS}" is not a network namespace: it is ${kind}`,
      });
      assert.deepEqual(host.runs, []);
    });
  }
  await t.step("a missing namespace is NamespaceMissingError and runs nothing", async () => {
    const { host, inside } = both(world, { namespacePaths: { [NS]: "missing" } });
    await assert.rejects(inside.setLinkUp("eth0"), (error: unknown) => {
      assert.ok(error instanceof NamespaceMissingError);
      assert.equal(error.path, NS);
      return true;
    });
    assert.deepEqual(host.runs, []);
  });
  await t.step("the path is checked before every run, not only the first", async () => {
    const paths: Record<string, "netns" | "a FIFO"> = { [NS]: "netns" };
    const { host, inside } = both(world, { namespacePaths: paths });
    await inside.setLinkUp("eth0");
    paths[NS] = "a FIFO";
    await assert.rejects(inside.setLinkUp("eth0"), { code: 4 });
    assert.equal(host.runs.length, 1);
  });
  const targets: { name: string; call: (ns: Netns, path: string) => Promise<unknown> }[] = [
    {
      name: "a veth's peer namespace",
      call: (ns, path) => ns.createVeth({ name: "v0", peerName: "v1", peerNetns: path }),
    },
    {
      name: "a link's namespace",
      call: (ns, path) => ns.createLink({ kind: "bridge", name: "br1", netns: path }),
    },
    { name: "the namespace a link moves to", call: (ns, path) => ns.moveLink("eth0", path) },
  ];
  for (const row of targets) {
    for (const kind of ["a FIFO", "a regular file", "a directory"] as const) {
      await t.step(`${row.name} being ${kind} is code 4; ip never opens it`, async () => {
        const { host, inside } = both(world, { namespacePaths: { [OTHER]: kind } });
        await assert.rejects(row.call(inside, OTHER), {
          code: 4,
          message: `"${OTHER}" is not a network namespace: it is ${kind}`,
        });
        assert.deepEqual(argv(host).filter((run) => run[1] !== "-j"), []);
      });
    }
    await t.step(`${row.name} missing is NamespaceMissingError; ip never runs`, async () => {
      const { host, inside } = both(world, { namespacePaths: { [OTHER]: "missing" } });
      await assert.rejects(row.call(inside, OTHER), NamespaceMissingError);
      assert.deepEqual(argv(host).filter((run) => run[1] !== "-j"), []);
    });
    await t.step(`${row.name} gone before ip opens it is NamespaceMissingError`, async () => {
      const { inside } = both(() => ({
        code: 255,
        stderr: `Error: argument "${OTHER}" is wrong: Invalid "netns" value\n\n`,
      }));
      await assert.rejects(row.call(inside, OTHER), (error: unknown) => {
        assert.ok(error instanceof NamespaceMissingError, String(error));
        assert.equal(error.path, OTHER);
        return true;
      });
    });
  }
  for (const detail of ["No such file or directory", "Invalid argument"]) {
    await t.step(`nsenter's "cannot open" (${detail}) is a NamespaceMissingError`, async () => {
      const { inside } = both(() => ({
        code: 1,
        stderr: `nsenter: cannot open ${NS}: ${detail}\n`,
      }));
      await assert.rejects(inside.setLinkUp("eth0"), (error: unknown) => {
        assert.ok(error instanceof NamespaceMissingError);
        assert.equal(error.path, NS);
        assert.equal(error.message, `failed to open netns ${JSON.stringify(NS)}: ${detail}`);
        return true;
      });
    });
  }
  await t.step("another nsenter failure is a CommandError", async () => {
    const { inside } = both(() => ({
      code: 1,
      stderr: "nsenter: reassociate to namespace 'ns/net' failed: Operation not permitted\n",
    }));
    await assert.rejects(inside.setLinkUp("eth0"), CommandError);
  });
  await t.step("run() returns a failed run as it is", async () => {
    const { inside } = both(() => ({ code: 3, stderr: "x" }));
    assert.deepEqual(await inside.run("ip", ["x"]), { code: 3, stdout: "", stderr: "x" });
  });
  await t.step("ip() throws a failed run as a CommandError", async () => {
    const { inside } = both(() => ({ code: 3, stderr: "x" }));
    await assert.rejects(inside.ip(["x"]), { name: "CommandError", message: 'ip x failed: "x"' });
  });
});

Deno.test("exec runs programs in a clean environment with a time limit", async (t) => {
  await t.step("programs get only PATH and LC_ALL", async () => {
    const { host, inside, own } = both();
    await inside.setLinkUp("eth0");
    await own.sysctlSet("net.ipv4.ip_forward", "1");
    await own.run("ip", ["-V"]);
    assert.equal(host.runs.length, 3);
    for (const run of host.runs) assert.deepEqual(run.env, { PATH: SYSTEM_PATH, LC_ALL: "C" });
  });
  await t.step("SYSTEM_PATH is the system directories in order", () => {
    assert.deepEqual([...SYSTEM_DIRS], ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]);
    assert.equal(SYSTEM_PATH, "/usr/sbin:/usr/bin:/sbin:/bin");
  });
  await t.step("programs run with the toolkit's time limit, one minute by default", async () => {
    const { host, inside, own } = both();
    const limits: number[] = [];
    const run = host.run;
    host.run = (program, args, options) => {
      limits.push(options.timeoutMs);
      assert.equal(options.clearEnv, true);
      return run(program, args, options);
    };
    await inside.setLinkUp("eth0");
    await own.setLinkUp("eth0");
    assert.deepEqual(limits, [1234, 60_000]);
  });
  await t.step("a program is taken from the first system directory that has it", async () => {
    const host = fakeHost({ programs: { "/sbin/ip": () => "", "/bin/ip": () => "" } });
    await netns(undefined, { host }).setLinkUp("eth0");
    assert.equal(host.runs[0]?.program, "/sbin/ip");
  });
  await t.step("run() takes a program name, not a path", async () => {
    const { host, own } = both();
    await assert.rejects(own.run("/tmp/ip", []), {
      message: "a program name, not a path: /tmp/ip",
    });
    await assert.rejects(own.run("../ip", []), { message: "a program name, not a path: ../ip" });
    assert.deepEqual(host.runs, []);
  });
  const missing: [string, (ns: Netns) => Promise<unknown>, string][] = [
    ["ip", (ns) => ns.links(), " (Debian package iproute2)"],
    ["tc", (ns) => ns.qdiscs(), " (Debian package iproute2)"],
    ["nsenter", (ns) => ns.links(), " (Debian package util-linux)"],
    ["cat", (ns) => ns.sysctlGet("net.ipv4.ip_forward"), " (Debian package coreutils)"],
    ["dd", (ns) => ns.sysctlSet("net.ipv4.ip_forward", "1"), " (Debian package coreutils)"],
  ];
  for (const [program, call, from] of missing) {
    await t.step(`a missing ${program} names its Debian package`, async () => {
      const programs: Record<string, FakeProgram> = {};
      for (const name of ["ip", "tc", "nsenter", "cat", "dd"]) {
        if (name !== program) programs[name] = () => "[]";
      }
      const host = fakeHost({ programs });
      await assert.rejects(call(netns(NS, { host })), {
        message: `cannot find "${program}"${from} in /usr/sbin, /usr/bin, /sbin, /bin`,
      });
      assert.deepEqual(host.runs.filter((run) => !run.program.endsWith("/nsenter")), []);
    });
  }
});

const BAD_NAMES: [string, string][] = [
  ["a newline", "eth0\n"],
  ["a second command after a newline", "lo\nlink del eth0"],
  ["a space", "a b"],
  ["a slash", "a/b"],
  ["a colon", "a:b"],
  ["a tab", "a\tb"],
  ["a no-break space", "a\u00a0b"],
  ['"."', "."],
  ['".."', ".."],
  ["the empty name", ""],
  ["16 bytes", "abcdefghijklmnop"],
  ["16 bytes of non-ASCII", "é".repeat(8)],
  ["a NUL", "eth\u00000"],
];

Deno.test("netns() refuses bad interface names with code 7 and runs nothing", async (t) => {
  const methods: [string, (ns: Netns, name: string) => Promise<unknown>][] = [
    ["link()", (ns, name) => ns.link(name)],
    ["addresses()", (ns, name) => ns.addresses(name)],
    ["setLinkUp()", (ns, name) => ns.setLinkUp(name)],
    ["setLink() to a master", (ns, name) => ns.setLink("eth0", { master: name })],
    ["renameLink()", (ns, name) => ns.renameLink("eth0", name)],
    ["moveLink()", (ns, name) => ns.moveLink("eth0", OTHER, { name })],
    ["deleteLink()", (ns, name) => ns.deleteLink(name)],
    ["createVeth() for the name", (ns, name) => ns.createVeth({ name, peerName: "eth0" })],
    ["createVeth() for the peer", (ns, name) => ns.createVeth({ name: "veth1", peerName: name })],
    [
      "createLink() for the parent",
      (ns, name) => ns.createLink({ kind: "macvlan", name: "m0", parent: name }),
    ],
    ["addAddress()", (ns, name) => ns.addAddress(name, "10.1.0.5/24")],
    ["addRoute()", (ns, name) => ns.addRoute({ dst: "10.9.0.0/16", dev: name })],
    ["qdiscs()", (ns, name) => ns.qdiscs(name)],
    ["addTbf()", (ns, name) => ns.addTbf(name, { rate: 1, burst: 1, limit: 1 })],
  ];
  for (const [method, call] of methods) {
    for (const [what, name] of BAD_NAMES) {
      await t.step(`${method} refuses an interface name with ${what}`, async () => {
        const { host, inside } = both();
        await assert.rejects(async () => await call(inside, name), (error: unknown) => {
          assert.ok(error instanceof CniError, String(error));
          assert.equal(error.code, 7);
          assert.match(error.message, /^invalid interface name ".*": it /);
          return true;
        });
        assert.deepEqual(host.runs, []);
      });
    }
  }
});

Deno.test("checkInterfaceName()", async (t) => {
  const reasons: Record<string, string> = {
    "": "is empty",
    "abcdefghijklmnop": "is longer than 15 bytes",
    ".": 'is "." or ".."',
    "..": 'is "." or ".."',
    "eth\u00000": "contains a NUL character",
  };
  for (const [what, name] of BAD_NAMES) {
    await t.step(`checkInterfaceName() refuses ${what}`, () => {
      assert.throws(() => checkInterfaceName(name), (error: unknown) => {
        assert.ok(error instanceof CniError);
        const reason = reasons[name] ??
          (new TextEncoder().encode(name).length > 15
            ? "is longer than 15 bytes"
            : "contains / or : or white space");
        assert.equal(error.code, 7);
        assert.equal(error.message, `invalid interface name ${quote(name)}: it ${reason}`);
        return true;
      });
    });
  }
  for (
    const name of ["eth0", "veth1a2b3c4d", "abcdefghijklmno", "é".repeat(7) + "a", "br-0.100", "_x"]
  ) {
    await t.step(`checkInterfaceName() accepts ${JSON.stringify(name)}`, () => {
      assert.equal(checkInterfaceName(name), name);
    });
  }
});

/** Go's %q of the names above: JSON's quoting, with \x00 for NUL and \u00a0 kept escaped. */
function quote(name: string): string {
  return JSON.stringify(name).replace("\\u0000", "\\x00").replace("\u00a0", "\\u00a0");
}

Deno.test("netns() checks values before they reach a program", async (t) => {
  const refused: { name: string; call: (ns: Netns) => Promise<unknown>; message: string }[] = [
    {
      name: 'a sysctl key with ".."',
      call: (ns) => ns.sysctlGet("net/../../etc"),
      message: 'invalid sysctl key "net/../../etc"',
    },
    {
      name: "a sysctl key starting with -",
      call: (ns) => ns.sysctlGet("-w"),
      message: 'invalid sysctl key "-w"',
    },
    {
      name: "a sysctl key starting with /",
      call: (ns) => ns.sysctlGet("/etc/passwd"),
      message: 'invalid sysctl key "/etc/passwd"',
    },
    {
      name: "a sysctl key with =",
      call: (ns) => ns.sysctlSet("net.a=1", "0"),
      message: 'invalid sysctl key "net.a=1"',
    },
    {
      name: "a sysctl key with a space",
      call: (ns) => ns.sysctlGet("net a"),
      message: 'invalid sysctl key "net a"',
    },
    {
      name: "a sysctl key with a newline",
      call: (ns) => ns.sysctlGet("net.a\nb"),
      message: 'invalid sysctl key "net.a\\nb"',
    },
    {
      name: "an empty sysctl key",
      call: (ns) => ns.sysctlGet(""),
      message: 'invalid sysctl key ""',
    },
    {
      name: "a sysctl key ending in a dot",
      call: (ns) => ns.sysctlGet("net."),
      message: 'invalid sysctl key "net."',
    },
    {
      name: "a sysctl value with a newline",
      call: (ns) => ns.sysctlSet("net.ipv4.ip_forward", "1\nkernel.x=1"),
      message: 'invalid sysctl value "1\\nkernel.x=1": control characters',
    },
    {
      name: "a sysctl value with a carriage return",
      call: (ns) => ns.sysctlSet("net.ipv4.ip_forward", "1\r2"),
      message: 'invalid sysctl value "1\\r2": control characters',
    },
    {
      name: "a sysctl key outside net",
      call: (ns) => ns.sysctlSet("kernel.hostname", "x"),
      message:
        'invalid sysctl key "kernel.hostname": only net.* sysctls belong to a network namespace',
    },
    {
      name: "a link name with a number pattern",
      call: (ns) => ns.createLink({ kind: "bridge", name: "br%d" }),
      message:
        'invalid interface name "br%d": it has "%", which the kernel reads as a pattern for a free number',
    },
    {
      name: "an address without prefix",
      call: (ns) => ns.addAddress("eth0", "10.1.0.5"),
      message: 'invalid address "10.1.0.5"',
    },
    {
      name: "an address that is an option",
      call: (ns) => ns.addAddress("eth0", "-x"),
      message: 'invalid address "-x"',
    },
    {
      name: "a route destination that is not an address",
      call: (ns) => ns.addRoute({ dst: "10.9.0.0/16 via 1.2.3.4", dev: "eth0" }),
      message: 'invalid route destination "10.9.0.0/16 via 1.2.3.4"',
    },
    {
      name: "a gateway that is not an address",
      call: (ns) => ns.addRoute({ dst: "10.9.0.0/16", via: "gw", dev: "eth0" }),
      message: 'invalid gateway "gw"',
    },
    {
      name: "a source that is not an address",
      call: (ns) => ns.addRoute({ dst: "10.9.0.0/16", src: "10.1.0.5/24", dev: "eth0" }),
      message: 'invalid source address "10.1.0.5/24"',
    },
    {
      name: "a negative metric",
      call: (ns) => ns.addRoute({ dst: "10.9.0.0/16", dev: "eth0", metric: -1 }),
      message: "invalid metric -1",
    },
    {
      name: "a fractional table",
      call: (ns) => ns.addRoute({ dst: "10.9.0.0/16", dev: "eth0", table: 1.5 }),
      message: "invalid table 1.5",
    },
    {
      name: "a negative route table to list",
      call: (ns) => ns.routes(4, -1),
      message: "invalid table -1",
    },
    {
      name: "a negative veth MTU",
      call: (ns) => ns.createVeth({ name: "a", peerName: "b", mtu: -1 }),
      message: "invalid MTU -1",
    },
    {
      name: "a MAC address that is an option",
      call: (ns) => ns.setLink("eth0", { mac: "-x" }),
      message: 'invalid MAC address "-x"',
    },
    {
      name: "a macvlan mode that is not one",
      call: (ns) =>
        ns.createLink({ kind: "macvlan", name: "m0", parent: "eth0", mode: "up" as "bridge" }),
      message: 'invalid macvlan mode "up"',
    },
  ];
  for (const row of refused) {
    await t.step(`netns() refuses ${row.name} with code 7 and runs nothing`, async () => {
      const { host, inside } = both();
      await assert.rejects(async () => await row.call(inside), (error: unknown) => {
        assert.ok(error instanceof CniError, String(error));
        assert.deepEqual([error.code, error.message], [7, row.message]);
        return true;
      });
      assert.deepEqual(host.runs, []);
    });
  }
  const badPaths: [string, string][] = [
    ["a relative namespace path", "var/run/netns/c1"],
    ["a namespace path with a NUL", "/var/run/netns/c\u00001"],
    ["an empty namespace path", ""],
  ];
  for (const [name, path] of badPaths) {
    await t.step(`netns() refuses ${name} with code 4`, () => {
      assert.throws(() => netns(path, { host: hostWith() }), (error: unknown) => {
        assert.ok(error instanceof CniError);
        assert.equal(error.code, 4);
        assert.match(error.message, /^invalid netns path ".*": it must be absolute$/);
        return true;
      });
    });
    await t.step(`createVeth() and moveLink() refuse ${name} and run nothing`, async () => {
      const { host, inside } = both();
      await assert.rejects(
        async () => await inside.createVeth({ name: "a", peerName: "b", peerNetns: path }),
        { code: 4 },
      );
      await assert.rejects(async () => await inside.moveLink("eth0", path), { code: 4 });
      assert.deepEqual(host.runs, []);
    });
  }
  await t.step("netns() keeps its path, and none for the own namespace", () => {
    const { inside, own } = both();
    assert.deepEqual([inside.path, own.path, inside.backend], [NS, undefined, "exec"]);
  });
});
