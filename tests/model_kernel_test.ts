/**
 * The model kernel (lib/model_kernel.ts) without root: namespaces and paths, links and their
 * rules, the backend, the log and snapshots. Addresses, routes, qdiscs and sysctls have files of
 * their own in tests/model_kernel/; tests/e2e/model_kernel_real_test.ts runs the same rules
 * against Linux as root.
 */
import assert from "node:assert/strict";
import { CniError } from "../lib/errors.ts";
import { NamespaceMissingError } from "../lib/net_errors.ts";
import { modelKernel } from "../lib/model_kernel.ts";
import { modelKernel as fromTesting } from "../lib/testing.ts";
import { addressWords, assertRefused, C1, C2, names, setup } from "./model_kernel/_helpers.ts";

Deno.test("a new kernel has the host's namespace with lo, as Linux makes it", () => {
  const kernel = modelKernel();
  assert.equal(fromTesting, modelKernel);
  assert.deepEqual(kernel.namespace().links(), [{
    name: "lo",
    index: 1,
    mtu: 65536,
    mac: "00:00:00:00:00:00",
    up: false,
    txqueuelen: 1000,
  }]);
  assert.deepEqual(kernel.snapshot(), {
    links: kernel.namespace().links(),
    addresses: [],
    routes: { ipv4: [], ipv6: [] },
    qdiscs: [],
    sysctls: {},
  });
});

Deno.test("namespace paths: what is there, and what operations say about it", async (t) => {
  const kernel = modelKernel();
  kernel.addNamespace(C1);
  kernel.addFile("/run/fifo", "fifo");
  kernel.addFile("/run/file", "file");
  kernel.addFile("/run/dir", "directory");
  await t.step("namespacePathKind", () => {
    assert.equal(kernel.namespacePathKind(C1), "netns");
    assert.equal(kernel.namespacePathKind("/proc/self/ns/net"), "netns");
    assert.equal(kernel.namespacePathKind("/proc/1/ns/net"), "netns");
    assert.equal(kernel.namespacePathKind("/run/fifo"), "a FIFO");
    assert.equal(kernel.namespacePathKind("/run/file"), "a regular file");
    assert.equal(kernel.namespacePathKind("/run/dir"), "a directory");
    assert.equal(kernel.namespacePathKind("/var/run/netns/nope"), "missing");
  });
  await t.step("a missing path: NamespaceMissingError from the first operation", async () => {
    const ops = kernel.backend.open("/var/run/netns/nope");
    await assert.rejects(ops.links(), NamespaceMissingError);
    assert.equal(kernel.log.at(-1)?.errno, "ENOENT");
  });
  await t.step("a FIFO: code 4, nothing opened", async () => {
    const error = await kernel.backend.open("/run/fifo").links().then(() => undefined, (e) => e);
    assert.ok(error instanceof CniError);
    assert.equal(error.code, 4);
    assert.equal(error.message, '"/run/fifo" is not a network namespace: it is a FIFO');
  });
  await t.step("a path naming the host's namespace moves a link back to it", () => {
    const c1 = kernel.namespace(C1);
    c1.createLink({ kind: "dummy", name: "d0" });
    c1.moveLink("d0", "/proc/self/ns/net");
    assert.deepEqual(names(kernel.namespace()), ["lo", "d0"]);
  });
  await t.step("an alias names the same namespace", () => {
    kernel.alias("/proc/4242/ns/net", C1);
    assert.deepEqual(names(kernel.namespace("/proc/4242/ns/net")), ["lo"]);
    kernel.namespace("/proc/4242/ns/net").createLink({ kind: "bridge", name: "br0" });
    assert.deepEqual(names(kernel.namespace(C1)), ["lo", "br0"]);
  });
  await t.step("a test's misuse is a plain error", () => {
    assert.throws(() => kernel.addNamespace(C1), /something is at "\/var\/run\/netns\/c1" already/);
    assert.throws(() => kernel.addNamespace("netns/c9"), /not an absolute path/);
    assert.throws(() => kernel.deleteNamespace("/run/fifo"), /no namespace at/);
    assert.throws(() => kernel.deleteNamespace("/proc/1/ns/net"), /cannot be deleted/);
    assert.throws(() => kernel.namespace("/nope"), NamespaceMissingError);
  });
});

Deno.test("deleting a namespace", async (t) => {
  await t.step("a veth whose peer was in it dies too, and its paths go", () => {
    const { kernel, host } = setup();
    kernel.alias("/proc/77/ns/net", C1);
    host.createLink({ kind: "veth", name: "veth1", peerName: "eth0", peerNetns: C1 });
    host.createLink({ kind: "veth", name: "keep0", peerName: "keep1" });
    kernel.deleteNamespace(C1);
    assert.deepEqual(names(host), ["lo", "keep1", "keep0"]);
    assert.equal(kernel.namespacePathKind(C1), "missing");
    assert.equal(kernel.namespacePathKind("/proc/77/ns/net"), "missing");
  });
  await t.step("a macvlan elsewhere on a veth in it dies with the veth", () => {
    const { kernel, host, c1 } = setup();
    c1.createLink({ kind: "veth", name: "v0", peerName: "v1" });
    c1.createLink({ kind: "macvlan", name: "mv0", parent: "v0", netns: "/proc/1/ns/net" });
    assert.deepEqual(names(host), ["lo", "mv0"]);
    kernel.deleteNamespace(C1);
    assert.deepEqual(names(host), ["lo"]);
  });
  await t.step("a physical device goes back to the host, renamed dev<index> on a clash", () => {
    const { kernel, host, c1 } = setup();
    host.addDevice({ name: "eth0", mac: "02:00:00:00:00:01" });
    c1.addDevice({ name: "eth0", mac: "02:00:00:00:00:02" });
    c1.addDevice({ name: "eth1", mac: "02:00:00:00:00:03" });
    c1.setLink("eth1", { up: true });
    c1.addAddress("eth1", "10.1.0.5/24");
    kernel.deleteNamespace(C1);
    assert.deepEqual(
      host.links().map((l) => [l.name, l.index, l.mac, l.up]),
      [
        ["lo", 1, "00:00:00:00:00:00", false],
        ["eth0", 2, "02:00:00:00:00:01", false],
        ["dev2", 3, "02:00:00:00:00:02", false],
        ["eth1", 4, "02:00:00:00:00:03", false],
      ],
    );
    assert.deepEqual(host.addresses(), []);
  });
});

