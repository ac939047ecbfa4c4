/**
 * The model kernel's sysctls: a new namespace's values, the keys of each interface, how values
 * are read and checked, and what writes set off.
 */
import assert from "node:assert/strict";
import { assertRefused, setup } from "./_helpers.ts";

Deno.test("a new namespace's values, and keys that appear and go with links", () => {
  const { c1 } = setup();
  const rows: [string, string][] = [
    ["net.ipv4.ip_forward", "0"],
    ["net.ipv4.conf.all.forwarding", "0"],
    ["net.ipv6.conf.all.forwarding", "0"],
    ["net.ipv4.conf.all.accept_redirects", "1"],
    ["net.ipv4.conf.default.accept_source_route", "1"],
    ["net.core.somaxconn", "4096"],
    ["net.ipv4.ip_local_port_range", "32768\t60999"],
    ["net.ipv4.ping_group_range", "1\t0"],
    ["net.ipv4.conf.lo.disable_policy", "1"],
    ["net.ipv6.conf.lo.mtu", "65536"],
    ["net.ipv6.conf.lo.accept_dad", "-1"],
    ["net/ipv4/conf/lo/forwarding", "0"],
  ];
  for (const [key, value] of rows) assert.equal(c1.sysctlGet(key), value, key);
  assertRefused(() => c1.sysctlGet("net.ipv4.conf.v0.forwarding"), "ENOENT");
  c1.createLink({ kind: "veth", name: "v0", peerName: "v1", mtu: 9000 });
  c1.createLink({ kind: "vlan", name: "v0.5", parent: "v0", vlanId: 5 });
  assert.equal(c1.sysctlGet("net.ipv4.conf.v0.forwarding"), "0");
  assert.equal(c1.sysctlGet("net.ipv6.conf.v0.mtu"), "9000");
  assert.equal(c1.sysctlGet("net.ipv4.neigh.v0.locktime"), "100");
  assert.equal(c1.sysctlGet("net.ipv4.conf.v0/5.rp_filter"), "0");
  assert.equal(c1.sysctlGet("net/ipv4/conf/v0.5/rp_filter"), "0");
  c1.setLink("v0", { mtu: 1400 });
  assert.equal(c1.sysctlGet("net.ipv6.conf.v0.mtu"), "1400");
  c1.deleteLink("v0");
  assertRefused(() => c1.sysctlGet("net.ipv4.conf.v0.forwarding"), "ENOENT");
  assertRefused(() => c1.sysctlGet("net.ipv4.conf.v0/5.forwarding"), "ENOENT");
});

