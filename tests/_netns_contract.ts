/**
 * The namespace toolkit's contract: cases that run the same operations through `netns(path,
 * { host, backend })` on any backend (exec, netlink, the model kernel), assert what Linux does,
 * and return what they saw as plain data, so the runner (tests/netns_contract_test.ts) can also
 * compare the backends with each other: the real kernel is the reference.
 *
 * A case gets a {@link ContractTarget}: fresh namespaces, the toolkit in each, files that are not
 * namespaces, and a count of the backend operations run (to show that a refusal came before any).
 * What a case returns leaves out what differs between runs by nature (random hardware addresses,
 * namespace paths); indexes, flags, routes and errnos are kept.
 */
import assert from "node:assert/strict";
import { CniError } from "../lib/errors.ts";
import type { NamespaceOps, NetnsBackend } from "../lib/net_backend.ts";
import { KernelError, NamespaceMissingError } from "../lib/net_errors.ts";
import type { Address, KernelRoute, Link, Qdisc } from "../lib/net_types.ts";
import { formatCidr, parseCidr } from "../lib/ip.ts";
import type { Netns } from "../lib/netns.ts";

/** The kinds of link the toolkit creates. */
export type LinkKind = "veth" | "macvlan" | "ipvlan" | "vlan" | "bridge" | "dummy";

/** Every kind of link the toolkit creates. */
export const LINK_KINDS: readonly LinkKind[] = [
  "veth",
  "macvlan",
  "ipvlan",
  "vlan",
  "bridge",
  "dummy",
];

/** What is put at a path that is not a namespace. */
export type NotANamespace = "a FIFO" | "a regular file" | "a directory";

/** A backend to run the cases on, with what the cases need around it. */
export interface ContractTarget {
  /** The backend's name. */
  readonly name: NetnsBackend["kind"];
  /** The kinds of link this kernel creates. */
  readonly kinds: ReadonlySet<LinkKind>;
  /** Makes a new namespace, with only `lo`; its path. */
  namespace(): Promise<string>;
  /** Deletes a namespace made by {@link namespace}. */
  deleteNamespace(path: string): Promise<void>;
  /** The toolkit in the namespace at `path`. */
  toolkit(path: string): Netns;
  /** How many backend operations ran so far. */
  readonly operations: number;
  /** Puts something that is not a namespace at a new path; its path. */
  notANamespace(kind: NotANamespace): Promise<string>;
  /** A path where nothing is. */
  missingPath(): string;
  /** Ends the wait of whatever blocks on the FIFO at `path`. */
  unblock(path: string): Promise<void>;
  /**
   * Waits until `check` holds, for what the kernel finishes after an operation returns
   * (duplicate address detection, a namespace's destruction).
   *
   * @throws {Error} naming `what` when it does not hold within the time limit
   */
  eventually(check: () => Promise<boolean>, what: string): Promise<void>;
}

/** What a case saw, as plain data to compare across backends. */
export type Observation = Record<string, unknown>;

/** One case of the contract. */
export interface ContractCase {
  /** The group: links, addresses, routes, qdiscs, sysctls, namespaces. */
  readonly group: string;
  /** What it checks. */
  readonly name: string;
  /** Kinds of link it needs: on a kernel that lacks one, the case does not run there. */
  readonly kinds?: readonly LinkKind[];
  /** True for a case about this kernel itself, not compared with the model. */
  readonly kernelOnly?: boolean;
  /** Runs it, asserting as it goes; returns what it saw. */
  run(target: ContractTarget): Promise<Observation>;
}

/** A backend that counts the operations run through it. */
export interface CountedBackend extends NetnsBackend {
  /** How many operations ran. */
  readonly count: number;
}

/**
 * Wraps a backend to count the operations its namespaces run.
 *
 * @param backend the backend
 */
export function counted(backend: NetnsBackend): CountedBackend {
  let count = 0;
  return {
    kind: backend.kind,
    get count() {
      return count;
    },
    open(path) {
      const ops = backend.open(path);
      return new Proxy(ops, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (typeof value !== "function") return value;
          return (...args: unknown[]) => {
            count++;
            return (value as (...args: unknown[]) => unknown).apply(target, args);
          };
        },
      }) as NamespaceOps;
    },
  };
}

/** How a call ended, as data: its value, or its error's class and errno or code. */
export type Outcome =
  | { ok: unknown }
  | { error: "KernelError"; errno: string }
  | { error: "NamespaceMissingError" }
  | { error: "CniError"; code: number }
  | { error: string; message: string };

/** How `promise` ended, as data. */
export async function outcome(promise: Promise<unknown>): Promise<Outcome> {
  try {
    const value = await promise;
    return { ok: value === undefined ? null : value };
  } catch (error) {
    return failure(error);
  }
}

function failure(error: unknown): Outcome {
  if (error instanceof KernelError) return { error: "KernelError", errno: error.errno };
  if (error instanceof NamespaceMissingError) return { error: "NamespaceMissingError" };
  if (error instanceof CniError) return { error: "CniError", code: error.code };
  return { error: error instanceof Error ? error.name : typeof error, message: String(error) };
}

/** Asserts that `promise` rejects with a KernelError with `errno`; the outcome. */
export async function refused(promise: Promise<unknown>, errno: string): Promise<Outcome> {
  const seen = await outcome(promise);
  assert.deepEqual({ ...seen }, { error: "KernelError", errno });
  return seen;
}

/**
 * Asserts that `call` fails with a CniError with `code` whose message matches `message` (thrown
 * or rejected: the toolkit checks some values before it makes the promise).
 */