Deno.test("ifindexes: per namespace, a veth's peer first, never given again", async (t) => {
  await t.step("the counter goes on past deleted links", () => {
    const { c1 } = setup();
    c1.createLink({ kind: "veth", name: "v0", peerName: "v1" });
    c1.createLink({ kind: "veth", name: "v2", peerName: "v3" });
    assert.deepEqual(c1.links().map((l) => [l.index, l.name]), [
      [1, "lo"],
      [2, "v1"],
      [3, "v0"],
      [4, "v3"],
      [5, "v2"],
    ]);
    c1.deleteLink("v0");
    c1.createLink({ kind: "veth", name: "v4", peerName: "v5" });
    assert.deepEqual(c1.links().map((l) => [l.index, l.name]), [
      [1, "lo"],
      [4, "v3"],
      [5, "v2"],
      [6, "v5"],
      [7, "v4"],
    ]);
  });
  await t.step("a moved link keeps its index when free there, else gets the next", () => {
    const { kernel, host, c1 } = setup();
    kernel.addNamespace(C2);
    const c2 = kernel.namespace(C2);
    host.createLink({ kind: "veth", name: "a0", peerName: "a1" });
    host.createLink({ kind: "veth", name: "b0", peerName: "b1" });
    host.moveLink("b0", C1);
    assert.deepEqual(c1.links().map((l) => [l.index, l.name]), [[1, "lo"], [5, "b0"]]);
    c1.createLink({ kind: "dummy", name: "d0" });
    assert.equal(c1.link("d0")?.index, 2);
    c2.createLink({ kind: "dummy", name: "x0" });
    c2.moveLink("x0", C1);
    assert.equal(c1.link("x0")?.index, 3);
    c2.createLink({ kind: "veth", name: "y0", peerName: "y1" });
    c2.moveLink("y0", C1);
    assert.equal(c1.link("y0")?.index, 4, "4 was free in c1");
    c1.createLink({ kind: "dummy", name: "d1" });
    assert.equal(c1.link("d1")?.index, 6, "the counter skips 4 and 5, which moved in");
  });
});

Deno.test("creating links: each kind as Linux makes it", () => {
  const { c1 } = setup();
  c1.createLink({ kind: "veth", name: "v0", peerName: "v1", mac: "02:00:00:00:00:01" });
  c1.createLink({ kind: "bridge", name: "br0", mac: "02:00:00:00:00:02" });
  c1.createLink({ kind: "dummy", name: "d0", mac: "02:00:00:00:00:03" });
  c1.createLink({ kind: "macvlan", name: "mv0", parent: "v0", mac: "02:00:00:00:00:04" });
  c1.createLink({ kind: "ipvlan", name: "iv0", parent: "d0", mode: "l3" });
  c1.createLink({ kind: "vlan", name: "v0.5", parent: "v0", vlanId: 5 });
  const common = { up: false, txqueuelen: 1000 };
  assert.deepEqual(c1.links().slice(2), [
    {
      name: "v0",
      index: 3,
      mtu: 1500,
      mac: "02:00:00:00:00:01",
      kind: "veth",
      ...common,
      linkIndex: 2,
    },
    { name: "br0", index: 4, mtu: 1500, mac: "02:00:00:00:00:02", kind: "bridge", ...common },
    { name: "d0", index: 5, mtu: 1500, mac: "02:00:00:00:00:03", kind: "dummy", ...common },
    {
      name: "mv0",
      index: 6,
      mtu: 1500,
      mac: "02:00:00:00:00:04",
      kind: "macvlan",
      ...common,
      linkIndex: 3,
      macvlanMode: "vepa",
    },
    {
      name: "iv0",
      index: 7,
      mtu: 1500,
      mac: "02:00:00:00:00:03",
      kind: "ipvlan",
      ...common,
      linkIndex: 5,
      ipvlanMode: "l3",
    },
    {
      name: "v0.5",
      index: 8,
      mtu: 1500,
      mac: "02:00:00:00:00:01",
      kind: "vlan",
      ...common,
      linkIndex: 3,
      vlanId: 5,
    },
  ]);
  const v1 = c1.link("v1")!;
  assert.match(v1.mac!, /^[0-9a-f][26ae](:[0-9a-f]{2}){5}$/);
  assert.equal(v1.linkIndex, 3);
});

Deno.test("random hardware addresses: locally administered, unicast, the same for a seed", () => {
  const macs = (seed: number) => {
    const kernel = modelKernel({ seed });
    kernel.namespace().createLink({ kind: "veth", name: "v0", peerName: "v1" });
    return kernel.namespace().links().slice(1).map((l) => l.mac!);
  };
  assert.deepEqual(macs(7), macs(7));
  assert.notDeepEqual(macs(7), macs(8));
  for (const mac of [...macs(1), ...macs(2), ...macs(3)]) {
    const first = parseInt(mac.slice(0, 2), 16);
    assert.equal(first & 0b11, 0b10, mac);
  }
});

