/**
 * The model kernel against Linux (as root): each scenario runs its steps on the model and, with
 * `ip`, `tc` and /proc/sys, in throwaway namespaces of the real kernel; every step must get the
 * same answer (success or the same errno) and the namespaces must end in the same state (and at
 * each "check"). The namespaces are deleted afterwards, even on failure; nothing else is touched.
 *
 * The rules were read off Linux 6.18; older kernels differ in places (renaming a link that is up
 * was EBUSY before 6.2), so these tests run on 6.18 and later.
 */
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { type ModelKernel, modelKernel } from "../../lib/model_kernel.ts";
import { skipReason } from "../../lib/testing.ts";
import { RealKernel, type State, type Step } from "./_model_kernel_real.ts";

/** The oldest kernel whose behaviour the model was checked against. */
const CHECKED_ON = [6, 18];

async function kernelProblem(): Promise<string | undefined> {
  const release = (await Deno.readTextFile("/proc/sys/kernel/osrelease")).trim();
  const [major = 0, minor = 0] = release.split(/[.-]/).map(Number);
  const old = major < CHECKED_ON[0]! || (major === CHECKED_ON[0] && minor < CHECKED_ON[1]!);
  return old ? `needs Linux ${CHECKED_ON.join(".")} or later (this is ${release})` : undefined;
}

const skip = (await skipReason({ root: true, programs: ["ip", "tc", "strace", "python3"] })) ??
  (await kernelProblem());
if (skip !== undefined) console.log(`model kernel tests against Linux ignored: ${skip}`);

/**
 * A scenario's line: a step in a namespace, a wait for detection there, a comparison, or the
 * namespace's deletion.
 */
type Line = [string, Step] | [string, "settle" | "check" | "delete"];

/** A scenario: its namespaces and its lines, given the namespaces' paths. */
interface Scenario {
  name: string;
  namespaces: string[];
  lines: (path: (ns: string) => string) => Line[];
}

async function modelDo(kernel: ModelKernel, path: string, step: Step): Promise<string> {
  const ops = kernel.backend.open(path);
  let value: string | undefined;
  try {
    switch (step.op) {
      case "createLink":
        await ops.createLink(step.spec);
        break;
      case "setLink":
        await ops.setLink(step.name, step.changes);
        break;
      case "renameLink":
        await ops.renameLink(step.name, step.newName);
        break;
      case "moveLink":
        await ops.moveLink(step.name, step.to, step.newName);
        break;
      case "deleteLink":
        await ops.deleteLink(step.name);
        break;
      case "addAddress":
        await ops.addAddress(step.dev, step.cidr, {
          ...(step.noDad && { noDad: true }),
          ...(step.noPrefixRoute && { noPrefixRoute: true }),
        });
        break;
      case "deleteAddress":
        await ops.deleteAddress(step.dev, step.cidr);
        break;
      case "addRoute":
        await ops.addRoute(step.route, step.replace === true);
        break;
      case "deleteRoute":
        await ops.deleteRoute(step.route);
        break;
      case "addTbf":
        await ops.addTbf(step.dev, step.spec);
        break;
      case "deleteRootQdisc":
        await ops.deleteRootQdisc(step.dev);
        break;
      case "sysctlSet":
        await ops.sysctlSet(step.key, step.value);
        break;
      case "sysctlGet":
        value = await ops.sysctlGet(step.key);
        break;
    }
  } catch (error) {
    return kernel.log.at(-1)?.errno ?? String(error);
  }
  const errno = kernel.log.at(-1)?.errno;
  return errno ?? (value === undefined ? "ok" : `ok ${value}`);
}

function modelState(kernel: ModelKernel, path: string): State {
  const snapshot = kernel.snapshot(path);
  return {
    links: snapshot.links,
    addresses: snapshot.addresses,
    ipv4: snapshot.routes.ipv4,
    ipv6: snapshot.routes.ipv6,
    qdiscs: snapshot.qdiscs.map((q) => ({ ...q, handle: q.handle === 0 ? 0 : 1 })),
  };
}

function describe(step: Step): string {
  const { op, ...rest } = step;
  return `${op} ${JSON.stringify(rest)}`;
}