async function invalid(
  call: () => Promise<unknown>,
  code: number,
  message: RegExp,
): Promise<Outcome> {
  try {
    await call();
  } catch (error) {
    assert.ok(error instanceof CniError && !(error instanceof KernelError), String(error));
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return { error: "CniError", code };
  }
  assert.fail("it did not fail");
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** Asserts that `mac` is a random one as the kernel makes it: unicast, locally administered. */
function assertRandomMac(mac: string | undefined): void {
  assert.match(mac ?? "", MAC);
  const first = parseInt(mac!.slice(0, 2), 16);
  assert.equal(first & 1, 0, `${mac} is multicast`);
  assert.equal(first & 2, 2, `${mac} is not locally administered`);
}

/** A link without its hardware address, for a link whose address is random. */
function withoutMac(link: Link | undefined): Omit<Link, "mac"> | undefined {
  if (link === undefined) return undefined;
  const { mac: _mac, ...rest } = link;
  return rest;
}

async function linkNamed(ns: Netns, name: string): Promise<Link> {
  const link = await ns.link(name);
  assert.ok(link !== undefined, `no link ${JSON.stringify(name)}`);
  return link;
}

/** The IPv6 link-local address the kernel makes from a hardware address (EUI-64). */
export function linkLocal(mac: string): string {
  const bytes = mac.split(":").map((byte) => parseInt(byte, 16));
  bytes[0] = bytes[0]! ^ 2;
  const words = [
    (bytes[0]! << 8) | bytes[1]!,
    (bytes[2]! << 8) | 0xff,
    (0xfe << 8) | bytes[3]!,
    (bytes[4]! << 8) | bytes[5]!,
  ];
  return formatCidr(parseCidr(`fe80::${words.map((word) => word.toString(16)).join(":")}/64`)!);
}

/** Waits until no address in the namespace is tentative (duplicate address detection done). */
async function dadDone(target: ContractTarget, ns: Netns): Promise<void> {
  await target.eventually(
    async () => (await ns.addresses()).every((address) => !address.tentative),
    "duplicate address detection to finish",
  );
}

/**
 * A veth pair `name`/`peer` in `ns`, both up, once IPv6 has settled on them: the kernel notes
 * the carrier a moment later, then makes each end's link-local address and runs duplicate
 * address detection on it.
 */
async function upVeth(
  target: ContractTarget,
  ns: Netns,
  name: string,
  peer: string,
): Promise<void> {
  // Hardware addresses given, for link-local addresses the same on every run.
  await ns.createLink({
    kind: "veth",
    name,
    peerName: peer,
    mac: "02:00:00:00:10:01",
    peerMac: "02:00:00:00:10:02",
  });
  await ns.setLinkUp(name);
  await ns.setLinkUp(peer);
  await target.eventually(async () => {
    const addresses = await ns.addresses();
    const ready = (dev: string) =>
      addresses.some((address) => address.dev === dev && address.scope === "link");
    return ready(name) && ready(peer) && addresses.every((address) => !address.tentative);
  }, `IPv6 to settle on ${name} and ${peer}`);
}

/** Routes as short lines, for readable assertions: "10.1.0.0/24 dev v0 main link". */
function routeLines(routes: readonly KernelRoute[]): string[] {
  return routes.map((route) =>
    [
      route.type ?? "",
      route.dst,
      route.gateway === undefined ? "" : `via ${route.gateway}`,
      route.dev === undefined ? "" : `dev ${route.dev}`,
      route.table,
      route.scope ?? "",
      route.metric === undefined ? "" : `metric ${route.metric}`,
      route.prefsrc === undefined ? "" : `src ${route.prefsrc}`,
    ].filter((word) => word !== "").join(" ")
  ).sort();
}

/** Addresses as short lines: "v0 10.1.0.5/24 global nodad". */
function addressLines(addresses: readonly Address[]): string[] {
  return addresses.map((address) =>
    [
      address.dev,
      address.cidr,
      address.scope ?? "",
      address.noDad ? "nodad" : "",
      address.noPrefixRoute ? "noprefixroute" : "",
      address.tentative ? "tentative" : "",
    ].filter((word) => word !== "").join(" ")
  ).sort();
}

/** Qdiscs without their handle, which the kernel numbers as it likes. */
function qdiscView(qdiscs: readonly Qdisc[]): Omit<Qdisc, "handle">[] {
  return qdiscs.map(({ handle: _handle, ...rest }) => rest);
}

const LO: Link = {
  name: "lo",
  index: 1,
  mtu: 65536,
  mac: "00:00:00:00:00:00",
  up: false,
  txqueuelen: 1000,
};

/** Names the toolkit refuses, with code 7, before any backend sees them. */
const BAD_NAMES: readonly (readonly [string, string])[] = [
  ["16 bytes", "abcdefghijklmnop"],
  ["a slash", "a/b"],
  ["a colon", "a:b"],
  ["a space", "a b"],
  ["a newline", "a\nb"],
  ['"."', "."],
  ['".."', ".."],
  ["nothing", ""],
];

const LINKS: ContractCase[] = [
  {
    group: "links",
    name: "a new namespace has lo only, down",
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      const links = await ns.links();
      assert.deepEqual(links, [LO]);
      assert.deepEqual(await ns.link("lo"), LO);
      assert.deepEqual(await ns.link(1), LO);
      assert.equal(await ns.link("eth0"), undefined);
      assert.equal(await ns.link(99), undefined);
      return { links };
    },
  },
  {
    group: "links",
    name: "a veth with its peer made directly in another namespace",
    async run(target) {
      const [hostPath, containerPath] = [await target.namespace(), await target.namespace()];
      const host = target.toolkit(hostPath);
      const container = target.toolkit(containerPath);
      await host.createVeth({
        name: "veth0",
        peerName: "eth0",
        peerNetns: containerPath,
        mtu: 1400,
      });
      const here = await linkNamed(host, "veth0");
      const there = await linkNamed(container, "eth0");
      assertRandomMac(here.mac);
      assertRandomMac(there.mac);
      assert.notEqual(here.mac, there.mac);
      const common = { up: false, txqueuelen: 1000, kind: "veth" };
      assert.deepEqual(withoutMac(here), {
        name: "veth0",
        index: 2,
        mtu: 1400,
        ...common,
        linkIndex: there.index,
        linkNetnsId: 0,
      });
      assert.deepEqual(withoutMac(there), {
        name: "eth0",
        index: 2,
        mtu: 1400,
        ...common,
        linkIndex: here.index,
        linkNetnsId: 0,
      });
      assert.equal(await host.vethPeerIndex("veth0"), there.index);
      assert.equal(await container.vethPeerIndex("eth0"), here.index);
      assert.deepEqual((await host.links()).map((link) => link.name), ["lo", "veth0"]);
      assert.deepEqual((await container.links()).map((link) => link.name), ["lo", "eth0"]);
      return { here: withoutMac(here), there: withoutMac(there) };
    },
  },
  {
    group: "links",
    name: "a veth in one namespace, with the hardware addresses given",
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await ns.createLink({
        kind: "veth",
        name: "a0",
        peerName: "b0",
        mac: "02:00:00:00:00:0a",
        peerMac: "02:00:00:00:00:0b",
        txqueuelen: 500,
      });
      const [lo, b0, a0] = await ns.links();
      assert.deepEqual(lo, LO);
      // The kernel registers the peer first: it has the lower index.
      assert.deepEqual(b0, {
        name: "b0",
        index: 2,
        mtu: 1500,
        mac: "02:00:00:00:00:0b",
        up: false,
        kind: "veth",
        txqueuelen: 1000,
        linkIndex: 3,
      });
      assert.deepEqual(a0, {
        ...b0,
        name: "a0",
        index: 3,
        mac: "02:00:00:00:00:0a",
        txqueuelen: 500,
        linkIndex: 2,
      });
      assert.equal(await ns.vethPeerIndex("a0"), 2);
      assert.equal(await ns.vethPeerIndex("b0"), 3);
      await assert.rejects(ns.vethPeerIndex("lo"), /is not a veth/);
      await assert.rejects(ns.vethPeerIndex("c0"), /not found/);
      return { links: await ns.links() };
    },
  },
  {
    group: "links",
    name: "a macvlan on a parent, and ENODEV without one",
    kinds: ["macvlan"],
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await ns.createVeth({ name: "p0", peerName: "p1", mtu: 1400 });
      await ns.createLink({ kind: "macvlan", name: "mv0", parent: "p0", mode: "bridge" });
      await ns.createLink({ kind: "macvlan", name: "mv1", parent: "p0", mac: "02:00:00:00:01:01" });
      const p0 = await linkNamed(ns, "p0");
      const mv0 = await linkNamed(ns, "mv0");
      assertRandomMac(mv0.mac);
      const common = { up: false, kind: "macvlan", txqueuelen: 1000 };
      assert.deepEqual(withoutMac(mv0), {
        name: "mv0",
        index: 4,
        mtu: 1400,
        ...common,
        linkIndex: p0.index,
        macvlanMode: "bridge",
      });
      assert.deepEqual(await ns.link("mv1"), {
        name: "mv1",
        index: 5,
        mtu: 1400,
        mac: "02:00:00:00:01:01",
        ...common,
        linkIndex: p0.index,
        macvlanMode: "vepa",
      });
      const noParent = await refused(
        ns.createLink({ kind: "macvlan", name: "mv2", parent: "nope" }),
        "ENODEV",
      );
      const tooBig = await refused(
        ns.createLink({ kind: "macvlan", name: "mv3", parent: "p0", mtu: 1500 }),
        "EINVAL",
      );
      assert.deepEqual((await ns.links()).map((link) => link.name), [
        "lo",
        "p1",
        "p0",
        "mv0",
        "mv1",
      ]);
      return { mv0: withoutMac(mv0), noParent, tooBig };
    },
  },
  {
    group: "links",
    name: "a link that needs a parent is ENODEV without one, whatever its kind",
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      const seen: Observation = {};
      seen.macvlan = await refused(
        ns.createLink({ kind: "macvlan", name: "x0", parent: "nope" }),
        "ENODEV",
      );
      seen.ipvlan = await refused(
        ns.createLink({ kind: "ipvlan", name: "x0", parent: "nope" }),
        "ENODEV",
      );
      seen.vlan = await refused(
        ns.createLink({ kind: "vlan", name: "x0", parent: "nope", vlanId: 7 }),
        "ENODEV",
      );
      assert.deepEqual(await ns.links(), [LO]);
      return seen;
    },
  },
  {
    group: "links",
    name: "an ipvlan on a parent, l2 by default",
    kinds: ["ipvlan"],
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await ns.createVeth({ name: "p0", peerName: "p1" });
      await ns.createLink({ kind: "ipvlan", name: "iv0", parent: "p0" });
      await ns.createLink({ kind: "ipvlan", name: "iv1", parent: "p0", mode: "l3" });
      const p0 = await linkNamed(ns, "p0");
      const iv0 = await linkNamed(ns, "iv0");
      const iv1 = await linkNamed(ns, "iv1");
      // An ipvlan has its parent's hardware address.
      assert.equal(iv0.mac, p0.mac);
      assert.equal(iv0.kind, "ipvlan");
      assert.equal(iv0.linkIndex, p0.index);
      assert.equal(iv0.ipvlanMode, "l2");
      assert.equal(iv1.ipvlanMode, "l3");
      return { iv0: withoutMac(iv0), iv1: withoutMac(iv1) };
    },
  },
  {
    group: "links",
    name: "a vlan on a parent",
    kinds: ["vlan"],
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await ns.createVeth({ name: "p0", peerName: "p1" });
      await ns.createLink({ kind: "vlan", name: "p0.7", parent: "p0", vlanId: 7 });
      const p0 = await linkNamed(ns, "p0");
      const vlan = await linkNamed(ns, "p0.7");
      assert.equal(vlan.mac, p0.mac);
      assert.equal(vlan.kind, "vlan");
      assert.equal(vlan.vlanId, 7);
      assert.equal(vlan.linkIndex, p0.index);
      const taken = await refused(
        ns.createLink({ kind: "vlan", name: "p0.8", parent: "p0", vlanId: 7 }),
        "EEXIST",
      );
      return { vlan: withoutMac(vlan), taken };
    },
  },
  {
    group: "links",
    name: "a dummy",
    kinds: ["dummy"],
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await ns.createLink({ kind: "dummy", name: "d0", mtu: 9000 });
      const d0 = await linkNamed(ns, "d0");
      assertRandomMac(d0.mac);
      assert.equal(d0.kind, "dummy");
      assert.equal(d0.mtu, 9000);
      assert.equal(d0.index, 2);
      return { d0: withoutMac(d0) };
    },
  },
  {
    group: "links",
    name: "a bridge takes a port's MTU and hardware address, and gives them back",
    kinds: ["bridge"],
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await ns.createLink({ kind: "bridge", name: "br0" });
      const fresh = await linkNamed(ns, "br0");
      assertRandomMac(fresh.mac);
      assert.deepEqual(withoutMac(fresh), {
        name: "br0",
        index: 2,
        mtu: 1500,
        up: false,
        kind: "bridge",
        txqueuelen: 1000,
      });
      await ns.createLink({
        kind: "veth",
        name: "port0",
        peerName: "peer0",
        mtu: 1400,
        mac: "02:00:00:00:00:01",
      });
      await ns.setLink("port0", { master: "br0" });
      const port = await linkNamed(ns, "port0");
      const bridge = await linkNamed(ns, "br0");
      assert.equal(port.masterIndex, bridge.index);
      // A port is promiscuous inside the kernel, but the flag shows only what was asked for.
      assert.equal(port.promisc, undefined);
      assert.equal(bridge.mtu, 1400);
      assert.equal(bridge.mac, "02:00:00:00:00:01");
      const missing = await refused(ns.setLink("peer0", { master: "br9" }), "ENODEV");
      const notBridge = await refused(ns.setLink("peer0", { master: "port0" }), "EOPNOTSUPP");
      const loop = await refused(ns.setLink("br0", { master: "br0" }), "ELOOP");
      const loopback = await refused(ns.setLink("lo", { master: "br0" }), "EINVAL");
      await ns.setLink("port0", { master: null });
      const freed = await linkNamed(ns, "port0");
      const empty = await linkNamed(ns, "br0");
      assert.equal(freed.masterIndex, undefined);
      assert.equal(empty.mtu, 1500);
      assert.equal(empty.mac, "00:00:00:00:00:00");
      return { bridge, port, missing, notBridge, loop, loopback, freed, empty };
    },
  },
  {
    group: "links",
    name: "a kind this kernel lacks is EOPNOTSUPP",
    kernelOnly: true,
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      const lacking = LINK_KINDS.filter((kind) => !target.kinds.has(kind));
      const seen: Observation = {};
      await ns.createVeth({ name: "p0", peerName: "p1" });
      for (const kind of lacking) {
        const spec = kind === "vlan"
          ? { kind, name: "x0", parent: "p0", vlanId: 7 } as const
          : kind === "macvlan" || kind === "ipvlan"
          ? { kind, name: "x0", parent: "p0" } as const
          : { kind, name: "x0", peerName: "x1" } as const;
        seen[kind] = await refused(ns.createLink(spec), "EOPNOTSUPP");
      }
      return { lacking, seen };
    },
  },
  {
    group: "links",
    name: "a name the kernel's rules refuse is code 7 before any backend sees it",
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await ns.createVeth({ name: "v0", peerName: "v1" });
      const before = target.operations;
      const calls: [string, (name: string) => Promise<unknown>][] = [
        ["createLink", (name) => ns.createLink({ kind: "bridge", name })],
        ["createVeth peer", (name) => ns.createVeth({ name: "v2", peerName: name })],
        ["renameLink", (name) => ns.renameLink("v0", name)],
        ["moveLink", (name) => ns.moveLink("v0", "/var/run/netns/x", { name })],
        ["setLink", (name) => ns.setLink(name, { up: true })],
        ["master", (name) => ns.setLink("v0", { master: name })],
        ["deleteLink", (name) => ns.deleteLink(name)],
        ["addAddress", (name) => ns.addAddress(name, "10.1.0.5/24")],
        ["addRoute", (name) => ns.addRoute({ dst: "10.9.0.0/16", dev: name })],
        ["addTbf", (name) => ns.addTbf(name, { rate: 1000, burst: 1000, limit: 1000 })],
        ["link", (name) => ns.link(name)],
      ];
      const seen: Observation = {};
      for (const [call, run] of calls) {
        for (const [what, name] of BAD_NAMES) {
          seen[`${call} ${what}`] = await invalid(() => run(name), 7, /^invalid interface name /);
        }
      }
      assert.equal(target.operations, before, "a backend saw a refused name");
      return seen;
    },
  },
  {
    group: "links",
    name: 'the kernel refuses "all" and "default"',
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await ns.createVeth({ name: "v0", peerName: "v1" });
      const seen: Observation = {};
      for (const name of ["all", "default"]) {
        seen[`create ${name}`] = await refused(ns.createLink({ kind: "bridge", name }), "EINVAL");
        seen[`rename ${name}`] = await refused(ns.renameLink("v0", name), "EINVAL");
      }
      assert.deepEqual((await ns.links()).map((link) => link.name), ["lo", "v1", "v0"]);
      return seen;
    },
  },
  {
    group: "links",
    name: 'a name with "%" never reaches the kernel, which would read it as a number pattern',
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await ns.createVeth({ name: "v0", peerName: "v1" });
      const before = target.operations;
      const seen: Observation = {};
      for (const name of ["br%d", "a%b", "%"]) {
        seen[`create ${name}`] = await invalid(
          () => ns.createLink({ kind: "bridge", name }),
          7,
          /^invalid interface name .*"%"/,
        );
        seen[`rename ${name}`] = await invalid(
          () => ns.renameLink("v0", name),
          7,
          /^invalid interface name .*"%"/,
        );
      }
      assert.equal(target.operations, before, "a backend saw a refused name");
      assert.deepEqual((await ns.links()).map((link) => link.name), ["lo", "v1", "v0"]);
      return seen;
    },
  },
  {
    group: "links",
    name: "names that are ip keywords or options are names",
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      const names = ["help", "-x", "up", "dev", "a", "b", "root", "--help", "-j", "name"];
      for (const name of names) {
        await ns.createVeth({ name, peerName: `p${name}` });
        await ns.setLink(name, { up: true, mtu: 1400 });
        await ns.addAddress(name, "10.1.0.5/24");
        await ns.addRoute({ dst: "10.9.0.0/16", dev: name });
        await ns.addTbf(name, { rate: 1000, burst: 1000, limit: 2000 });
        assert.equal((await ns.qdiscs(name))[0]?.kind, "tbf");
        assert.equal(await ns.deleteRootQdisc(name), true);
        assert.equal(await ns.deleteRoute({ dst: "10.9.0.0/16", dev: name }), true);
        assert.equal(await ns.deleteAddress(name, "10.1.0.5/24"), true);
        await ns.renameLink(name, `q${name}`.slice(0, 15));
        await ns.renameLink(`q${name}`.slice(0, 15), name);
        const link = await linkNamed(ns, name);
        assert.deepEqual([link.up, link.mtu], [true, 1400]);
        assert.equal(await ns.deleteLink(name), true);
      }
      assert.deepEqual(await ns.links(), [LO]);
      return { names };
    },
  },
  {
    group: "links",
    name: 'a missing link named like "if1" is never lo, whose index is 1',
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      const seen: Observation = {};
      seen.set = await refused(ns.setLink("if1", { mtu: 1400 }), "ENODEV");
      seen.rename = await refused(ns.renameLink("if1", "x"), "ENODEV");
      seen.delete = await outcome(ns.deleteLink("if1"));
      assert.deepEqual(seen.delete, { ok: false });
      seen.addAddress = await refused(ns.addAddress("if1", "10.1.0.5/8"), "ENODEV");
      seen.deleteAddress = await refused(ns.deleteAddress("if1", "10.1.0.5/8"), "ENODEV");
      seen.addresses = await refused(ns.addresses("if1"), "ENODEV");
      seen.addRoute = await refused(ns.addRoute({ dst: "10.9.0.0/16", dev: "if1x" }), "ENODEV");
      seen.deleteRoute = await refused(
        ns.deleteRoute({ dst: "10.9.0.0/16", dev: "if1" }),
        "ENODEV",
      );
      seen.addTbf = await refused(ns.addTbf("if1", { rate: 1, burst: 1, limit: 1 }), "ENODEV");
      seen.deleteQdisc = await refused(ns.deleteRootQdisc("if1"), "ENODEV");
      seen.qdiscs = await refused(ns.qdiscs("if1"), "ENODEV");
      seen.parent = await refused(
        ns.createLink({ kind: "macvlan", name: "m0", parent: "if1" }),
        "ENODEV",
      );
      await ns.createLink({ kind: "bridge", name: "br0" });
      seen.master = await refused(ns.setLink("if1", { master: "br0" }), "ENODEV");
      await ns.createVeth({ name: "v0", peerName: "v1" });
      seen.masterIf = await refused(ns.setLink("v0", { master: "if2" }), "ENODEV");
      assert.deepEqual(await ns.link("lo"), LO);
      assert.deepEqual(await ns.addresses("lo"), []);
      // A link that has such a name is found by its name.
      await ns.createVeth({ name: "if1", peerName: "if9" });
      await ns.setLink("if1", { mtu: 1400 });
      assert.equal((await linkNamed(ns, "if1")).mtu, 1400);
      assert.equal(await ns.deleteLink("if1"), true);
      assert.deepEqual(await ns.link("lo"), LO);
      return seen;
    },
  },
  {
    group: "links",
    name: "a name that is taken is EEXIST, here and in the peer's namespace",
    async run(target) {
      const [aPath, bPath] = [await target.namespace(), await target.namespace()];
      const a = target.toolkit(aPath);
      const b = target.toolkit(bPath);
      await a.createVeth({ name: "v0", peerName: "v1" });
      await b.createVeth({ name: "w0", peerName: "w1" });
      const seen: Observation = {};
      seen.lo = await refused(a.createVeth({ name: "lo", peerName: "x1" }), "EEXIST");
      seen.name = await refused(a.createVeth({ name: "v0", peerName: "x1" }), "EEXIST");
      seen.peer = await refused(a.createVeth({ name: "x0", peerName: "v1" }), "EEXIST");
      seen.peerThere = await refused(
        a.createVeth({ name: "x0", peerName: "w0", peerNetns: bPath }),
        "EEXIST",
      );
      seen.bridge = await refused(a.createLink({ kind: "bridge", name: "v1" }), "EEXIST");
      assert.deepEqual((await a.links()).map((link) => link.name), ["lo", "v1", "v0"]);
      assert.deepEqual((await b.links()).map((link) => link.name), ["lo", "w1", "w0"]);
      return seen;
    },
  },
  {
    group: "links",
    name: "set up and down, MTU, hardware address, txqueuelen, promisc, allmulti",
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await ns.createVeth({ name: "v0", peerName: "v1" });
      const seen: Observation = {};
      await ns.setLinkUp("v0");
      seen.up = withoutMac(await ns.link("v0"));
      assert.equal((await linkNamed(ns, "v0")).up, true);
      await ns.setLink("v0", {
        mtu: 9000,
        mac: "02:00:00:00:00:09",
        txqueuelen: 77,
        promisc: true,
        allmulti: true,
      });
      const changed = await linkNamed(ns, "v0");
      assert.deepEqual(changed, {
        name: "v0",
        index: 3,
        mtu: 9000,
        mac: "02:00:00:00:00:09",
        up: true,
        kind: "veth",
        txqueuelen: 77,
        promisc: true,
        allmulti: true,
        linkIndex: 2,
      });
      seen.changed = changed;
      await ns.setLink("v0", { promisc: false, allmulti: false, up: false });
      seen.back = await ns.link("v0");
      const { promisc: _promisc, allmulti: _allmulti, ...rest } = changed;
      assert.deepEqual(seen.back, { ...rest, up: false });
      await ns.setLinkUp("lo");
      assert.equal((await linkNamed(ns, "lo")).up, true);
      seen.tooBig = await refused(ns.setLink("v0", { mtu: 70000 }), "EINVAL");
      seen.tooSmall = await refused(ns.setLink("v0", { mtu: 10 }), "EINVAL");
      seen.multicast = await refused(
        ns.setLink("v0", { mac: "01:00:00:00:00:01" }),
        "EADDRNOTAVAIL",
      );
      seen.missing = await refused(ns.setLinkUp("v9"), "ENODEV");
      assert.equal((await linkNamed(ns, "v0")).mtu, 9000);
      return seen;
    },
  },
  {
    group: "links",
    name: "rename keeps the index; an up link too; EEXIST and ENODEV",
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await ns.createVeth({ name: "v0", peerName: "v1" });
      await ns.renameLink("v0", "eth0");
      const renamed = await linkNamed(ns, "eth0");
      assert.equal(renamed.index, 3);
      assert.equal(await ns.link("v0"), undefined);
      // The peer follows the new name.
      assert.equal((await linkNamed(ns, "v1")).linkIndex, 3);
      await ns.setLinkUp("eth0");
      await ns.renameLink("eth0", "eth1");
      assert.equal((await linkNamed(ns, "eth1")).up, true);
      const taken = await refused(ns.renameLink("eth1", "v1"), "EEXIST");
      const missing = await refused(ns.renameLink("v0", "v2"), "ENODEV");
      const same = await outcome(ns.renameLink("eth1", "eth1"));
      assert.deepEqual(same, { ok: null });
      return {
        renamed: withoutMac(renamed),
        taken,
        missing,
        same,
        links: (await ns.links()).map(withoutMac),
      };
    },
  },
  {
    group: "links",
    name: "move into another namespace, renamed or not; EEXIST for a name taken there",
    async run(target) {
      const [aPath, bPath] = [await target.namespace(), await target.namespace()];
      const a = target.toolkit(aPath);
      const b = target.toolkit(bPath);
      await a.createVeth({ name: "v0", peerName: "v1" });
      await a.createVeth({ name: "w0", peerName: "w1" });
      // v1 has index 2, free in b: it keeps it.
      await a.moveLink("v1", bPath);
      const v1 = await linkNamed(b, "v1");
      assert.equal(v1.index, 2);
      assert.equal(v1.up, false);
      assert.equal(v1.linkNetnsId, 0);
      assert.equal(v1.linkIndex, 3);
      assert.equal((await linkNamed(a, "v0")).linkNetnsId, 0);
      assert.equal((await linkNamed(a, "v0")).linkIndex, 2);
      await b.createVeth({ name: "x0", peerName: "x1" });
      assert.deepEqual([(await linkNamed(b, "x1")).index, (await linkNamed(b, "x0")).index], [
        3,
        4,
      ]);
      // w1 has index 4, taken in b by x0: it gets a new one; and a new name.
      await a.moveLink("w1", bPath, { name: "eth0" });
      const eth0 = await linkNamed(b, "eth0");
      assert.equal(eth0.index, 5);
      assert.equal(await b.vethPeerIndex("eth0"), 5);
      assert.equal(await a.vethPeerIndex("w0"), 5);
      assert.equal(await a.link("w1"), undefined);
      // Its own name taken there: refused, and it stays here, with or without a new name.
      await a.createVeth({ name: "x0", peerName: "x9" });
      const nameTaken = await refused(a.moveLink("x0", bPath), "EEXIST");
      const bothTaken = await refused(a.moveLink("x0", bPath, { name: "eth0" }), "EEXIST");
      assert.ok(await a.link("x0"));
      // Its own name free there but the new one taken: the kernel moves it, then refuses the
      // new name; it is there, under its own name.
      await a.createVeth({ name: "y0", peerName: "y1" });
      const newNameTaken = await refused(a.moveLink("y1", bPath, { name: "x1" }), "EEXIST");
      assert.equal(await a.link("y1"), undefined);
      assert.ok(await b.link("y1"));
      const missing = await refused(a.moveLink("z0", bPath), "ENODEV");
      return {
        a: (await a.links()).map(withoutMac),
        b: (await b.links()).map(withoutMac),
        nameTaken,
        bothTaken,
        newNameTaken,
        missing,
      };
    },
  },
  {
    group: "links",
    name: "delete is false when missing; a veth's peer dies with it; lo cannot go",
    async run(target) {
      const [aPath, bPath] = [await target.namespace(), await target.namespace()];
      const a = target.toolkit(aPath);
      const b = target.toolkit(bPath);
      await a.createVeth({ name: "v0", peerName: "v1" });
      await a.createVeth({ name: "w0", peerName: "w1", peerNetns: bPath });
      const seen: Observation = {};
      seen.deleted = await a.deleteLink("v1");
      assert.equal(seen.deleted, true);
      assert.equal(await a.link("v0"), undefined);
      seen.again = await a.deleteLink("v1");
      assert.equal(seen.again, false);
      assert.equal(await b.deleteLink("w1"), true);
      assert.equal(await a.link("w0"), undefined);
      seen.lo = await refused(a.deleteLink("lo"), "EOPNOTSUPP");
      assert.deepEqual(await a.links(), [LO]);
      assert.deepEqual(await b.links(), [LO]);
      return seen;
    },
  },
  {
    group: "links",
    name: "deleting a namespace deletes its links, and their veth peers",
    async run(target) {
      const [aPath, bPath] = [await target.namespace(), await target.namespace()];
      const a = target.toolkit(aPath);
      await a.createVeth({ name: "v0", peerName: "eth0", peerNetns: bPath });
      await a.createVeth({ name: "k0", peerName: "k1" });
      await target.deleteNamespace(bPath);
      await target.eventually(
        async () => (await a.link("v0")) === undefined,
        "the veth whose peer was in the deleted namespace to go",
      );
      const left = (await a.links()).map((link) => link.name);
      assert.deepEqual(left, ["lo", "k1", "k0"]);
      const gone = await outcome(target.toolkit(bPath).links());
      assert.deepEqual(gone, { error: "NamespaceMissingError" });
      return { left, gone };
    },
  },
];