Deno.test("a veth into another namespace: peer index and namespace id as reported", () => {
  const { kernel, host, c1 } = setup();
  kernel.addNamespace(C2);
  host.createLink({ kind: "veth", name: "veth1", peerName: "eth0", peerNetns: C1, mtu: 9000 });
  host.createLink({ kind: "veth", name: "veth2", peerName: "eth0", peerNetns: C2 });
  assert.deepEqual(
    host.links().map((l) => [l.name, l.index, l.mtu, l.linkIndex, l.linkNetnsId]),
    [["lo", 1, 65536, undefined, undefined], ["veth1", 2, 9000, 2, 0], ["veth2", 3, 1500, 2, 1]],
  );
  assert.deepEqual(
    c1.links().map((l) => [l.name, l.index, l.mtu, l.linkIndex, l.linkNetnsId]),
    [["lo", 1, 65536, undefined, undefined], ["eth0", 2, 9000, 2, 0]],
  );
  c1.createLink({ kind: "veth", name: "a", peerName: "b", netns: C2, peerNetns: C2 });
  assert.deepEqual(names(kernel.namespace(C2)), ["lo", "eth0", "b", "a"]);
});

Deno.test("creating links: what the kernel refuses", async (t) => {
  const rows: {
    name: string;
    spec: Parameters<ReturnType<typeof setup>["c1"]["createLink"]>[0];
    errno: string;
    detail?: string;
  }[] = [
    { name: "a taken name", spec: { kind: "dummy", name: "v0" }, errno: "EEXIST" },
    {
      name: "a taken peer name",
      spec: { kind: "veth", name: "n0", peerName: "v1" },
      errno: "EEXIST",
    },
    {
      name: "both ends named alike",
      spec: { kind: "veth", name: "n0", peerName: "n0" },
      errno: "EEXIST",
    },
    { name: "lo", spec: { kind: "bridge", name: "lo" }, errno: "EEXIST" },
    {
      name: "a name of 16 bytes",
      spec: { kind: "dummy", name: "0123456789abcdef" },
      errno: "EINVAL",
    },
    { name: "a name with a slash", spec: { kind: "dummy", name: "a/b" }, errno: "EINVAL" },
    {
      name: "a veth MTU below 68",
      spec: { kind: "veth", name: "n0", peerName: "n1", mtu: 67 },
      errno: "EINVAL",
    },
    {
      name: "a veth MTU above 65535",
      spec: { kind: "veth", name: "n0", peerName: "n1", mtu: 70000 },
      errno: "EINVAL",
    },
    {
      name: "a bridge MTU above 65535",
      spec: { kind: "bridge", name: "b0", mtu: 70000 },
      errno: "EINVAL",
      detail: "mtu greater than device maximum",
    },
    {
      name: "a multicast hardware address",
      spec: { kind: "veth", name: "n0", peerName: "n1", mac: "03:00:00:00:00:01" },
      errno: "EADDRNOTAVAIL",
    },
    {
      name: "a zero hardware address",
      spec: { kind: "bridge", name: "b0", mac: "00:00:00:00:00:00" },
      errno: "EADDRNOTAVAIL",
    },
    { name: "no parent", spec: { kind: "macvlan", name: "m0", parent: "nope" }, errno: "ENODEV" },
    {
      name: "a macvlan on lo",
      spec: { kind: "macvlan", name: "m0", parent: "lo" },
      errno: "EINVAL",
    },
    {
      name: "an ipvlan on lo",
      spec: { kind: "ipvlan", name: "i0", parent: "lo" },
      errno: "EINVAL",
    },
    {
      name: "a vlan on lo",
      spec: { kind: "vlan", name: "l0", parent: "lo", vlanId: 1 },
      errno: "EOPNOTSUPP",
    },
    {
      name: "a macvlan MTU above the parent's",
      spec: { kind: "macvlan", name: "m0", parent: "v0", mtu: 1501 },
      errno: "EINVAL",
    },
    {
      name: "a macvlan on a bridge port",
      spec: { kind: "macvlan", name: "m0", parent: "p0" },
      errno: "EBUSY",
    },
    {
      name: "an ipvlan on a macvlan parent",
      spec: { kind: "ipvlan", name: "i0", parent: "v0" },
      errno: "EBUSY",
    },
    {
      name: "vlan id 4095",
      spec: { kind: "vlan", name: "l0", parent: "v0", vlanId: 4095 },
      errno: "ERANGE",
      detail: "8021q: Invalid VLAN id",
    },
    {
      name: "a vlan id the parent has",
      spec: { kind: "vlan", name: "l0", parent: "v0", vlanId: 7 },
      errno: "EEXIST",
    },
    {
      name: "a passthru macvlan on a parent with macvlans",
      spec: { kind: "macvlan", name: "m0", parent: "v0", mode: "passthru" },
      errno: "EINVAL",
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const { c1 } = setup();
      c1.createLink({ kind: "veth", name: "v0", peerName: "v1" });
      c1.createLink({ kind: "veth", name: "p0", peerName: "p1" });
      c1.createLink({ kind: "bridge", name: "br0" });
      c1.setLink("p0", { master: "br0" });
      c1.createLink({ kind: "macvlan", name: "mv", parent: "v0" });
      c1.createLink({ kind: "vlan", name: "v0.7", parent: "v0", vlanId: 7 });
      const before = c1.links();
      const error = assertRefused(() => c1.createLink(row.spec), row.errno, row.detail);
      assert.equal(error.operation, "create link");
      assert.equal(error.object, JSON.stringify(row.spec.name));
      assert.deepEqual(c1.links(), before);
    });
  }
  await t.step("a name taken in the target, not here", () => {
    const { host, c1 } = setup();
    host.createLink({ kind: "dummy", name: "eth0" });
    host.createLink({ kind: "veth", name: "eth0", netns: C1, peerName: "veth1" });
    assert.deepEqual(names(c1), ["lo", "eth0"]);
    c1.createLink({ kind: "dummy", name: "x" });
    assertRefused(() => host.createLink({ kind: "dummy", name: "x", netns: C1 }), "EEXIST");
  });
  await t.step("a target namespace that does not exist", () => {
    const { host } = setup();
    assert.throws(
      () => host.createLink({ kind: "veth", name: "a", peerName: "b", peerNetns: "/nope" }),
      NamespaceMissingError,
    );
    assert.deepEqual(names(host), ["lo"]);
  });
});