async function compare(scenario: Scenario): Promise<void> {
  const real = await RealKernel.open(scenario.namespaces);
  try {
    const model = modelKernel();
    for (const ns of scenario.namespaces) model.addNamespace(real.path(ns));
    const answers: string[] = [];
    const expected: string[] = [];
    const paths = new Map(scenario.namespaces.map((ns) => [ns, real.path(ns)]));
    const checkState = async (ns: string, where: string) => {
      await real.settle(ns);
      const wanted = modelState(model, paths.get(ns)!);
      // What the kernel does when a namespace goes (its links' peers) it does a moment later.
      let state = await real.state(ns);
      for (let i = 0; i < 30 && !isDeepStrictEqual(wanted, state); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        state = await real.state(ns);
      }
      assert.deepEqual(wanted, state, `the state of ${ns} ${where} (after: ${answers.at(-1)})`);
    };
    for (const [ns, step] of scenario.lines((name) => paths.get(name)!)) {
      if (step === "delete") {
        model.deleteNamespace(paths.get(ns)!);
        await real.delete(ns);
        paths.delete(ns);
      } else if (step === "settle") {
        await real.settle(ns);
      } else if (step === "check") {
        assert.deepEqual(answers, expected);
        await checkState(ns, `at line ${answers.length}`);
      } else {
        const label = `${ns}: ${describe(step)}`;
        expected.push(`${label} -> ${await real.do(ns, step)}`);
        answers.push(`${label} -> ${await modelDo(model, real.path(ns), step)}`);
      }
    }
    assert.deepEqual(answers, expected);
    for (const ns of paths.keys()) await checkState(ns, "at the end");
  } finally {
    await real.close();
  }
}

/** Lines that make a veth pair in `ns` with fixed hardware addresses 02:00:00:00:00:<id>. */
function veth(ns: string, name: string, peer: string, id: number, more = {}): Line {
  const mac = (n: number) => `02:00:00:00:00:${n.toString(16).padStart(2, "0")}`;
  return [ns, {
    op: "createLink",
    spec: { kind: "veth", name, peerName: peer, mac: mac(id), peerMac: mac(id + 1), ...more },
  }];
}

function up(ns: string, ...names: string[]): Line[] {
  return names.map((name) => [ns, { op: "setLink", name, changes: { up: true } }]);
}

function addr(
  ns: string,
  dev: string,
  cidr: string,
  options: { noDad?: boolean; noPrefixRoute?: boolean } = {},
): Line {
  return [ns, { op: "addAddress", dev, cidr, ...options }];
}

function route(
  ns: string,
  r: Step & { op: "addRoute" } extends { route: infer R } ? R : never,
  replace = false,
): Line {
  return [ns, { op: "addRoute", route: r, replace }];
}

function del(
  ns: string,
  r: Step & { op: "deleteRoute" } extends { route: infer R } ? R : never,
): Line {
  return [ns, { op: "deleteRoute", route: r }];
}

function sysctl(ns: string, key: string, value?: string): Line {
  return value === undefined
    ? [ns, { op: "sysctlGet", key }]
    : [ns, { op: "sysctlSet", key, value }];
}