/** A route of `dev` as every backend reports it. */
function route(fields: Partial<KernelRoute> & { dst: string; table: string }): KernelRoute {
  return { scope: "global", ...fields } as KernelRoute;
}

/** A value as JSON with its keys sorted: the same text for the same fields in any order. */
function canonical(value: object): string {
  return JSON.stringify(
    Object.fromEntries(Object.entries(value).sort(([a], [b]) => a < b ? -1 : 1)),
  );
}

/** Routes sorted, for comparing sets whatever order the kernel dumps them in. */
function sortedRoutes(routes: readonly KernelRoute[]): KernelRoute[] {
  return [...routes].sort((a, b) => canonical(a).localeCompare(canonical(b)));
}

/** Addresses sorted by their fields. */
function sortedAddresses(addresses: readonly Address[]): Address[] {
  return [...addresses].sort((a, b) => canonical(a).localeCompare(canonical(b)));
}

/** The IPv4 routes an address 10.1.0.5/24 on `dev` brings when `dev` is up. */
function v4Routes(
  dev: string,
  address = "10.1.0.5",
  subnet = "10.1.0.0/24",
  broadcast = "10.1.0.255",
) {
  return {
    prefix: route({ dst: subnet, dev, table: "main", scope: "link", prefsrc: address }),
    local: route({
      type: "local",
      dst: `${address}/32`,
      dev,
      table: "local",
      scope: "host",
      prefsrc: address,
    }),
    broadcast: route({
      type: "broadcast",
      dst: `${broadcast}/32`,
      dev,
      table: "local",
      scope: "link",
      prefsrc: address,
    }),
  };
}