Deno.test("names: %d patterns, and the names the kernel keeps for itself", async (t) => {
  await t.step("a %d pattern takes the smallest free number, on creation and renaming", () => {
    const { c1 } = setup();
    c1.createLink({ kind: "bridge", name: "br%d" });
    c1.createLink({ kind: "bridge", name: "br%d" });
    c1.createLink({ kind: "veth", name: "v%d", peerName: "v%d" });
    c1.renameLink("v1", "eth%d");
    c1.renameLink("br0", "br%d");
    assert.deepEqual(names(c1), ["lo", "br0", "br1", "v0", "eth0"]);
    assertRefused(() => c1.createLink({ kind: "bridge", name: "a%b" }), "EINVAL");
    assertRefused(() => c1.createLink({ kind: "bridge", name: "x%d%d" }), "EINVAL");
  });
  await t.step('"all" and "default" are EINVAL, and spend the index they had', () => {
    const { c1 } = setup();
    c1.createLink({ kind: "veth", name: "v0", peerName: "v1" });
    assertRefused(() => c1.createLink({ kind: "bridge", name: "all" }), "EINVAL");
    assertRefused(() => c1.createLink({ kind: "veth", name: "x0", peerName: "default" }), "EINVAL");
    assertRefused(() => c1.renameLink("v0", "all"), "EINVAL");
    c1.createLink({ kind: "bridge", name: "br0" });
    assert.deepEqual(c1.links().map((l) => [l.name, l.index]), [
      ["lo", 1],
      ["v1", 2],
      ["v0", 3],
      ["br0", 6],
    ]);
  });
  await t.step("a veth named like its peer: EEXIST after the peer took an index", () => {
    const { c1 } = setup();
    assertRefused(() => c1.createLink({ kind: "veth", name: "n0", peerName: "n0" }), "EEXIST");
    c1.createLink({ kind: "dummy", name: "d0" });
    assert.equal(c1.link("d0")?.index, 3);
  });
  await t.step("a veth's queue length is its own; the peer has the default", () => {
    const { c1 } = setup();
    c1.createLink({ kind: "veth", name: "a0", peerName: "b0", txqueuelen: 500, mtu: 1400 });
    assert.deepEqual(c1.links().slice(1).map((l) => [l.name, l.txqueuelen, l.mtu]), [
      ["b0", 1000, 1400],
      ["a0", 500, 1400],
    ]);
  });
});