const SCENARIOS: Scenario[] = [
  {
    name: "a veth pair across namespaces: indexes, namespace ids, carrier, link-local addresses",
    namespaces: ["a", "b"],
    lines: (path) => [
      veth("a", "v0", "eth0", 1, { peerNetns: path("b"), mtu: 9000 }),
      veth("a", "x0", "x1", 3),
      ["a", { op: "deleteLink", name: "x0" }],
      veth("a", "y0", "y1", 5),
      ...up("a", "v0"),
      addr("b", "eth0", "10.1.0.5/24"),
      addr("b", "eth0", "2001:db8::5/64"),
      ["b", "check"],
      ...up("b", "eth0", "lo"),
      ["b", "check"],
      ["b", "settle"],
      route("b", { dst: "0.0.0.0/0", via: "10.1.0.1", dev: "eth0" }),
      route("b", { dst: "::/0", via: "fe80::1", dev: "eth0" }),
      addr("a", "v0", "10.1.0.1/24"),
      ...up("a", "y0", "y1"),
      ["a", "settle"],
      ["a", { op: "moveLink", name: "y1", to: path("b") }],
      ["b", { op: "moveLink", name: "y1", to: path("a"), newName: "y9" }],
      ["a", {
        op: "setLink",
        name: "x1",
        changes: { promisc: true, allmulti: true, txqueuelen: 0 },
      }],
    ],
  },
  {
    name: "IPv4 addresses and routes",
    namespaces: ["a"],
    lines: () => [
      veth("a", "v0", "v1", 1),
      veth("a", "w0", "w1", 3),
      veth("a", "d0", "d1", 5),
      ...up("a", "v0", "v1", "w0", "w1"),
      addr("a", "v0", "10.1.0.5/24"),
      addr("a", "d0", "10.30.0.5/24"),
      ["a", "check"],
      addr("a", "v0", "10.1.0.6/24"),
      addr("a", "v0", "10.2.0.5/16"),
      addr("a", "v0", "10.3.0.5/32"),
      addr("a", "v0", "10.4.0.0/31"),
      addr("a", "v0", "10.5.0.5/24", { noPrefixRoute: true }),
      addr("a", "v0", "10.1.0.5/16"),
      addr("a", "v0", "10.1.0.5/24"),
      addr("a", "w0", "10.8.0.5/24"),
      ["a", "check"],
      route("a", { dst: "10.9.0.0/16", via: "10.1.0.1", dev: "v0" }),
      route("a", { dst: "10.9.0.0/16", via: "10.1.0.2", dev: "v0" }),
      route("a", { dst: "10.9.0.0/16", via: "10.8.0.1", dev: "w0" }),
      route("a", { dst: "10.9.0.0/16", via: "10.8.0.1", dev: "w0", metric: 5 }),
      route("a", { dst: "10.9.0.0/16", via: "10.8.0.1", dev: "w0", metric: 5, table: 100 }),
      route("a", { dst: "10.9.0.0/16", dev: "w0", metric: 6 }),
      route("a", { dst: "10.9.0.0/16", dev: "w0", metric: 6, scope: "link" }),
      route("a", { dst: "10.7.0.0/16", via: "10.3.0.1", dev: "v0" }),
      route("a", { dst: "10.7.0.0/16", via: "10.8.0.1", dev: "v0" }),
      route("a", { dst: "10.7.0.0/16", via: "10.9.0.1", dev: "v0" }),
      route("a", { dst: "10.7.0.0/16", via: "10.1.0.255", dev: "v0" }),
      route("a", { dst: "10.7.0.0/16", via: "10.1.0.1", dev: "v0", scope: "host" }),
      route("a", { dst: "10.7.0.0/16", via: "10.1.0.1", dev: "v0", scope: "link" }),
      route("a", { dst: "10.7.0.0/16", via: "10.1.0.1", dev: "v0", src: "10.6.6.6" }),
      route("a", { dst: "10.7.5.5/16", via: "10.1.0.1", dev: "v0" }),
      route("a", { dst: "10.7.0.0/16", via: "10.1.0.5", dev: "v0" }),
      route("a", { dst: "10.6.0.0/16", via: "10.1.0.1", dev: "v0", src: "10.8.0.5" }),
      route("a", { dst: "10.6.1.0/24", via: "10.1.0.1", dev: "v0", mtu: 1400, advmss: 1360 }),
      route("a", { dst: "10.6.2.0/24", dev: "v0", scope: "host" }),
      route("a", { dst: "10.6.3.0/24", dev: "v0", scope: 7 }),
      route("a", { dst: "10.6.4.0/24", dev: "v0", src: "10.1.0.5", table: 200 }),
      route("a", { dst: "0.0.0.0/0", via: "10.1.0.1", dev: "v0" }),
      route("a", { dst: "10.31.0.0/16", dev: "d0" }),
      route("a", { dst: "10.31.0.0/16", via: "10.30.0.1", dev: "d0" }),
      route("a", { dst: "10.31.0.0/16", dev: "d0", scope: "host" }),
      ["a", "check"],
      route("a", { dst: "10.9.0.0/16", via: "10.1.0.3", dev: "v0" }, true),
      route("a", { dst: "10.5.0.0/16", via: "10.1.0.3", dev: "v0" }, true),
      route("a", { dst: "10.9.0.0/16", via: "10.8.0.3", dev: "w0", metric: 5 }, true),
      del("a", { dst: "10.9.0.0/16", dev: "w0" }),
      del("a", { dst: "10.9.0.0/16", dev: "w0" }),
      del("a", { dst: "10.9.0.0/16", dev: "w0" }),
      del("a", { dst: "10.9.0.0/16", dev: "v0", metric: 3 }),
      del("a", { dst: "10.5.0.0/16", dev: "v0", scope: "link" }),
      del("a", { dst: "10.5.0.0/16", dev: "v0", table: 100 }),
      del("a", { dst: "10.5.0.5/16", dev: "v0" }),
      del("a", { dst: "10.5.0.0/16", via: "10.1.0.3", dev: "v0" }),
      del("a", { dst: "10.1.0.0/24", dev: "v0" }),
      ["a", "check"],
      ["a", { op: "setLink", name: "v0", changes: { up: false } }],
      ["a", "check"],
      ["a", { op: "setLink", name: "v0", changes: { up: true } }],
      ["a", { op: "deleteAddress", dev: "v0", cidr: "10.1.0.5/24" }],
      ["a", { op: "deleteAddress", dev: "v0", cidr: "10.1.0.5/24" }],
      ["a", { op: "deleteAddress", dev: "v0", cidr: "10.2.0.5/24" }],
      sysctl("a", "net.ipv4.conf.w0.promote_secondaries", "1"),
      addr("a", "w0", "10.8.0.6/24"),
      addr("a", "w0", "10.8.0.7/24"),
      ["a", { op: "deleteAddress", dev: "w0", cidr: "10.8.0.5/24" }],
      ["a", "check"],
      addr("a", "v1", "10.20.0.1/24"),
      route("a", { dst: "10.21.0.0/16", via: "10.20.0.2", dev: "v1" }),
      route("a", { dst: "10.22.0.0/16", dev: "v1", scope: "host" }),
      ["a", { op: "deleteAddress", dev: "v1", cidr: "10.20.0.1/24" }],
      addr("a", "lo", "10.9.9.9/32"),
      ...up("a", "lo"),
      ["a", "check"],
      ["a", { op: "setLink", name: "lo", changes: { up: false } }],
      ["a", { op: "deleteAddress", dev: "lo", cidr: "127.0.0.1/8" }],
      ...up("a", "lo"),
    ],
  },
  {
    name: "IPv6 addresses and routes",
    namespaces: ["a"],
    lines: () => [
      veth("a", "v0", "v1", 1),
      veth("a", "w0", "w1", 3),
      veth("a", "d0", "d1", 5),
      addr("a", "v0", "2001:db8::5/64"),
      addr("a", "v0", "2001:db8:1::5/64", { noDad: true }),
      ["a", "check"],
      ...up("a", "v0"),
      ["a", "check"],
      ...up("a", "v1"),
      ["a", "settle"],
      ["a", "check"],
      addr("a", "v0", "2001:db8::5/80"),
      addr("a", "v0", "ff02::5/64"),
      addr("a", "v0", "::1/128"),
      addr("a", "v0", "::/64"),
      addr("a", "v1", "2001:db8::5/64", { noDad: true }),
      addr("a", "v0", "2001:db8::6/64", { noDad: true }),
      addr("a", "v0", "2001:db8:2::5/128", { noDad: true }),
      addr("a", "v0", "2001:db8:3::5/64", { noDad: true, noPrefixRoute: true }),
      route("a", { dst: "2001:db8:9::/48", via: "2001:db8:1::1", dev: "v0" }),
      route("a", { dst: "2001:db8:9::/48", via: "2001:db8:1::2", dev: "v0" }),
      route("a", { dst: "2001:db8:9::/48", dev: "w0", metric: 0 }),
      ...up("a", "w0", "w1"),
      addr("a", "w0", "2001:db8:4::5/64", { noDad: true }),
      ["a", "settle"],
      route("a", { dst: "2001:db8:9::/48", dev: "w0", metric: 0 }),
      route("a", { dst: "2001:db8:9::/48", via: "2001:db8:4::1", dev: "w0", metric: 5 }),
      route("a", {
        dst: "2001:db8:9::/48",
        via: "2001:db8:4::1",
        dev: "w0",
        metric: 5,
        table: 100,
      }),
      route("a", { dst: "2001:db8:8::/48", via: "2001:db8:7::1", dev: "v0" }),
      route("a", { dst: "2001:db8:8::/48", via: "2001:db8:4::1", dev: "v0" }),
      route("a", { dst: "2001:db8:8::/48", via: "2001:db8:9::1", dev: "v0" }),
      route("a", { dst: "2001:db8:8::/48", via: "::ffff:10.0.0.1", dev: "v0" }),
      route("a", { dst: "2001:db8:8::/48", via: "2001:db8:4::5", dev: "v0" }),
      route("a", { dst: "2001:db8:8::/48", via: "2001:db8:1::1", dev: "v0", src: "2001:db8:7::5" }),
      route("a", { dst: "2001:db8:8::/48", via: "fe80::1", dev: "lo" }),
      route("a", { dst: "2001:db8:8::/48", via: "fe80::1", dev: "d0" }),
      route("a", { dst: "2001:db8:8::/48", via: "fe80::99", dev: "v0" }),
      route("a", { dst: "2001:db8:7::/48", via: "2001:db8:1::1", dev: "v0", src: "2001:db8:4::5" }),
      route("a", { dst: "2001:db8:6:2::5/64", dev: "v0", scope: "link" }),
      route("a", {
        dst: "2001:db8:6:1::/64",
        via: "2001:db8:1::1",
        dev: "v0",
        mtu: 1400,
        advmss: 1300,
      }),
      route("a", { dst: "::/0", via: "2001:db8:1::1", dev: "v0" }),
      ["a", "check"],
      route("a", { dst: "2001:db8:9::/48", via: "2001:db8:1::3", dev: "v0" }, true),
      route("a", { dst: "2001:db8:9::/48", via: "2001:db8:1::3", dev: "v0", metric: 7 }, true),
      del("a", { dst: "2001:db8:9::/48", dev: "w0" }),
      del("a", { dst: "2001:db8:9::/48", dev: "w0" }),
      del("a", { dst: "2001:db8:9::/48", via: "2001:db8:1::9", dev: "v0" }),
      del("a", { dst: "2001:db8:9::5/48", dev: "v0" }),
      ["a", { op: "deleteAddress", dev: "v0", cidr: "2001:db8::5/64" }],
      ["a", { op: "deleteAddress", dev: "v0", cidr: "2001:db8:1::5/80" }],
      ["a", "check"],
      sysctl("a", "net.ipv6.conf.w0.keep_addr_on_down", "1"),
      addr("a", "w0", "2001:db8:5::5/64"),
      ["a", "settle"],
      ["a", { op: "setLink", name: "w0", changes: { up: false } }],
      ["a", "check"],
      ...up("a", "w0"),
      ["a", "settle"],
      ["a", "check"],
      sysctl("a", "net.ipv6.conf.v0.disable_ipv6", "1"),
      addr("a", "v0", "2001:db8::7/64"),
      route("a", { dst: "2001:db8:5::/64", dev: "v0" }),
      ["a", "check"],
      sysctl("a", "net.ipv6.conf.v0.disable_ipv6", "0"),
      sysctl("a", "net.ipv6.conf.v1.addr_gen_mode", "1"),
      ["a", { op: "setLink", name: "v1", changes: { up: false } }],
      ...up("a", "v1", "lo"),
      ["a", "settle"],
      ["a", "check"],
      ["a", { op: "setLink", name: "v0", changes: { up: false } }],
    ],
  },
  {
    name: "links: names, MTUs, hardware addresses, bridges, macvlans, moves",
    namespaces: ["a", "b"],
    lines: (path) => [
      veth("a", "v0", "v1", 1),
      veth("a", "v0", "n1", 3),
      veth("a", "n0", "v1", 3),
      veth("a", "n0", "n0", 3),
      veth("a", "n0", "n1", 3, { mtu: 67 }),
      veth("a", "n0", "n1", 3, { mtu: 70000 }),
      ["a", { op: "createLink", spec: { kind: "bridge", name: "bx", mtu: 70000 } }],
      ["a", {
        op: "createLink",
        spec: { kind: "veth", name: "n0", peerName: "n1", mac: "03:00:00:00:00:01" },
      }],
      ["a", { op: "createLink", spec: { kind: "bridge", name: "bx", mac: "00:00:00:00:00:00" } }],
      ["a", { op: "setLink", name: "v0", changes: { mtu: 67 } }],
      ["a", { op: "setLink", name: "v0", changes: { mtu: 65536 } }],
      ["a", { op: "setLink", name: "v0", changes: { mac: "01:00:00:00:00:01" } }],
      ["a", { op: "setLink", name: "v0", changes: { mtu: 65535 } }],
      ["a", { op: "setLink", name: "lo", changes: { mtu: 100 } }],
      veth("a", "p0", "p1", 0x0a, { mtu: 9000 }),
      veth("a", "q0", "q1", 0x06, { mtu: 1400 }),
      ["a", { op: "createLink", spec: { kind: "bridge", name: "br0", mtu: 1300 } }],
      ["a", { op: "createLink", spec: { kind: "bridge", name: "br1", mac: "02:00:00:00:00:b1" } }],
      ["a", { op: "setLink", name: "p0", changes: { master: "br0" } }],
      ["a", { op: "setLink", name: "q0", changes: { master: "br0" } }],
      ["a", { op: "setLink", name: "q0", changes: { mac: "0e:00:00:00:00:0e", mtu: 1350 } }],
      ["a", { op: "setLink", name: "v0", changes: { master: "v1" } }],
      ["a", { op: "setLink", name: "br1", changes: { master: "br0" } }],
      ["a", { op: "setLink", name: "lo", changes: { master: "br0" } }],
      ["a", { op: "setLink", name: "v0", changes: { master: "nope" } }],
      ["a", { op: "setLink", name: "q0", changes: { master: "br1" } }],
      ["a", "check"],
      ["a", { op: "setLink", name: "p0", changes: { master: null } }],
      ["a", { op: "deleteLink", name: "q1" }],
      ["a", { op: "setLink", name: "br0", changes: { mtu: 1600 } }],
      ["a", { op: "setLink", name: "p0", changes: { master: "br0" } }],
      ["a", { op: "setLink", name: "br0", changes: { mtu: 1600 } }],
      ["a", { op: "setLink", name: "p0", changes: { mtu: 1450 } }],
      ["a", "check"],
      ["a", {
        op: "createLink",
        spec: { kind: "macvlan", name: "mv0", parent: "v0", mac: "02:00:00:00:00:31" },
      }],
      ["a", { op: "createLink", spec: { kind: "macvlan", name: "mv1", parent: "v0", mtu: 65536 } }],
      ["a", { op: "createLink", spec: { kind: "macvlan", name: "mv1", parent: "nope" } }],
      ["a", { op: "createLink", spec: { kind: "macvlan", name: "mv1", parent: "lo" } }],
      ["a", { op: "createLink", spec: { kind: "macvlan", name: "mv1", parent: "p0" } }],
      ["a", { op: "setLink", name: "v0", changes: { master: "br0" } }],
      [
        "a",
        {
          op: "createLink",
          spec: {
            kind: "macvlan",
            name: "mv2",
            parent: "mv0",
            mac: "02:00:00:00:00:32",
            mode: "bridge",
          },
        },
      ],
      [
        "a",
        {
          op: "createLink",
          spec: {
            kind: "macvlan",
            name: "eth0",
            parent: "v0",
            mac: "02:00:00:00:00:33",
            netns: path("b"),
          },
        },
      ],
      ["a", { op: "setLink", name: "mv2", changes: { mtu: 70000 } }],
      ["a", { op: "setLink", name: "v0", changes: { mtu: 1500 } }],
      ["a", "check"],
      ["b", "check"],
      ["a", { op: "deleteLink", name: "v1" }],
      ["b", "check"],
      ["a", { op: "createLink", spec: { kind: "bridge", name: "br3", mac: "02:00:00:00:00:b3" } }],
      ...up("a", "br3"),
      veth("a", "s0", "s1", 0x40),
      ["a", { op: "setLink", name: "s0", changes: { master: "br3" } }],
      ...up("a", "s0", "s1"),
      ["a", "settle"],
      ["a", { op: "renameLink", name: "s1", newName: "s9" }],
      ["a", { op: "renameLink", name: "s9", newName: "s0" }],
      ["a", { op: "moveLink", name: "br3", to: path("b") }],
      ["a", { op: "moveLink", name: "lo", to: path("b") }],
      veth("b", "p0", "p9", 0x50),
      ["a", { op: "moveLink", name: "p0", to: path("b") }],
      ["a", { op: "moveLink", name: "p0", to: path("b"), newName: "p8" }],
      ["a", { op: "deleteLink", name: "lo" }],
      ["a", { op: "deleteLink", name: "nope" }],
      ["a", { op: "setLink", name: "s0", changes: { up: false } }],
    ],
  },
  {
    name: "deleting a namespace: the links tied to its links go",
    namespaces: ["a", "b", "c"],
    lines: (path) => [
      veth("a", "v0", "eth0", 1, { peerNetns: path("b") }),
      veth("a", "w0", "w1", 3),
      veth("b", "x0", "x1", 5),
      [
        "b",
        {
          op: "createLink",
          spec: {
            kind: "macvlan",
            name: "m0",
            parent: "x0",
            mac: "02:00:00:00:00:21",
            netns: path("c"),
          },
        },
      ],
      [
        "c",
        {
          op: "createLink",
          spec: {
            kind: "veth",
            name: "y0",
            peerName: "y1",
            mac: "02:00:00:00:00:31",
            peerMac: "02:00:00:00:00:32",
            peerNetns: path("a"),
          },
        },
      ],
      ["a", "check"],
      ["c", "check"],
      ["b", "delete"],
      ["a", "check"],
      ["c", "check"],
      ["c", "delete"],
    ],
  },
  {
    name: "qdiscs: defaults and token bucket filters",
    namespaces: ["a"],
    lines: () => [
      veth("a", "v0", "v1", 1),
      veth("a", "w0", "w1", 3),
      ["a", "check"],
      ...up("a", "lo", "v0"),
      ["a", { op: "addTbf", dev: "v0", spec: { rate: 125000, burst: 10240, latencyUs: 25000 } }],
      ["a", { op: "addTbf", dev: "v0", spec: { rate: 125000, burst: 10240, latencyUs: 25000 } }],
      ["a", { op: "addTbf", dev: "v1", spec: { rate: 1_000_000, burst: 1500, limit: 20000 } }],
      ["a", {
        op: "addTbf",
        dev: "w0",
        spec: { rate: 1_250_000_000, burst: 5242880, limit: 104857600 },
      }],
      ["a", {
        op: "addTbf",
        dev: "w1",
        spec: { rate: 125000, burst: 2048, limit: 1000, peakrate: 125000, mtu: 1600 },
      }],
      ["a", {
        op: "addTbf",
        dev: "w1",
        spec: { rate: 125000, burst: 2048, limit: 1000, peakrate: 250000, mtu: 1600 },
      }],
      ["a", { op: "addTbf", dev: "lo", spec: { rate: 1, burst: 1, limit: 1 } }],
      ["a", "check"],
      ["a", { op: "deleteRootQdisc", dev: "v0" }],
      ["a", { op: "deleteRootQdisc", dev: "v0" }],
      ["a", { op: "deleteRootQdisc", dev: "v1" }],
      ["a", { op: "deleteRootQdisc", dev: "v1" }],
      ["a", {
        op: "addTbf",
        dev: "v1",
        spec: { rate: 5_000_000_000, burst: 5242880, limit: 104857600 },
      }],
      ["a", { op: "setLink", name: "v0", changes: { up: false } }],
      ...up("a", "v1"),
    ],
  },
  {
    name: "sysctls: values, checks and what writes set off",
    namespaces: ["a"],
    lines: () => [
      sysctl("a", "net.ipv4.ip_forward", "0"),
      veth("a", "v0", "v0.5", 1),
      ...[
        "net.ipv4.ip_forward",
        "net.ipv4.conf.all.accept_redirects",
        "net.ipv6.conf.all.forwarding",
        "net.core.somaxconn",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.conf.lo.disable_policy",
        "net.ipv6.conf.lo.mtu",
        "net.ipv6.conf.lo.accept_dad",
        "net.ipv4.neigh.v0.locktime",
        "net.ipv6.conf.v0.mtu",
        "net.ipv4.conf.v0/5.rp_filter",
        "net/ipv4/conf/v0.5/rp_filter",
        "net.ipv4.nope",
        "net.ipv4.route.flush",
        "net.ipv6.conf.v0.stable_secret",
        "net.ipv4.tcp_congestion_control",
      ].map((key) => sysctl("a", key)),
      sysctl("a", "net.ipv4.conf.v0.forwarding", "0"),
      sysctl("a", "net.ipv4.ip_forward", "1"),
      ...["all", "default", "lo", "v0", "v0/5"].map((n) =>
        sysctl("a", `net.ipv4.conf.${n}.forwarding`)
      ),
      sysctl("a", "net.ipv4.conf.all.accept_redirects"),
      sysctl("a", "net.ipv4.conf.v0.rp_filter", "1"),
      sysctl("a", "net.ipv4.conf.default.rp_filter", "2"),
      ...["v0", "v0/5", "lo"].map((n) => sysctl("a", `net.ipv4.conf.${n}.rp_filter`)),
      sysctl("a", "net.ipv6.conf.v0.forwarding", "3"),
      sysctl("a", "net.ipv6.conf.all.forwarding", "2"),
      ...["default", "lo", "v0"].map((n) => sysctl("a", `net.ipv6.conf.${n}.forwarding`)),
      ...[
        ["net.ipv4.conf.lo.forwarding", "abc"],
        ["net.ipv4.conf.lo.forwarding", "1abc"],
        ["net.ipv4.conf.lo.forwarding", "+1"],
        ["net.ipv4.conf.lo.forwarding", "2147483648"],
        ["net.ipv4.conf.lo.forwarding", "0x10"],
        ["net.ipv4.conf.lo.forwarding", "010"],
        ["net.ipv4.conf.lo.forwarding", " 5"],
        ["net.ipv4.conf.lo.forwarding", ""],
        ["net.ipv4.conf.all.mc_forwarding", "1"],
        ["net.ipv4.conf.lo.mc_forwarding", "1"],
        ["net.ipv4.nope", "1"],
        ["net.ipv4.route.flush", "1"],
        ["net.core.somaxconn", "-1"],
        ["net.core.somaxconn", "5 6"],
        ["net.ipv6.conf.lo.addr_gen_mode", "4"],
        ["net.ipv6.conf.all.mtu", "1279"],
        ["net.ipv6.conf.all.mtu", "99999"],
        ["net.ipv6.conf.v0.mtu", "1501"],
        ["net.ipv6.conf.v0.mtu", "1280"],
        ["net.ipv6.conf.v0.ioam6_id_wide", "-1"],
        ["net.ipv4.ip_local_port_range", "1000 2000"],
        ["net.ipv4.ip_local_port_range", "40000 70000"],
        ["net.ipv4.ip_local_port_range", "40000 39999"],
        ["net.ipv4.ip_local_port_range", "40000 65535"],
        ["net.ipv4.ip_unprivileged_port_start", "40001"],
        ["net.ipv4.ip_unprivileged_port_start", "40000"],
        ["net.ipv4.ping_group_range", "0 4294967295"],
        ["net.ipv4.ping_group_range", "0 4294967294"],
        ["net.ipv4.ping_group_range", "5 3"],
        ["net.ipv6.conf.v0.stable_secret", "x"],
        ["net.ipv6.conf.v0.stable_secret", "::1"],
        ["net.ipv4.tcp_congestion_control", "nope"],
        ["net.ipv4.tcp_congestion_control", "cubic"],
        ["net.ipv4.tcp_congestion_control", "reno"],
      ].flatMap(([key, value]) => [sysctl("a", key!, value!), sysctl("a", key!)]),
      sysctl("a", "net.ipv6.conf.all.disable_ipv6", "1"),
      veth("a", "x0", "x1", 3),
      ...["default", "lo", "v0", "x0"].map((n) => sysctl("a", `net.ipv6.conf.${n}.disable_ipv6`)),
    ],
  },
];

for (const scenario of SCENARIOS) {
  Deno.test({
    name: `the model kernel behaves as Linux: ${scenario.name}`,
    ignore: skip !== undefined,
    fn: () => compare(scenario),
  });
}