const ADDRESSES: ContractCase[] = [
  {
    group: "addresses",
    name:
      "IPv4: a down link gets the local route, up the subnet and broadcast ones, down loses them",
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await ns.createVeth({ name: "v0", peerName: "v1" });
      await ns.addAddress("v0", "10.1.0.5/24");
      const listed = await ns.addresses("v0");
      assert.deepEqual(listed, [{ dev: "v0", cidr: "10.1.0.5/24", family: 4, scope: "global" }]);
      const { prefix, local, broadcast } = v4Routes("v0");
      const down = sortedRoutes(await ns.routes(4, "all"));
      assert.deepEqual(down, [local]);
      assert.deepEqual(await ns.routes(4), []);
      await ns.setLinkUp("v0");
      const up = sortedRoutes(await ns.routes(4, "all"));
      assert.deepEqual(up, sortedRoutes([prefix, local, broadcast]));
      assert.deepEqual(await ns.routes(4), [prefix]);
      assert.deepEqual(sortedRoutes(await ns.routes(4, 255)), sortedRoutes([local, broadcast]));
      await ns.setLinkDown("v0");
      const downAgain = sortedRoutes(await ns.routes(4, "all"));
      assert.deepEqual(downAgain, [local]);
      assert.deepEqual(await ns.addresses("v0"), listed);
      await ns.setLinkUp("v0");
      assert.equal(await ns.deleteAddress("v0", "10.1.0.5/24"), true);
      const deleted = await ns.routes(4, "all");
      assert.deepEqual(deleted, []);
      return { listed, down, up, local: await ns.routes(4, 255), downAgain, deleted };
    },
  },
  {
    group: "addresses",
    name:
      "IPv6: tentative and routeless on a down link; prefix route when up; link-local with carrier; gone when down",
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await ns.createLink({
        kind: "veth",
        name: "v0",
        peerName: "v1",
        mac: "02:00:00:00:00:0a",
        peerMac: "02:00:00:00:00:0b",
      });
      await ns.addAddress("v0", "2001:db8::5/64");
      const seen: Observation = {};
      seen.down = await ns.addresses("v0");
      assert.deepEqual(seen.down, [
        { dev: "v0", cidr: "2001:db8::5/64", family: 6, scope: "global", tentative: true },
      ]);
      assert.deepEqual(await ns.routes(6, "all"), []);
      await ns.setLinkUp("v0");
      seen.noCarrier = sortedRoutes(await ns.routes(6, "all"));
      assert.deepEqual(seen.noCarrier, [
        route({ dst: "2001:db8::/64", dev: "v0", table: "main", metric: 256 }),
      ]);
      await ns.setLinkUp("v1");
      await dadDone(target, ns);
      seen.addresses = sortedAddresses(await ns.addresses());
      assert.deepEqual(addressLines(seen.addresses as Address[]), [
        "v0 2001:db8::5/64 global",
        "v0 fe80::ff:fe00:a/64 link",
        "v1 fe80::ff:fe00:b/64 link",
      ]);
      assert.equal(linkLocal("02:00:00:00:00:0a"), "fe80::ff:fe00:a/64");
      seen.routes = sortedRoutes(await ns.routes(6, "all"));
      assert.deepEqual(routeLines(seen.routes as KernelRoute[]), [
        "2001:db8::/64 dev v0 main global metric 256",
        "fe80::/64 dev v0 main global metric 256",
        "fe80::/64 dev v1 main global metric 256",
        "local 2001:db8::5/128 dev v0 local global metric 0",
        "local fe80::ff:fe00:a/128 dev v0 local global metric 0",
        "local fe80::ff:fe00:b/128 dev v1 local global metric 0",
        "multicast ff00::/8 dev v0 local global metric 256",
        "multicast ff00::/8 dev v1 local global metric 256",
      ]);
      await ns.setLinkDown("v0");
      seen.afterDown = sortedAddresses(await ns.addresses());
      assert.deepEqual(addressLines(seen.afterDown as Address[]), ["v1 fe80::ff:fe00:b/64 link"]);
      seen.routesAfterDown = routeLines(await ns.routes(6, "all"));
      assert.deepEqual(seen.routesAfterDown, [
        "fe80::/64 dev v1 main global metric 256",
        "local fe80::ff:fe00:b/128 dev v1 local global metric 0",
        "multicast ff00::/8 dev v1 local global metric 256",
      ]);
      return seen;
    },
  },
  {
    group: "addresses",
    name: "noprefixroute and nodad, listed with their flags",
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await upVeth(target, ns, "v0", "v1");
      await ns.addAddress("v0", "10.1.0.5/24", { noPrefixRoute: true });
      await ns.addAddress("v0", "2001:db8::5/64", { noPrefixRoute: true, noDad: true });
      await ns.addAddress("v0", "2001:db8:1::5/64", { noDad: true });
      // nodad means nothing for IPv4: it is left out.
      await ns.addAddress("v0", "10.2.0.5/24", { noDad: true });
      const addresses = sortedAddresses(
        (await ns.addresses("v0")).filter((address) => address.scope !== "link"),
      );
      assert.deepEqual(
        addresses,
        sortedAddresses([
          { dev: "v0", cidr: "10.1.0.5/24", family: 4, scope: "global", noPrefixRoute: true },
          { dev: "v0", cidr: "10.2.0.5/24", family: 4, scope: "global" },
          {
            dev: "v0",
            cidr: "2001:db8::5/64",
            family: 6,
            scope: "global",
            noDad: true,
            noPrefixRoute: true,
          },
          { dev: "v0", cidr: "2001:db8:1::5/64", family: 6, scope: "global", noDad: true },
        ]),
      );
      const v4 = routeLines(await ns.routes(4, "all"));
      assert.deepEqual(v4, [
        "10.2.0.0/24 dev v0 main link src 10.2.0.5",
        "broadcast 10.1.0.255/32 dev v0 local link src 10.1.0.5",
        "broadcast 10.2.0.255/32 dev v0 local link src 10.2.0.5",
        "local 10.1.0.5/32 dev v0 local host src 10.1.0.5",
        "local 10.2.0.5/32 dev v0 local host src 10.2.0.5",
      ]);
      // nodad: no probe, but the kernel still ends the detection in a moment of its own.
      const v6Lines = async () =>
        routeLines(await ns.routes(6, "all")).filter((line) => !line.includes("fe80"));
      await target.eventually(
        async () => (await v6Lines()).filter((line) => line.startsWith("local ")).length === 2,
        "the local routes of the nodad addresses",
      );
      const v6 = await v6Lines();
      assert.deepEqual(v6, [
        "2001:db8:1::/64 dev v0 main global metric 256",
        "local 2001:db8:1::5/128 dev v0 local global metric 0",
        "local 2001:db8::5/128 dev v0 local global metric 0",
        "multicast ff00::/8 dev v0 local global metric 256",
        "multicast ff00::/8 dev v1 local global metric 256",
      ]);
      return { addresses, v4, v6 };
    },
  },
  {
    group: "addresses",
    name: "EEXIST; the same IPv4 address with another prefix is another address, not in IPv6",
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await ns.createVeth({ name: "v0", peerName: "v1" });
      await ns.addAddress("v0", "10.1.0.5/24");
      await ns.addAddress("v0", "2001:db8::5/64", { noDad: true });
      const seen: Observation = {};
      seen.v4 = await refused(ns.addAddress("v0", "10.1.0.5/24"), "EEXIST");
      seen.v6 = await refused(ns.addAddress("v0", "2001:db8::5/64"), "EEXIST");
      seen.v6Prefix = await refused(ns.addAddress("v0", "2001:db8::5/48"), "EEXIST");
      seen.v4Prefix = await outcome(ns.addAddress("v0", "10.1.0.5/16"));
      assert.deepEqual(seen.v4Prefix, { ok: null });
      // Another link may have the same address.
      seen.otherLink = await outcome(ns.addAddress("v1", "10.1.0.5/24"));
      assert.deepEqual(seen.otherLink, { ok: null });
      seen.missing = await refused(ns.addAddress("v9", "10.1.0.5/24"), "ENODEV");
      seen.addresses = addressLines(await ns.addresses());
      assert.deepEqual(seen.addresses, [
        "v0 10.1.0.5/16 global",
        "v0 10.1.0.5/24 global",
        "v0 2001:db8::5/64 global nodad",
        "v1 10.1.0.5/24 global",
      ]);
      return seen;
    },
  },
  {
    group: "addresses",
    name: "delete: true, then false; false on another link; ENODEV for a missing link",
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await ns.createVeth({ name: "v0", peerName: "v1" });
      await ns.addAddress("v0", "10.1.0.5/24");
      await ns.addAddress("v0", "2001:db8::5/64");
      const seen: Observation = {};
      seen.otherLink = await ns.deleteAddress("v1", "10.1.0.5/24");
      seen.otherPrefix = await ns.deleteAddress("v0", "10.1.0.5/16");
      seen.v4 = await ns.deleteAddress("v0", "10.1.0.5/24");
      seen.v4Again = await ns.deleteAddress("v0", "10.1.0.5/24");
      seen.v6 = await ns.deleteAddress("v0", "2001:db8::5/64");
      seen.v6Again = await ns.deleteAddress("v0", "2001:db8::5/64");
      assert.deepEqual({ ...seen }, {
        otherLink: false,
        otherPrefix: false,
        v4: true,
        v4Again: false,
        v6: true,
        v6Again: false,
      });
      seen.missing = await refused(ns.deleteAddress("v9", "10.1.0.5/24"), "ENODEV");
      seen.listMissing = await refused(ns.addresses("v9"), "ENODEV");
      assert.deepEqual(await ns.addresses(), []);
      return seen;
    },
  },
  {
    group: "addresses",
    name:
      "a second address in the subnet is secondary; deleting the primary deletes both and their routes",
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await upVeth(target, ns, "v0", "v1");
      await ns.addAddress("v0", "10.1.0.5/24");
      await ns.addAddress("v0", "10.1.0.6/24");
      await ns.addRoute({ dst: "10.9.0.0/16", via: "10.1.0.1", dev: "v0" });
      const seen: Observation = {};
      seen.routes = routeLines(await ns.routes(4, "all"));
      assert.deepEqual(seen.routes, [
        "10.1.0.0/24 dev v0 main link src 10.1.0.5",
        "10.9.0.0/16 via 10.1.0.1 dev v0 main global",
        "broadcast 10.1.0.255/32 dev v0 local link src 10.1.0.5",
        "local 10.1.0.5/32 dev v0 local host src 10.1.0.5",
        "local 10.1.0.6/32 dev v0 local host src 10.1.0.5",
      ]);
      assert.equal(await ns.deleteAddress("v0", "10.1.0.5/24"), true);
      seen.addresses = await ns.addresses("v0");
      assert.deepEqual(
        (seen.addresses as Address[]).filter((address) => address.family === 4),
        [],
      );
      // The last IPv4 address gone, every IPv4 route through the link goes.
      seen.after = await ns.routes(4, "all");
      assert.deepEqual(seen.after, []);
      return seen;
    },
  },
];