Deno.test("stacked links: parents, MTUs, and dying with the parent", async (t) => {
  await t.step("a macvlan on a macvlan sits on the real parent", () => {
    const { c1 } = setup();
    c1.createLink({ kind: "veth", name: "v0", peerName: "v1", mtu: 9000 });
    c1.createLink({ kind: "macvlan", name: "m0", parent: "v0" });
    c1.createLink({ kind: "macvlan", name: "m1", parent: "m0" });
    assert.deepEqual(c1.links().slice(3).map((l) => [l.name, l.mtu, l.linkIndex]), [
      ["m0", 9000, 3],
      ["m1", 9000, 3],
    ]);
  });
  await t.step("lowering the parent's MTU lowers its children; raising it does not", () => {
    const { c1 } = setup();
    c1.createLink({ kind: "veth", name: "v0", peerName: "v1", mtu: 9000 });
    c1.createLink({ kind: "macvlan", name: "m0", parent: "v0" });
    c1.createLink({ kind: "macvlan", name: "m1", parent: "v0", mtu: 8000 });
    c1.createLink({ kind: "ipvlan", name: "i0", parent: "v1" });
    assertRefused(() => c1.setLink("m1", { mtu: 9500 }), "EINVAL");
    c1.setLink("v0", { mtu: 1500 });
    c1.setLink("v1", { mtu: 1400 });
    assert.deepEqual(c1.links().map((l) => [l.name, l.mtu]), [
      ["lo", 65536],
      ["v1", 1400],
      ["v0", 1500],
      ["m0", 1500],
      ["m1", 1500],
      ["i0", 1400],
    ]);
    c1.setLink("v0", { mtu: 9000 });
    c1.setLink("v1", { mtu: 2000 });
    assert.equal(c1.link("m0")?.mtu, 1500);
    assert.equal(c1.link("i0")?.mtu, 2000, "an ipvlan follows its parent both ways");
  });
  await t.step("a vlan's MTU above its parent's is ERANGE", () => {
    const { c1 } = setup();
    c1.createLink({ kind: "dummy", name: "d0" });
    c1.createLink({ kind: "vlan", name: "d0.3", parent: "d0", vlanId: 3 });
    assertRefused(() => c1.setLink("d0.3", { mtu: 1501 }), "ERANGE");
  });
  await t.step("an ipvlan has its parent's hardware address, and keeps following it", () => {
    const { c1 } = setup();
    c1.createLink({ kind: "dummy", name: "d0", mac: "02:00:00:00:00:07" });
    c1.createLink({ kind: "ipvlan", name: "i0", parent: "d0", mac: "02:00:00:00:00:08" });
    assert.equal(c1.link("i0")?.mac, "02:00:00:00:00:07");
    c1.setLink("d0", { mac: "02:00:00:00:00:09" });
    assert.equal(c1.link("i0")?.mac, "02:00:00:00:00:09");
    assertRefused(() => c1.setLink("i0", { mac: "02:00:00:00:00:0a" }), "EOPNOTSUPP");
  });
  await t.step("a vlan cannot come up without its parent, and follows it up and down", () => {
    const { c1 } = setup();
    c1.createLink({ kind: "dummy", name: "d0" });
    c1.createLink({ kind: "vlan", name: "d0.3", parent: "d0", vlanId: 3 });
    assertRefused(() => c1.setLink("d0.3", { up: true }), "ENETDOWN");
    c1.setLink("d0", { up: true });
    assert.equal(c1.link("d0.3")?.up, true);
    c1.setLink("d0", { up: false });
    assert.equal(c1.link("d0.3")?.up, false);
  });
  await t.step("a macvlan with its parent's hardware address cannot come up", () => {
    const { c1 } = setup();
    c1.createLink({ kind: "dummy", name: "d0", mac: "02:00:00:00:00:07" });
    c1.createLink({ kind: "macvlan", name: "m0", parent: "d0", mac: "02:00:00:00:00:07" });
    assertRefused(() => c1.setLink("m0", { up: true }), "EADDRINUSE");
  });
  await t.step("children die with the parent, in any namespace", () => {
    const { kernel, host, c1 } = setup();
    host.createLink({ kind: "veth", name: "v0", peerName: "v1" });
    host.createLink({ kind: "macvlan", name: "eth0", parent: "v0", netns: C1 });
    host.createLink({ kind: "vlan", name: "v0.2", parent: "v0", vlanId: 2 });
    assert.deepEqual(
      c1.link("eth0") && [c1.link("eth0")?.linkIndex, c1.link("eth0")?.linkNetnsId],
      [3, 0],
    );
    assert.equal(host.deleteLink("v1"), true);
    assert.deepEqual(names(host), ["lo"]);
    assert.deepEqual(names(c1), ["lo"]);
    assert.deepEqual(kernel.snapshot(C1).links.length, 1);
  });
});

Deno.test("changing links", async (t) => {
  await t.step("up, promisc, allmulti, queue length, MTU, hardware address", () => {
    const { c1 } = setup();
    c1.createLink({ kind: "veth", name: "v0", peerName: "v1" });
    c1.setLink("v0", {
      up: true,
      promisc: true,
      allmulti: true,
      txqueuelen: 0,
      mtu: 65535,
      mac: "02:aa:bb:cc:dd:ee",
    });
    assert.deepEqual(c1.link("v0"), {
      name: "v0",
      index: 3,
      mtu: 65535,
      mac: "02:aa:bb:cc:dd:ee",
      up: true,
      kind: "veth",
      txqueuelen: 0,
      promisc: true,
      allmulti: true,
      linkIndex: 2,
    });
    c1.setLink("v0", { up: false, promisc: false });
    assert.deepEqual([c1.link("v0")?.up, c1.link("v0")?.promisc, c1.link("v0")?.allmulti], [
      false,
      undefined,
      true,
    ]);
  });
  const refusals: {
    name: string;
    link: string;
    changes: Parameters<ReturnType<typeof setup>["c1"]["setLink"]>[1];
    errno: string;
    detail?: string;
  }[] = [
    {
      name: "an MTU below the minimum",
      link: "v0",
      changes: { mtu: 67 },
      errno: "EINVAL",
      detail: "mtu less than device minimum",
    },
    {
      name: "an MTU above the maximum",
      link: "v0",
      changes: { mtu: 65536 },
      errno: "EINVAL",
      detail: "mtu greater than device maximum",
    },
    {
      name: "a multicast address",
      link: "v0",
      changes: { mac: "01:00:00:00:00:01" },
      errno: "EADDRNOTAVAIL",
    },
    {
      name: "a master that does not exist",
      link: "v0",
      changes: { master: "nope" },
      errno: "ENODEV",
    },
    {
      name: "a master that is no bridge",
      link: "v0",
      changes: { master: "v1" },
      errno: "EOPNOTSUPP",
    },
    {
      name: "a bridge into a bridge",
      link: "br1",
      changes: { master: "br0" },
      errno: "ELOOP",
      detail: "Can not enslave a bridge to a bridge",
    },
    { name: "lo into a bridge", link: "lo", changes: { master: "br0" }, errno: "EINVAL" },
    {
      name: "a macvlan parent into a bridge",
      link: "p0",
      changes: { master: "br0" },
      errno: "EBUSY",
    },
  ];
  for (const row of refusals) {
    await t.step(`refused: ${row.name}`, () => {
      const { c1 } = setup();
      c1.createLink({ kind: "veth", name: "v0", peerName: "v1" });
      c1.createLink({ kind: "veth", name: "p0", peerName: "p1" });
      c1.createLink({ kind: "macvlan", name: "m0", parent: "p0" });
      c1.createLink({ kind: "bridge", name: "br0" });
      c1.createLink({ kind: "bridge", name: "br1" });
      const error = assertRefused(() => c1.setLink(row.link, row.changes), row.errno, row.detail);
      assert.equal(error.operation, "set link");
      assert.equal(error.object, `"${row.link}"`);
    });
  }
  await t.step("a link that does not exist", () => {
    const { c1 } = setup();
    assertRefused(() => c1.setLink("nope", { up: true }), "ENODEV");
  });
  await t.step("what was done before a refusal stays done, in the kernel's order", () => {
    const { c1 } = setup();
    c1.createLink({ kind: "veth", name: "v0", peerName: "v1" });
    assertRefused(
      () => c1.setLink("v0", { mtu: 2000, up: true, master: "nope", txqueuelen: 5 }),
      "ENODEV",
    );
    assert.deepEqual([c1.link("v0")?.mtu, c1.link("v0")?.up, c1.link("v0")?.txqueuelen], [
      2000,
      true,
      1000,
    ]);
  });
});