Deno.test("what reads and writes the kernel refuses", async (t) => {
  const rows: {
    name: string;
    run: (c1: ReturnType<typeof setup>["c1"]) => unknown;
    errno: string;
  }[] = [
    {
      name: "a key that does not exist",
      run: (c1) => c1.sysctlGet("net.ipv4.nope"),
      errno: "ENOENT",
    },
    { name: "writing one", run: (c1) => c1.sysctlSet("net.ipv4.nope", "1"), errno: "ENOENT" },
    { name: "a key outside net", run: (c1) => c1.sysctlGet("kernel.hostname"), errno: "ENOENT" },
    {
      name: "a key under a key",
      run: (c1) => c1.sysctlGet("net.ipv4.ip_forward.x"),
      errno: "ENOTDIR",
    },
    { name: "a directory", run: (c1) => c1.sysctlGet("net.ipv4.conf"), errno: "EISDIR" },
    {
      name: "writing a directory",
      run: (c1) => c1.sysctlSet("net.ipv4.conf.v0", "1"),
      errno: "EISDIR",
    },

    {
      name: "reading a write-only key",
      run: (c1) => c1.sysctlGet("net.ipv4.route.flush"),
      errno: "EACCES",
    },
    {
      name: "writing a read-only key",
      run: (c1) => c1.sysctlSet("net.ipv4.conf.all.mc_forwarding", "1"),
      errno: "EACCES",
    },
    {
      name: "writing an interface's read-only key",
      run: (c1) => c1.sysctlSet("net.ipv4.conf.lo.mc_forwarding", "1"),
      errno: "EACCES",
    },
    {
      name: "reading a secret never set",
      run: (c1) => c1.sysctlGet("net.ipv6.conf.lo.stable_secret"),
      errno: "EIO",
    },
    {
      name: "a secret that is no address",
      run: (c1) => c1.sysctlSet("net.ipv6.conf.lo.stable_secret", "x"),
      errno: "EIO",
    },
    {
      name: "a word for a number",
      run: (c1) => c1.sysctlSet("net.ipv4.ip_forward", "abc"),
      errno: "EINVAL",
    },
    {
      name: "a number with a tail",
      run: (c1) => c1.sysctlSet("net.ipv4.ip_forward", "1abc"),
      errno: "EINVAL",
    },
    {
      name: "a plus sign",
      run: (c1) => c1.sysctlSet("net.ipv4.ip_forward", "+1"),
      errno: "EINVAL",
    },
    {
      name: "beyond an int",
      run: (c1) => c1.sysctlSet("net.ipv4.ip_forward", "2147483648"),
      errno: "EINVAL",
    },
    {
      name: "a negative unsigned",
      run: (c1) => c1.sysctlSet("net.ipv6.conf.lo.ioam6_id_wide", "-1"),
      errno: "EINVAL",
    },
    {
      name: "somaxconn below 0",
      run: (c1) => c1.sysctlSet("net.core.somaxconn", "-1"),
      errno: "EINVAL",
    },
    {
      name: "addr_gen_mode 4",
      run: (c1) => c1.sysctlSet("net.ipv6.conf.lo.addr_gen_mode", "4"),
      errno: "EINVAL",
    },
    {
      name: "an IPv6 MTU below 1280",
      run: (c1) => c1.sysctlSet("net.ipv6.conf.all.mtu", "1279"),
      errno: "EINVAL",
    },
    {
      name: "an IPv6 MTU above the link's",
      run: (c1) => c1.sysctlSet("net.ipv6.conf.v0.mtu", "1501"),
      errno: "EINVAL",
    },
    {
      name: "a port range below the unprivileged ports",
      run: (c1) => c1.sysctlSet("net.ipv4.ip_local_port_range", "1000 2000"),
      errno: "EINVAL",
    },
    {
      name: "a port range upside down",
      run: (c1) => c1.sysctlSet("net.ipv4.ip_local_port_range", "40000 39999"),
      errno: "EINVAL",
    },
    {
      name: "a port beyond 65535",
      run: (c1) => c1.sysctlSet("net.ipv4.ip_local_port_range", "40000 70000"),
      errno: "EINVAL",
    },
    {
      name: "unprivileged ports above the range",
      run: (c1) => c1.sysctlSet("net.ipv4.ip_unprivileged_port_start", "32769"),
      errno: "EINVAL",
    },
    {
      name: "a group beyond the largest",
      run: (c1) => c1.sysctlSet("net.ipv4.ping_group_range", "0 4294967295"),
      errno: "EINVAL",
    },
    {
      name: "an unknown congestion control",
      run: (c1) => c1.sysctlSet("net.ipv4.tcp_congestion_control", "nope"),
      errno: "ENOENT",
    },
    {
      name: "a congestion control not allowed here",
      run: (c1) => c1.sysctlSet("net.ipv4.tcp_congestion_control", "cubic"),
      errno: "EPERM",
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const { c1 } = setup();
      c1.createLink({ kind: "veth", name: "v0", peerName: "v1" });
      const error = assertRefused(() => row.run(c1), row.errno);
      assert.match(error.operation, /^(read|write) sysctl$/);
      assert.match(error.object, /^"[a-z]/);
    });
  }
});

Deno.test("how values are read", async (t) => {
  const rows: [string, string, string][] = [
    ["net.ipv4.conf.lo.forwarding", " 5", "5"],
    ["net.ipv4.conf.lo.forwarding", "0x10", "16"],
    ["net.ipv4.conf.lo.forwarding", "010", "8"],
    ["net.ipv4.conf.lo.forwarding", "-2147483648", "-2147483648"],
    ["net.ipv4.conf.lo.forwarding", "", "0"],
    ["net.core.somaxconn", "5 6", "5"],
    ["net.ipv4.ip_local_port_range", "40000 65535", "40000\t65535"],
    ["net.ipv4.ip_local_port_range", "40000", "40000\t60999"],
    ["net.ipv4.ping_group_range", "0 4294967294", "0\t4294967294"],
    ["net.ipv4.ping_group_range", "5 3", "1\t0"],
    ["net.ipv4.ip_unprivileged_port_start", "32768", "32768"],
    ["net.ipv6.conf.all.mtu", "99999", "99999"],
    ["net.ipv6.conf.lo.stable_secret", "::1", "0000:0000:0000:0000:0000:0000:0000:0001"],
    ["net.ipv4.tcp_congestion_control", "reno", "reno"],
  ];
  for (const [key, value, read] of rows) {
    await t.step(`${key} = ${JSON.stringify(value)}`, () => {
      const { c1 } = setup();
      c1.sysctlSet(key, value);
      assert.equal(c1.sysctlGet(key), read);
    });
  }
});