const ROUTES: ContractCase[] = [
  {
    group: "routes",
    name: "add through a gateway; EEXIST at the same destination, table and metric only",
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await upVeth(target, ns, "v0", "v1");
      await ns.addAddress("v0", "10.1.0.5/24");
      await ns.addRoute({ dst: "10.9.0.0/16", via: "10.1.0.1", dev: "v0" });
      const seen: Observation = {};
      seen.same = await refused(
        ns.addRoute({ dst: "10.9.0.0/16", via: "10.1.0.2", dev: "v0" }),
        "EEXIST",
      );
      seen.otherDev = await refused(ns.addRoute({ dst: "10.9.0.0/16", dev: "v1" }), "EEXIST");
      await ns.addRoute({ dst: "10.9.0.0/16", via: "10.1.0.2", dev: "v0", metric: 5 });
      await ns.addRoute({ dst: "10.9.0.0/16", via: "10.1.0.3", dev: "v0", table: 100 });
      await ns.addRoute({ dst: "10.9.0.1", dev: "v0", scope: "link" });
      seen.main = await ns.routes(4);
      assert.deepEqual(
        sortedRoutes(seen.main as KernelRoute[]),
        sortedRoutes([
          v4Routes("v0").prefix,
          route({ dst: "10.9.0.0/16", gateway: "10.1.0.1", dev: "v0", table: "main" }),
          route({ dst: "10.9.0.0/16", gateway: "10.1.0.2", dev: "v0", table: "main", metric: 5 }),
          route({ dst: "10.9.0.1/32", dev: "v0", table: "main", scope: "link" }),
        ]),
      );
      seen.table = await ns.routes(4, 100);
      assert.deepEqual(seen.table, [
        route({ dst: "10.9.0.0/16", gateway: "10.1.0.3", dev: "v0", table: "100" }),
      ]);
      seen.unused = await ns.routes(4, 101);
      assert.deepEqual(seen.unused, []);
      seen.unusedV6 = await ns.routes(6, 101);
      assert.deepEqual(seen.unusedV6, []);
      seen.all = routeLines(await ns.routes(4, "all"));
      return seen;
    },
  },
  {
    group: "routes",
    name: "replace changes the route at the same destination, table and metric, or adds one",
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await upVeth(target, ns, "v0", "v1");
      await ns.addAddress("v0", "10.1.0.5/24");
      await ns.addAddress("v1", "10.2.0.5/24");
      await ns.addRoute({ dst: "10.9.0.0/16", via: "10.1.0.1", dev: "v0" });
      await ns.replaceRoute({ dst: "10.9.0.0/16", via: "10.2.0.1", dev: "v1" });
      await ns.replaceRoute({ dst: "10.8.0.0/16", via: "10.1.0.1", dev: "v0", metric: 9 });
      const routes = routeLines(await ns.routes(4));
      assert.deepEqual(routes, [
        "10.1.0.0/24 dev v0 main link src 10.1.0.5",
        "10.2.0.0/24 dev v1 main link src 10.2.0.5",
        "10.8.0.0/16 via 10.1.0.1 dev v0 main global metric 9",
        "10.9.0.0/16 via 10.2.0.1 dev v1 main global",
      ]);
      return { routes };
    },
  },
  {
    group: "routes",
    name:
      "delete only through the device given, matching next hop, table and metric; false when none",
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await upVeth(target, ns, "v0", "v1");
      await ns.addAddress("v0", "10.1.0.5/24");
      await ns.addAddress("v0", "2001:db8::5/64", { noDad: true });
      await ns.addRoute({ dst: "10.9.0.0/16", via: "10.1.0.1", dev: "v0" });
      await ns.addRoute({ dst: "10.9.0.0/16", via: "10.1.0.1", dev: "v0", metric: 5 });
      await ns.addRoute({ dst: "2001:db8:9::/48", via: "2001:db8::1", dev: "v0" });
      const seen: Observation = {};
      seen.otherDev = await ns.deleteRoute({ dst: "10.9.0.0/16", dev: "v1" });
      seen.otherVia = await ns.deleteRoute({ dst: "10.9.0.0/16", via: "10.1.0.9", dev: "v0" });
      seen.otherMetric = await ns.deleteRoute({ dst: "10.9.0.0/16", dev: "v0", metric: 7 });
      seen.otherTable = await ns.deleteRoute({ dst: "10.9.0.0/16", dev: "v0", table: 100 });
      seen.none = await ns.deleteRoute({ dst: "10.7.0.0/16", dev: "v0" });
      seen.v6OtherDev = await ns.deleteRoute({ dst: "2001:db8:9::/48", dev: "v1" });
      seen.metric = await ns.deleteRoute({ dst: "10.9.0.0/16", dev: "v0", metric: 5 });
      seen.rest = await ns.deleteRoute({ dst: "10.9.0.0/16", dev: "v0" });
      seen.again = await ns.deleteRoute({ dst: "10.9.0.0/16", dev: "v0" });
      seen.v6 = await ns.deleteRoute({ dst: "2001:db8:9::/48", via: "2001:db8::1", dev: "v0" });
      assert.deepEqual({ ...seen }, {
        otherDev: false,
        otherVia: false,
        otherMetric: false,
        otherTable: false,
        none: false,
        v6OtherDev: false,
        metric: true,
        rest: true,
        again: false,
        v6: true,
      });
      seen.missingDev = await refused(ns.deleteRoute({ dst: "10.9.0.0/16", dev: "v9" }), "ENODEV");
      seen.left = routeLines(await ns.routes(4));
      assert.deepEqual(seen.left, ["10.1.0.0/24 dev v0 main link src 10.1.0.5"]);
      return seen;
    },
  },
  {
    group: "routes",
    name: "a gateway out of reach, a link that is down, a source that is not local",
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await upVeth(target, ns, "v0", "v1");
      await ns.addAddress("v0", "10.1.0.5/24");
      await ns.addAddress("v0", "2001:db8::5/64", { noDad: true });
      await ns.createVeth({ name: "d0", peerName: "d1" });
      const seen: Observation = {};
      seen.v4Gateway = await refused(
        ns.addRoute({ dst: "10.9.0.0/16", via: "10.7.0.1", dev: "v0" }),
        "ENETUNREACH",
      );
      seen.v4GatewayOtherLink = await refused(
        ns.addRoute({ dst: "10.9.0.0/16", via: "10.1.0.1", dev: "v1" }),
        "ENETUNREACH",
      );
      seen.v6Gateway = await refused(
        ns.addRoute({ dst: "2001:db8:9::/48", via: "2001:db8:7::1", dev: "v0" }),
        "EHOSTUNREACH",
      );
      seen.v6Local = await refused(
        ns.addRoute({ dst: "2001:db8:9::/48", via: "2001:db8::5", dev: "v0" }),
        "EINVAL",
      );
      // IPv4 takes a gateway that is the link's own address.
      seen.v4Local = await outcome(ns.addRoute({ dst: "10.8.0.0/16", via: "10.1.0.5", dev: "v0" }));
      assert.deepEqual(seen.v4Local, { ok: null });
      seen.v4Down = await refused(ns.addRoute({ dst: "10.9.0.0/16", dev: "d0" }), "ENETDOWN");
      seen.v6Down = await refused(ns.addRoute({ dst: "2001:db8:9::/48", dev: "d0" }), "ENETDOWN");
      seen.v4Src = await refused(
        ns.addRoute({ dst: "10.9.0.0/16", dev: "v0", src: "10.3.0.1" }),
        "EINVAL",
      );
      seen.v6Src = await refused(
        ns.addRoute({ dst: "2001:db8:9::/48", dev: "v0", src: "2001:db8:3::1" }),
        "EINVAL",
      );
      seen.missingDev = await refused(ns.addRoute({ dst: "10.9.0.0/16", dev: "v9" }), "ENODEV");
      assert.deepEqual(routeLines(await ns.routes(4)), [
        "10.1.0.0/24 dev v0 main link src 10.1.0.5",
        "10.8.0.0/16 via 10.1.0.5 dev v0 main global",
      ]);
      return seen;
    },
  },
  {
    group: "routes",
    name: "scope, metric, table, MTU, advmss, a local source, default routes",
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await upVeth(target, ns, "v0", "v1");
      await ns.addAddress("v0", "10.1.0.5/24");
      await ns.addAddress("v1", "10.2.0.5/24");
      await ns.addAddress("v0", "2001:db8::5/64", { noDad: true });
      await ns.addRoute({
        dst: "10.7.0.0/16",
        dev: "v0",
        scope: "link",
        metric: 7,
        mtu: 1400,
        advmss: 1360,
      });
      await ns.addRoute({ dst: "10.8.0.0/16", dev: "v0", src: "10.2.0.5", table: 7 });
      await ns.addRoute({ dst: "0.0.0.0/0", via: "10.1.0.1", dev: "v0" });
      await ns.addRoute({ dst: "::/0", via: "2001:db8::1", dev: "v0" });
      await ns.addRoute({ dst: "2001:db8:7::/48", dev: "v0", metric: 7, mtu: 1400, advmss: 1360 });
      await ns.addRoute({ dst: "10.1.0.9", dev: "v0", scope: "host" });
      const seen: Observation = {};
      seen.defaultAgain = await refused(
        ns.addRoute({ dst: "default", via: "10.1.0.2", dev: "v0" }),
        "EEXIST",
      );
      seen.v4 = sortedRoutes(await ns.routes(4));
      assert.deepEqual(
        seen.v4,
        sortedRoutes([
          route({ dst: "0.0.0.0/0", gateway: "10.1.0.1", dev: "v0", table: "main" }),
          v4Routes("v0").prefix,
          v4Routes("v1", "10.2.0.5", "10.2.0.0/24").prefix,
          route({
            dst: "10.7.0.0/16",
            dev: "v0",
            table: "main",
            scope: "link",
            metric: 7,
            mtu: 1400,
            advmss: 1360,
          }),
          route({ dst: "10.1.0.9/32", dev: "v0", table: "main", scope: "host" }),
        ]),
      );
      seen.table7 = await ns.routes(4, 7);
      // Without a gateway or a scope, a route is on the link, as `ip route` makes it.
      assert.deepEqual(seen.table7, [
        route({ dst: "10.8.0.0/16", dev: "v0", table: "7", scope: "link", prefsrc: "10.2.0.5" }),
      ]);
      seen.v6 = sortedRoutes((await ns.routes(6)).filter((r) => !r.dst.startsWith("fe80")));
      assert.deepEqual(
        seen.v6,
        sortedRoutes([
          route({ dst: "::/0", gateway: "2001:db8::1", dev: "v0", table: "main", metric: 1024 }),
          route({ dst: "2001:db8::/64", dev: "v0", table: "main", metric: 256 }),
          route({
            dst: "2001:db8:7::/48",
            dev: "v0",
            table: "main",
            metric: 7,
            mtu: 1400,
            advmss: 1360,
          }),
        ]),
      );
      return seen;
    },
  },
  {
    group: "routes",
    name: "the routes through a link go when it goes down, and with it",
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await upVeth(target, ns, "v0", "v1");
      await ns.addAddress("v0", "10.1.0.5/24");
      await ns.addAddress("v0", "2001:db8::5/64", { noDad: true });
      await ns.addRoute({ dst: "10.9.0.0/16", via: "10.1.0.1", dev: "v0", table: 100 });
      await ns.addRoute({ dst: "2001:db8:9::/48", via: "2001:db8::1", dev: "v0" });
      await ns.setLinkDown("v0");
      const seen: Observation = {};
      seen.v4 = routeLines(await ns.routes(4, "all"));
      assert.deepEqual(seen.v4, ["local 10.1.0.5/32 dev v0 local host src 10.1.0.5"]);
      seen.v6 = routeLines(await ns.routes(6, "all"));
      assert.deepEqual(
        (seen.v6 as string[]).filter((line) => line.includes("dev v0")),
        [],
      );
      await ns.setLinkUp("v0");
      await ns.addRoute({ dst: "10.9.0.0/16", via: "10.1.0.1", dev: "v0" });
      assert.equal(await ns.deleteLink("v0"), true);
      seen.afterDelete = [...await ns.routes(4, "all"), ...await ns.routes(6, "all")].filter((r) =>
        r.dev === "v0"
      );
      assert.deepEqual(seen.afterDelete, []);
      return seen;
    },
  },
];