Deno.test("bridges: ports, hardware address, MTU and carrier as Linux keeps them", async (t) => {
  await t.step("the address is the smallest port's, zero without ports, unless set", () => {
    const { c1 } = setup();
    c1.createLink({
      kind: "veth",
      name: "a0",
      peerName: "a1",
      mac: "0a:00:00:00:00:0a",
      peerMac: "02:00:00:00:00:05",
    });
    c1.createLink({
      kind: "veth",
      name: "b0",
      peerName: "b1",
      mac: "06:00:00:00:00:06",
      peerMac: "02:00:00:00:00:04",
    });
    c1.createLink({ kind: "bridge", name: "br0" });
    const random = c1.link("br0")?.mac;
    assert.notEqual(random, "00:00:00:00:00:00");
    c1.setLink("a0", { master: "br0" });
    assert.equal(c1.link("br0")?.mac, "0a:00:00:00:00:0a");
    c1.setLink("b0", { master: "br0" });
    assert.equal(c1.link("br0")?.mac, "06:00:00:00:00:06");
    c1.setLink("b0", { mac: "0e:00:00:00:00:0e" });
    assert.equal(c1.link("br0")?.mac, "0a:00:00:00:00:0a");
    c1.setLink("a0", { master: null });
    c1.deleteLink("b0");
    assert.equal(c1.link("br0")?.mac, "00:00:00:00:00:00");
    c1.createLink({ kind: "bridge", name: "br1", mac: "02:00:00:00:00:09" });
    c1.setLink("a0", { master: "br1" });
    assert.equal(c1.link("br1")?.mac, "02:00:00:00:00:09");
    assert.equal(c1.link("a0")?.masterIndex, c1.link("br1")?.index);
  });
  await t.step("the MTU is the smallest port's until set on the bridge", () => {
    const { c1 } = setup();
    c1.createLink({ kind: "veth", name: "a0", peerName: "a1", mtu: 9000 });
    c1.createLink({ kind: "veth", name: "b0", peerName: "b1", mtu: 1400 });
    c1.createLink({ kind: "bridge", name: "br0", mtu: 1300 });
    c1.setLink("a0", { master: "br0" });
    assert.equal(c1.link("br0")?.mtu, 9000, "an MTU given at creation is not one set by a request");
    c1.setLink("b0", { master: "br0" });
    assert.equal(c1.link("br0")?.mtu, 1400);
    c1.setLink("b0", { mtu: 1300 });
    assert.equal(c1.link("br0")?.mtu, 1300);
    c1.setLink("b0", { master: null });
    assert.equal(c1.link("br0")?.mtu, 9000);
    c1.setLink("a0", { master: null });
    assert.equal(c1.link("br0")?.mtu, 1500);
    c1.setLink("a0", { master: "br0" });
    c1.setLink("br0", { mtu: 1600 });
    c1.setLink("a0", { mtu: 1450 });
    assert.equal(c1.link("br0")?.mtu, 1600);
  });
  await t.step("a port moves from one bridge to another; deleting a bridge frees its ports", () => {
    const { c1 } = setup();
    c1.createLink({ kind: "veth", name: "a0", peerName: "a1" });
    c1.createLink({ kind: "bridge", name: "br0" });
    c1.createLink({ kind: "bridge", name: "br1" });
    c1.setLink("a0", { master: "br0" });
    c1.setLink("a0", { master: "br1" });
    assert.equal(c1.link("a0")?.masterIndex, c1.link("br1")?.index);
    c1.deleteLink("br1");
    assert.equal(c1.link("a0")?.masterIndex, undefined);
  });
  await t.step(
    "carrier: on until a first port or an address set, then while a port is live",
    () => {
      const { c1 } = setup();
      c1.createLink({ kind: "veth", name: "a0", peerName: "a1", mac: "02:00:00:00:00:01" });
      c1.createLink({ kind: "bridge", name: "br0" });
      c1.createLink({ kind: "bridge", name: "br2", mac: "02:00:00:00:00:0b" });
      c1.setLink("br0", { up: true });
      c1.setLink("br2", { up: true });
      assert.deepEqual(
        c1.addresses().map((a) => [a.dev, a.cidr.startsWith("fe80::")]),
        [["br0", true]],
        "an empty bridge is operational, unless its address was set",
      );
      c1.createLink({ kind: "bridge", name: "br1" });
      c1.setLink("a0", { master: "br1" });
      c1.setLink("br1", { up: true });
      assert.deepEqual(c1.addresses().map((a) => a.dev), ["br0"], "br1's only port is down");
      c1.setLink("a0", { up: true });
      c1.setLink("a1", { up: true });
      assert.deepEqual(addressWords(c1).filter((word) => /^(a0|br1) /.test(word)), [
        "a0 fe80::ff:fe00:1/64",
        "br1 fe80::ff:fe00:1/64",
      ]);
      c1.setLink("a0", { master: null });
      c1.setLink("br1", { up: false });
      c1.setLink("br1", { up: true });
      assert.deepEqual(addressWords(c1).filter((word) => word.startsWith("br1 ")), [], "emptied");
    },
  );
});