Deno.test("what writes set off", async (t) => {
  await t.step(
    "ip_forward is all.forwarding: default, every link, and all.accept_redirects",
    () => {
      const { c1 } = setup();
      c1.createLink({ kind: "veth", name: "v0", peerName: "v1" });
      c1.sysctlSet("net.ipv4.conf.v0.forwarding", "0");
      c1.sysctlSet("net.ipv4.ip_forward", "1");
      const keys = [
        "net.ipv4.conf.all.forwarding",
        "net.ipv4.conf.default.forwarding",
        "net.ipv4.conf.lo.forwarding",
        "net.ipv4.conf.v0.forwarding",
        "net.ipv4.conf.v1.forwarding",
        "net.ipv4.conf.all.accept_redirects",
        "net.ipv4.conf.default.accept_redirects",
      ];
      assert.deepEqual(keys.map((key) => c1.sysctlGet(key)), ["1", "1", "1", "1", "1", "0", "1"]);
      c1.sysctlSet("net.ipv4.conf.all.forwarding", "0");
      assert.equal(c1.sysctlGet("net.ipv4.ip_forward"), "0");
      assert.deepEqual(keys.map((key) => c1.sysctlGet(key)), ["0", "0", "0", "0", "0", "1", "1"]);
    },
  );
  await t.step("net.ipv4.conf.default.X reaches the links where X was never written", () => {
    const { c1 } = setup();
    c1.createLink({ kind: "veth", name: "v0", peerName: "v1" });
    c1.sysctlSet("net.ipv4.conf.v0.rp_filter", "1");
    c1.sysctlSet("net.ipv4.conf.default.rp_filter", "2");
    assert.deepEqual(
      ["v0", "v1", "lo"].map((name) => c1.sysctlGet(`net.ipv4.conf.${name}.rp_filter`)),
      ["1", "2", "2"],
    );
    c1.sysctlSet("net.ipv4.conf.default.forwarding", "1");
    assert.equal(c1.sysctlGet("net.ipv4.conf.v1.forwarding"), "0", "but not forwarding");
    c1.createLink({ kind: "dummy", name: "d0" });
    assert.equal(c1.sysctlGet("net.ipv4.conf.d0.rp_filter"), "2", "a new link copies default");
    assert.equal(c1.sysctlGet("net.ipv4.conf.d0.forwarding"), "1");
  });
  await t.step("net.ipv6.conf.all.forwarding reaches default and every link", () => {
    const { c1 } = setup();
    c1.createLink({ kind: "dummy", name: "d0" });
    c1.sysctlSet("net.ipv6.conf.d0.forwarding", "3");
    c1.sysctlSet("net.ipv6.conf.all.forwarding", "2");
    assert.deepEqual(
      ["default", "lo", "d0"].map((name) => c1.sysctlGet(`net.ipv6.conf.${name}.forwarding`)),
      ["2", "2", "2"],
    );
    c1.sysctlSet("net.ipv6.conf.default.forwarding", "0");
    assert.equal(c1.sysctlGet("net.ipv6.conf.d0.forwarding"), "2");
  });
  await t.step("a moved link gets the target's defaults", () => {
    const { kernel, host, c1 } = setup();
    host.createLink({ kind: "dummy", name: "d0" });
    host.sysctlSet("net.ipv4.conf.d0.rp_filter", "1");
    c1.sysctlSet("net.ipv4.conf.default.rp_filter", "2");
    host.moveLink("d0", "/var/run/netns/c1");
    assert.equal(c1.sysctlGet("net.ipv4.conf.d0.rp_filter"), "2");
    assert.deepEqual(kernel.snapshot().sysctls, {});
  });
});

Deno.test("a test's presets and the snapshot's changed keys", () => {
  const { kernel, c1 } = setup();
  c1.createLink({ kind: "dummy", name: "d0" });
  c1.presetSysctl("net.ipv4.ip_forward", "1");
  c1.presetSysctl("kernel.hostname", "box");
  c1.presetSysctl("net.ipv4.conf.d0.rp_filter", "abc");
  c1.presetSysctl("net.ipv4.conf.d0.made_up", "7");
  assert.equal(c1.sysctlGet("kernel.hostname"), "box");
  assert.equal(c1.sysctlGet("net.ipv4.conf.d0.made_up"), "7");
  c1.sysctlSet("net.ipv6.conf.d0.mtu", "1400");
  assert.deepEqual(kernel.snapshot("/var/run/netns/c1").sysctls, {
    "kernel.hostname": "box",
    "net.ipv4.conf.all.accept_redirects": "0",
    "net.ipv4.conf.all.forwarding": "1",
    "net.ipv4.conf.d0.forwarding": "1",
    "net.ipv4.conf.d0.made_up": "7",
    "net.ipv4.conf.d0.rp_filter": "abc",
    "net.ipv4.conf.default.forwarding": "1",
    "net.ipv4.conf.lo.forwarding": "1",
    "net.ipv4.ip_forward": "1",
    "net.ipv6.conf.d0.mtu": "1400",
  });
  c1.deleteLink("d0");
  assert.ok(!("net.ipv4.conf.d0.rp_filter" in kernel.snapshot("/var/run/netns/c1").sysctls));
});