const TBF = { rate: 125_000, burst: 10_000, limit: 20_000 };

const QDISCS: ContractCase[] = [
  {
    group: "qdiscs",
    name: "a link that was never up has no qdisc listed; an up one has noqueue",
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await ns.createVeth({ name: "v0", peerName: "v1" });
      const seen: Observation = {};
      seen.fresh = await ns.qdiscs();
      assert.deepEqual(seen.fresh, []);
      assert.deepEqual(await ns.qdiscs("v0"), []);
      await ns.setLinkUp("lo");
      await ns.setLinkUp("v0");
      const noqueue = (dev: string): Qdisc => ({
        dev,
        kind: "noqueue",
        handle: 0,
        root: true,
        parent: 0xffffffff,
      });
      seen.up = await ns.qdiscs();
      assert.deepEqual(seen.up, [noqueue("lo"), noqueue("v0")]);
      assert.deepEqual(await ns.qdiscs("v0"), [noqueue("v0")]);
      await ns.setLinkDown("v0");
      seen.downAgain = await ns.qdiscs("v0");
      assert.deepEqual(seen.downAgain, [noqueue("v0")]);
      seen.missing = await refused(ns.qdiscs("v9"), "ENODEV");
      return seen;
    },
  },
  {
    group: "qdiscs",
    name: "a tbf with a limit, read back; EEXIST; deleted, then false",
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await upVeth(target, ns, "v0", "v1");
      await ns.addTbf("v0", TBF);
      const [tbf, ...others] = await ns.qdiscs("v0");
      assert.deepEqual(others, []);
      assert.ok(tbf !== undefined);
      assert.notEqual(tbf.handle, 0);
      assert.equal(tbf.handle & 0xffff, 0);
      assert.deepEqual(qdiscView([tbf]), [
        { dev: "v0", kind: "tbf", root: true, parent: 0xffffffff, tbf: TBF },
      ]);
      const seen: Observation = { tbf: qdiscView([tbf]) };
      seen.again = await refused(ns.addTbf("v0", { ...TBF, rate: 1000 }), "EEXIST");
      seen.deleted = await ns.deleteRootQdisc("v0");
      seen.deletedAgain = await ns.deleteRootQdisc("v0");
      seen.never = await ns.deleteRootQdisc("v1");
      assert.deepEqual([seen.deleted, seen.deletedAgain, seen.never], [true, false, false]);
      seen.after = await ns.qdiscs("v0");
      assert.deepEqual(seen.after, [
        { dev: "v0", kind: "noqueue", handle: 0, root: true, parent: 0xffffffff },
      ]);
      seen.missing = await refused(ns.addTbf("v9", TBF), "ENODEV");
      seen.missingDelete = await refused(ns.deleteRootQdisc("v9"), "ENODEV");
      return seen;
    },
  },
  {
    group: "qdiscs",
    name: "a tbf with a latency, a peak rate, a rate over 32 bits, and a burst the kernel rounds",
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await upVeth(target, ns, "v0", "v1");
      await ns.createVeth({ name: "w0", peerName: "w1" });
      await ns.createVeth({ name: "x0", peerName: "x1" });
      // latency: the limit is rate * latency + burst.
      await ns.addTbf("v0", { rate: 1_000_000, burst: 3000, latencyUs: 25_000 });
      await ns.addTbf("v1", {
        rate: 1_000_000,
        burst: 3000,
        limit: 28_000,
        peakrate: 2_000_000,
        mtu: 1600,
      });
      await ns.addTbf("w0", { rate: 10_000_000_000, burst: 100_000, limit: 200_000 });
      await ns.addTbf("w1", { rate: 7_777_777, burst: 12_345, limit: 200_000 });
      await ns.addTbf("x0", { rate: 2000, burst: 1000, limit: 2000, peakrate: 125_000, mtu: 1500 });
      const seen: Observation = {};
      for (const dev of ["v0", "v1", "w0", "w1", "x0"]) {
        seen[dev] = (await ns.qdiscs(dev)).map((qdisc) => qdisc.tbf);
      }
      assert.deepEqual({ ...seen }, {
        v0: [{ rate: 1_000_000, burst: 3000, limit: 28_000 }],
        v1: [{ rate: 1_000_000, burst: 3000, limit: 28_000, peakrate: 2_000_000, mtu: 1600 }],
        // The kernel keeps the burst as time at the rate: it comes back as the bytes that
        // time holds.
        w0: [{ rate: 10_000_000_000, burst: 90_000, limit: 200_000 }],
        w1: [{ rate: 7_777_777, burst: 12_343, limit: 200_000 }],
        x0: [{ rate: 2000, burst: 1000, limit: 2000, peakrate: 125_000, mtu: 1500 }],
      });
      seen.peakBelowRate = await refused(
        ns.addTbf("x1", { rate: 2000, burst: 1000, limit: 2000, peakrate: 2000, mtu: 1500 }),
        "EINVAL",
      );
      return seen;
    },
  },
  {
    group: "qdiscs",
    name: "a tbf on a link that is down stays; deleted there, nothing is listed until up",
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await ns.createVeth({ name: "v0", peerName: "v1" });
      await ns.addTbf("v0", TBF);
      const seen: Observation = {};
      seen.down = qdiscView(await ns.qdiscs());
      assert.deepEqual(seen.down, [
        { dev: "v0", kind: "tbf", root: true, parent: 0xffffffff, tbf: TBF },
      ]);
      assert.equal(await ns.deleteRootQdisc("v0"), true);
      seen.deleted = await ns.qdiscs();
      assert.deepEqual(seen.deleted, []);
      await ns.setLinkUp("v0");
      seen.up = await ns.qdiscs();
      assert.deepEqual(seen.up, [
        { dev: "v0", kind: "noqueue", handle: 0, root: true, parent: 0xffffffff },
      ]);
      return seen;
    },
  },
];