Deno.test("renaming links", async (t) => {
  await t.step("a link that is up is renamed (Linux 6.2 and later)", () => {
    const { c1 } = setup();
    c1.createLink({ kind: "veth", name: "v0", peerName: "v1" });
    c1.setLink("v0", { up: true });
    c1.renameLink("v0", "eth0");
    assert.deepEqual(names(c1), ["lo", "v1", "eth0"]);
    assert.equal(c1.sysctlGet("net.ipv4.conf.eth0.forwarding"), "0");
    assertRefused(() => c1.sysctlGet("net.ipv4.conf.v0.forwarding"), "ENOENT");
  });
  await t.step("refused: a taken name, an invalid one, an up link on an older kernel", () => {
    const { c1 } = setup({ renameUpLinks: false });
    c1.createLink({ kind: "veth", name: "v0", peerName: "v1" });
    assertRefused(() => c1.renameLink("v0", "v1"), "EEXIST");
    assertRefused(() => c1.renameLink("v0", "a b"), "EINVAL");
    assertRefused(() => c1.renameLink("nope", "x"), "ENODEV");
    c1.renameLink("v0", "v0");
    c1.setLink("v0", { up: true });
    const error = assertRefused(() => c1.renameLink("v0", "eth0"), "EBUSY");
    assert.equal(error.code, 11, "EBUSY is worth trying again");
    assert.equal(error.operation, "rename link");
  });
});

Deno.test("moving links", async (t) => {
  await t.step("it arrives down, without addresses, routes or qdisc, and leaves its bridge", () => {
    const { host, c1 } = setup();
    host.createLink({ kind: "veth", name: "veth1", peerName: "eth0", peerNetns: C1 });
    host.createLink({ kind: "bridge", name: "br0" });
    host.setLink("veth1", { master: "br0", up: true });
    host.addAddress("veth1", "10.1.0.1/24");
    host.addTbf("veth1", { rate: 1000, burst: 1000, limit: 1000 });
    host.moveLink("veth1", C1, "eth1");
    assert.deepEqual(names(host), ["lo", "br0"]);
    assert.deepEqual(c1.link("eth1"), {
      name: "eth1",
      index: 3,
      mtu: 1500,
      mac: c1.link("eth1")?.mac,
      up: false,
      kind: "veth",
      txqueuelen: 1000,
      linkIndex: 2,
    });
    assert.deepEqual(c1.addresses(), []);
    assert.deepEqual(c1.qdiscs(), []);
    assert.deepEqual(host.routes(4, "all"), []);
    assert.equal(host.link("br0")?.mac, "00:00:00:00:00:00");
  });
  await t.step("the other end now reports the peer's namespace", () => {
    const { host, c1 } = setup();
    host.createLink({ kind: "veth", name: "a", peerName: "b" });
    host.moveLink("b", C1);
    assert.deepEqual([host.link("a")?.linkIndex, host.link("a")?.linkNetnsId], [2, 0]);
    assert.deepEqual([c1.link("b")?.linkIndex, c1.link("b")?.linkNetnsId], [3, 0]);
  });
  await t.step("refused: lo and bridges stay; a name taken there; no such link", () => {
    const { host, c1 } = setup();
    host.createLink({ kind: "bridge", name: "br0" });
    host.createLink({ kind: "dummy", name: "d0" });
    c1.createLink({ kind: "dummy", name: "d0" });
    assertRefused(() => host.moveLink("lo", C1), "EINVAL", "The interface netns is immutable");
    assertRefused(() => host.moveLink("br0", C1), "EINVAL", "The interface netns is immutable");
    assertRefused(
      () => host.moveLink("d0", C1),
      "EEXIST",
      "An interface with the same name exists in the target netns",
    );
    assertRefused(() => host.moveLink("nope", C1), "ENODEV");
    assert.throws(() => host.moveLink("d0", "/nope"), NamespaceMissingError);
    host.moveLink("d0", C1, "d1");
    assert.deepEqual(names(c1), ["lo", "d0", "d1"]);
  });
  await t.step("its own name free there, the new one taken: moved, then EEXIST", () => {
    const { host, c1 } = setup();
    host.createLink({ kind: "veth", name: "y0", peerName: "y1" });
    c1.createLink({ kind: "dummy", name: "x1" });
    assertRefused(() => host.moveLink("y1", C1, "x1"), "EEXIST");
    assert.deepEqual(names(host), ["lo", "y0"]);
    assert.deepEqual(names(c1), ["lo", "x1", "y1"]);
    host.createLink({ kind: "dummy", name: "x1" });
    host.moveLink("x1", C1, "x%d");
    assert.deepEqual(names(c1), ["lo", "x1", "y1", "x0"]);
  });
  await t.step("moving into its own namespace renames it, or does nothing", () => {
    const { host } = setup();
    host.createLink({ kind: "dummy", name: "d0" });
    host.moveLink("d0", undefined);
    host.moveLink("d0", "/proc/self/ns/net", "d9");
    assert.deepEqual(names(host), ["lo", "d9"]);
  });
});