const SYSCTLS: ContractCase[] = [
  {
    group: "sysctls",
    name: "ip_forward: read, written, and what it sets on every interface",
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await ns.createVeth({ name: "v0", peerName: "v1" });
      const seen: Observation = {};
      // A new namespace takes its IPv4 settings from the host's: set them first.
      await ns.sysctlSet("net.ipv4.ip_forward", "0");
      seen.before = await ns.sysctlGet("net.ipv4.ip_forward");
      assert.equal(seen.before, "0");
      assert.equal(await ns.sysctlGet("net.ipv4.conf.v0.forwarding"), "0");
      await ns.sysctlSet("net.ipv4.ip_forward", "1");
      seen.after = await ns.sysctlGet("net/ipv4/ip_forward");
      seen.all = await ns.sysctlGet("net.ipv4.conf.all.forwarding");
      seen.v0 = await ns.sysctlGet("net.ipv4.conf.v0.forwarding");
      seen.default = await ns.sysctlGet("net.ipv4.conf.default.forwarding");
      assert.deepEqual([seen.after, seen.all, seen.v0, seen.default], ["1", "1", "1", "1"]);
      seen.invalid = await refused(ns.sysctlSet("net.ipv4.ip_forward", "abc"), "EINVAL");
      seen.empty = await outcome(ns.sysctlSet("net.ipv4.ip_forward", ""));
      assert.equal(await ns.sysctlGet("net.ipv4.ip_forward"), "1");
      return seen;
    },
  },
  {
    group: "sysctls",
    name:
      "per-interface keys, with dots or slashes, for a name with a dot; new links take the defaults",
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      await ns.sysctlSet("net.ipv4.conf.default.rp_filter", "2");
      await ns.createVeth({ name: "a.b", peerName: "v1" });
      const seen: Observation = {};
      seen.slashes = await ns.sysctlGet("net/ipv4/conf/a.b/rp_filter");
      seen.dots = await ns.sysctlGet("net.ipv4.conf.a/b.rp_filter");
      assert.deepEqual([seen.slashes, seen.dots], ["2", "2"]);
      await ns.sysctlSet("net.ipv4.conf.a/b.rp_filter", "1");
      assert.equal(await ns.sysctlGet("net/ipv4/conf/a.b/rp_filter"), "1");
      seen.dotsAsWords = await refused(ns.sysctlGet("net.ipv4.conf.a.b.rp_filter"), "ENOENT");
      await ns.sysctlSet("net/ipv6/conf/v1/disable_ipv6", "1");
      assert.equal(await ns.sysctlGet("net.ipv6.conf.v1.disable_ipv6"), "1");
      await ns.renameLink("a.b", "c0");
      seen.renamed = await ns.sysctlGet("net.ipv4.conf.c0.rp_filter");
      assert.equal(seen.renamed, "1");
      seen.oldName = await refused(ns.sysctlGet("net/ipv4/conf/a.b/rp_filter"), "ENOENT");
      assert.equal(await ns.deleteLink("c0"), true);
      seen.deleted = await refused(ns.sysctlGet("net.ipv4.conf.c0.rp_filter"), "ENOENT");
      return seen;
    },
  },
  {
    group: "sysctls",
    name: "missing keys, directories, a write-only and a read-only key",
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      const seen: Observation = {};
      seen.missing = await refused(ns.sysctlGet("net.ipv4.nope"), "ENOENT");
      seen.missingWrite = await refused(ns.sysctlSet("net.ipv4.nope", "1"), "ENOENT");
      seen.underFile = await refused(ns.sysctlGet("net.ipv4.ip_forward.x"), "ENOTDIR");
      seen.directory = await refused(ns.sysctlGet("net.ipv4.conf"), "EISDIR");
      seen.directoryWrite = await refused(ns.sysctlSet("net.ipv4.conf", "1"), "EISDIR");
      seen.writeOnly = await refused(ns.sysctlGet("net.ipv4.route.flush"), "EACCES");
      seen.readOnly = await refused(
        ns.sysctlSet("net.ipv4.conf.all.mc_forwarding", "1"),
        "EACCES",
      );
      return seen;
    },
  },
  {
    group: "sysctls",
    name: "invalid keys and values are code 7 before any backend sees them",
    async run(target) {
      const ns = target.toolkit(await target.namespace());
      const before = target.operations;
      const seen: Observation = {};
      for (
        const key of ["", "-w", "net..ipv4", "net/../../etc", "net.a=b", "net a", "net.", "/net"]
      ) {
        seen[`get ${JSON.stringify(key)}`] = await invalid(
          () => ns.sysctlGet(key),
          7,
          /^invalid sysctl key /,
        );
      }
      seen.value = await invalid(
        () => ns.sysctlSet("net.ipv4.ip_forward", "1\nnet.ipv4.conf.all.forwarding=1"),
        7,
        /^invalid sysctl value /,
      );
      assert.equal(target.operations, before);
      return seen;
    },
  },
];

/** Runs `call` with a 5 s guard: a FIFO must never block it. */
async function atOnce(
  target: ContractTarget,
  path: string,
  call: () => Promise<unknown>,
): Promise<Outcome> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), 5000)));
  const settled = outcome(call());
  const first = await Promise.race([settled, late]);
  clearTimeout(timer);
  if (first === "late") {
    await target.unblock(path);
    await settled;
    assert.fail(`blocked on ${path} for 5 s`);
  }
  assert.ok(performance.now() - started < 5000);
  return first;
}

const NAMESPACES: ContractCase[] = [
  {
    group: "namespaces",
    name: "a missing path is NamespaceMissingError, for the namespace and for a target",
    async run(target) {
      const here = target.toolkit(await target.namespace());
      await here.createVeth({ name: "v0", peerName: "v1" });
      const missing = target.missingPath();
      const seen: Observation = {};
      const gone = target.toolkit(missing);
      seen.links = await outcome(gone.links());
      seen.sysctl = await outcome(gone.sysctlGet("net.ipv4.ip_forward"));
      seen.peer = await outcome(
        here.createVeth({ name: "x0", peerName: "x1", peerNetns: missing }),
      );
      seen.move = await outcome(here.moveLink("v1", missing));
      for (const value of Object.values(seen)) {
        assert.deepEqual(value, { error: "NamespaceMissingError" });
      }
      assert.deepEqual((await here.links()).map((link) => link.name), ["lo", "v1", "v0"]);
      return seen;
    },
  },
  {
    group: "namespaces",
    name: "a FIFO, a regular file, a directory are code 4 and never opened",
    async run(target) {
      const here = target.toolkit(await target.namespace());
      await here.createVeth({ name: "v0", peerName: "v1" });
      const seen: Observation = {};
      for (const kind of ["a FIFO", "a regular file", "a directory"] as const) {
        const path = await target.notANamespace(kind);
        const expected = (error: unknown) => {
          assert.ok(error instanceof CniError, String(error));
          assert.equal(error.code, 4);
          assert.equal(
            error.message,
            `${JSON.stringify(path)} is not a network namespace: it is ${kind}`,
          );
          return true;
        };
        const calls: [string, () => Promise<unknown>][] = [
          ["links", () => target.toolkit(path).links()],
          ["sysctl", () => target.toolkit(path).sysctlGet("net.ipv4.ip_forward")],
          ["peer", () => here.createVeth({ name: "x0", peerName: "x1", peerNetns: path })],
          ["link", () => here.createLink({ kind: "bridge", name: "x2", netns: path })],
          ["move", () => here.moveLink("v1", path)],
        ];
        for (const [name, call] of calls) {
          seen[`${kind} ${name}`] = await atOnce(target, path, call);
          await assert.rejects(call(), expected);
        }
      }
      assert.deepEqual((await here.links()).map((link) => link.name), ["lo", "v1", "v0"]);
      return seen;
    },
  },
  {
    group: "namespaces",
    name: "a path that is not absolute is code 4",
    async run(target) {
      const here = target.toolkit(await target.namespace());
      await here.createVeth({ name: "v0", peerName: "v1" });
      const seen: Observation = {};
      for (const path of ["var/run/netns/x", "", "./x"]) {
        assert.throws(() => target.toolkit(path), { code: 4 });
        seen[`peer ${path}`] = await invalid(
          () => here.createVeth({ name: "x0", peerName: "x1", peerNetns: path }),
          4,
          /must be absolute/,
        );
        seen[`move ${path}`] = await invalid(
          () => here.moveLink("v0", path),
          4,
          /must be absolute/,
        );
      }
      return seen;
    },
  },
];

/** Every case of the contract, by group. */
export const CASES: readonly ContractCase[] = [
  ...LINKS,
  ...ADDRESSES,
  ...ROUTES,
  ...QDISCS,
  ...SYSCTLS,
  ...NAMESPACES,
];