Deno.test("deleting links", async (t) => {
  await t.step("a veth's peer goes with it; a missing link is false", async () => {
    const { kernel, host, c1 } = setup();
    host.createLink({ kind: "veth", name: "veth1", peerName: "eth0", peerNetns: C1 });
    const ops = kernel.backend.open(C1);
    assert.equal(c1.deleteLink("eth0"), true);
    assert.deepEqual(names(host), ["lo"]);
    assert.equal(c1.deleteLink("eth0"), false);
    assert.equal(await ops.deleteLink("eth0"), false);
    assert.deepEqual(kernel.log.at(-1), {
      netns: C1,
      operation: "delete link",
      object: '"eth0"',
      args: ["eth0"],
      errno: "ENODEV",
    });
  });
  await t.step("lo and physical devices cannot be deleted", () => {
    const { c1 } = setup();
    c1.addDevice({ name: "eth0" });
    assertRefused(() => c1.deleteLink("lo"), "EOPNOTSUPP");
    assertRefused(() => c1.deleteLink("eth0"), "EOPNOTSUPP");
  });
});

Deno.test("physical devices: a test's carrier", () => {
  const { c1 } = setup();
  c1.addDevice({ name: "eth0", mac: "02:00:00:00:00:01", carrier: false });
  c1.setLink("eth0", { up: true });
  assert.deepEqual(addressWords(c1), []);
  assert.deepEqual(c1.qdiscs(), [{
    dev: "eth0",
    kind: "pfifo_fast",
    handle: 0,
    root: true,
    parent: 0xffffffff,
  }]);
  c1.setCarrier("eth0", true);
  assert.deepEqual(addressWords(c1), ["eth0 fe80::ff:fe00:1/64"]);
  assert.throws(() => c1.setCarrier("lo", false), /not a physical device/);
  assertRefused(() => c1.addDevice({ name: "eth0" }), "EEXIST");
});

Deno.test("the backend: promises, the log, and the changes a plugin made", async () => {
  const { kernel } = setup();
  assert.equal(kernel.backend.kind, "model");
  const host = kernel.backend.open(undefined);
  const c1 = kernel.backend.open(C1);
  const spec = { kind: "veth" as const, name: "veth1", peerName: "eth0", peerNetns: C1 };
  await host.createLink(spec);
  spec.name = "changed";
  await c1.setLink("eth0", { up: true });
  await c1.addAddress("eth0", "10.1.0.5/24", {});
  await assert.rejects(c1.addAddress("eth0", "10.1.0.5/24", {}), /EEXIST: add address/);
  assert.equal((await c1.link("eth0"))?.up, true);
  assert.equal(await c1.deleteAddress("eth0", "10.9.0.5/24"), false);
  await c1.addRoute({ dst: "10.9.0.0/16", via: "10.1.0.1", dev: "eth0" }, false);
  await c1.addRoute({ dst: "10.9.0.0/16", via: "10.1.0.2", dev: "eth0" }, true);
  await c1.sysctlSet("net.ipv4.conf.eth0.rp_filter", "1");
  assert.equal(await c1.sysctlGet("net.ipv4.conf.eth0.rp_filter"), "1");
  assert.deepEqual(
    kernel.log.map((e) => [e.netns ?? "host", e.operation, e.object ?? "", e.errno ?? "ok"]),
    [
      ["host", "create link", '"veth1"', "ok"],
      [C1, "set link", '"eth0"', "ok"],
      [C1, "add address", '10.1.0.5/24 on "eth0"', "ok"],
      [C1, "add address", '10.1.0.5/24 on "eth0"', "EEXIST"],
      [C1, "get link", '"eth0"', "ok"],
      [C1, "delete address", '10.9.0.5/24 on "eth0"', "EADDRNOTAVAIL"],
      [C1, "add route", '10.9.0.0/16 via 10.1.0.1 dev "eth0"', "ok"],
      [C1, "replace route", '10.9.0.0/16 via 10.1.0.2 dev "eth0"', "ok"],
      [C1, "write sysctl", '"net.ipv4.conf.eth0.rp_filter"', "ok"],
      [C1, "read sysctl", '"net.ipv4.conf.eth0.rp_filter"', "ok"],
    ],
  );
  assert.deepEqual(kernel.log[0]?.args, [{
    kind: "veth",
    name: "veth1",
    peerName: "eth0",
    peerNetns: C1,
  }]);
  assert.deepEqual(kernel.changes().map((e) => e.operation), [
    "create link",
    "set link",
    "add address",
    "add route",
    "replace route",
    "write sysctl",
  ]);
  kernel.namespace(C1).addAddress("eth0", "10.2.0.5/24");
  assert.equal(kernel.log.length, 10, "a test's own setting up is not logged");
  kernel.clearLog();
  assert.deepEqual(kernel.log, []);
});

Deno.test("a snapshot is plain data, and a new one after each change", () => {
  const { kernel, c1 } = setup();
  const before = kernel.snapshot(C1);
  c1.createLink({ kind: "dummy", name: "d0", mac: "02:00:00:00:00:01" });
  assert.equal(before.links.length, 1);
  const snapshot = kernel.snapshot(C1);
  assert.deepEqual(structuredClone(snapshot), snapshot);
  assert.deepEqual(snapshot, {
    links: [before.links[0], {
      name: "d0",
      index: 2,
      mtu: 1500,
      mac: "02:00:00:00:00:01",
      up: false,
      kind: "dummy",
      txqueuelen: 1000,
    }],
    addresses: [],
    routes: { ipv4: [], ipv6: [] },
    qdiscs: [],
    sysctls: {},
  });
  assert.deepEqual(kernel.namespace(C1).snapshot(), snapshot);
});
