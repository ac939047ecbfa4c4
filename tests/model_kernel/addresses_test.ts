/**
 * The model kernel's addresses: IPv4 and IPv6, the routes the kernel makes for them, duplicate
 * address detection, link-local addresses, and what happens when links go down.
 */
import assert from "node:assert/strict";
import { addressWords, assertRefused, C1, routeWords, setup } from "./_helpers.ts";

/** c1 with veth v0 (02:00:00:00:00:01) and v1 (02:00:00:00:00:02), both down. */
function withVeth(options: Parameters<typeof setup>[0] = {}) {
  const made = setup(options);
  made.c1.createLink({
    kind: "veth",
    name: "v0",
    peerName: "v1",
    mac: "02:00:00:00:00:01",
    peerMac: "02:00:00:00:00:02",
  });
  return made;
}

Deno.test("IPv4: the routes an address makes, as the link comes and goes", async (t) => {
  const { c1 } = withVeth();
  await t.step("on a link that is down: the local route only", () => {
    c1.addAddress("v0", "10.1.0.5/24");
    assert.deepEqual(addressWords(c1), ["v0 10.1.0.5/24"]);
    assert.deepEqual(routeWords(c1, 4), [
      "local 10.1.0.5/32 dev v0 table local scope host src 10.1.0.5",
    ]);
  });
  await t.step("up (without carrier): the subnet and its broadcast", () => {
    c1.setLink("v0", { up: true });
    assert.deepEqual(routeWords(c1, 4), [
      "10.1.0.0/24 dev v0 scope link src 10.1.0.5",
      "local 10.1.0.5/32 dev v0 table local scope host src 10.1.0.5",
      "broadcast 10.1.0.255/32 dev v0 table local scope link src 10.1.0.5",
    ]);
    assert.deepEqual(routeWords(c1, 4, 254), ["10.1.0.0/24 dev v0 scope link src 10.1.0.5"]);
  });
  await t.step("more addresses: a secondary, another subnet, /32, /31, noprefixroute", () => {
    c1.addAddress("v0", "10.1.0.6/24");
    c1.addAddress("v0", "10.2.0.5/16");
    c1.addAddress("v0", "10.3.0.5/32");
    c1.addAddress("v0", "10.4.0.0/31");
    c1.addAddress("v0", "10.5.0.5/24", { noPrefixRoute: true });
    c1.addAddress("v0", "10.1.0.5/16");
    assert.deepEqual(addressWords(c1), [
      "v0 10.1.0.5/24",
      "v0 10.2.0.5/16",
      "v0 10.3.0.5/32",
      "v0 10.4.0.0/31",
      "v0 10.5.0.5/24 noprefixroute",
      "v0 10.1.0.5/16",
      "v0 10.1.0.6/24",
    ]);
    assert.deepEqual(routeWords(c1, 4), [
      "10.1.0.0/24 dev v0 scope link src 10.1.0.5",
      "10.1.0.0/16 dev v0 scope link src 10.1.0.5",
      "10.2.0.0/16 dev v0 scope link src 10.2.0.5",
      "10.4.0.0/31 dev v0 scope link src 10.4.0.0",
      "local 10.1.0.5/32 dev v0 table local scope host src 10.1.0.5",
      "local 10.1.0.6/32 dev v0 table local scope host src 10.1.0.5",
      "broadcast 10.1.0.255/32 dev v0 table local scope link src 10.1.0.5",
      "broadcast 10.1.255.255/32 dev v0 table local scope link src 10.1.0.5",
      "local 10.2.0.5/32 dev v0 table local scope host src 10.2.0.5",
      "broadcast 10.2.255.255/32 dev v0 table local scope link src 10.2.0.5",
      "local 10.3.0.5/32 dev v0 table local scope host src 10.3.0.5",
      "local 10.4.0.0/32 dev v0 table local scope host src 10.4.0.0",
      "local 10.5.0.5/32 dev v0 table local scope host src 10.5.0.5",
      "broadcast 10.5.0.255/32 dev v0 table local scope link src 10.5.0.5",
    ]);
  });
  await t.step("down: only the routes of scope host stay; up: all come back", () => {
    const up = routeWords(c1, 4);
    c1.setLink("v0", { up: false });
    assert.deepEqual(routeWords(c1, 4), up.filter((route) => route.includes("scope host")));
    c1.setLink("v0", { up: true });
    assert.deepEqual(routeWords(c1, 4), up);
  });
  await t.step("deleting a primary deletes its secondaries; a shared local route stays", () => {
    assert.equal(c1.deleteAddress("v0", "10.1.0.5/24"), true);
    assert.deepEqual(addressWords(c1).filter((a) => a.startsWith("v0 10.1.")), ["v0 10.1.0.5/16"]);
    assert.deepEqual(routeWords(c1, 4).filter((r) => /^(\w+ )?10\.1\./.test(r)), [
      "10.1.0.0/16 dev v0 scope link src 10.1.0.5",
      "local 10.1.0.5/32 dev v0 table local scope host src 10.1.0.5",
      "broadcast 10.1.255.255/32 dev v0 table local scope link src 10.1.0.5",
    ]);
  });
  await t.step("refused: the same address and prefix twice; a delete of what is not there", () => {
    assertRefused(
      () => c1.addAddress("v0", "10.2.0.5/16"),
      "EEXIST",
      "ipv4: Address already assigned",
    );
    assertRefused(() => c1.addAddress("nope", "10.2.0.5/16"), "ENODEV");
    assert.equal(c1.deleteAddress("v0", "10.2.0.5/24"), false, "the prefix length must match");
    assert.equal(c1.deleteAddress("v0", "10.9.0.5/24"), false);
    assertRefused(() => c1.deleteAddress("nope", "10.9.0.5/24"), "ENODEV");
  });
});

Deno.test("IPv4: promote_secondaries, sources, and the last address", async (t) => {
  await t.step("promote_secondaries: the first secondary takes over, routes follow", () => {
    const { c1 } = withVeth();
    c1.sysctlSet("net.ipv4.conf.v0.promote_secondaries", "1");
    c1.setLink("v0", { up: true });
    for (const cidr of ["10.1.0.5/24", "10.1.0.6/24", "10.1.0.7/24"]) c1.addAddress("v0", cidr);
    c1.deleteAddress("v0", "10.1.0.5/24");
    assert.deepEqual(addressWords(c1), ["v0 10.1.0.6/24", "v0 10.1.0.7/24"]);
    assert.deepEqual(routeWords(c1, 4), [
      "10.1.0.0/24 dev v0 scope link src 10.1.0.6",
      "local 10.1.0.6/32 dev v0 table local scope host src 10.1.0.6",
      "local 10.1.0.7/32 dev v0 table local scope host src 10.1.0.6",
      "broadcast 10.1.0.255/32 dev v0 table local scope link src 10.1.0.6",
    ]);
  });
  await t.step("the last address takes every IPv4 route through the link with it", () => {
    const { c1 } = withVeth();
    c1.createLink({ kind: "veth", name: "w0", peerName: "w1" });
    c1.setLink("v0", { up: true });
    c1.setLink("w0", { up: true });
    c1.addAddress("v0", "10.1.0.5/24");
    c1.addAddress("w0", "10.2.0.5/24");
    c1.addRoute({ dst: "10.9.0.0/16", via: "10.1.0.1", dev: "v0" });
    c1.addRoute({ dst: "10.8.0.0/16", dev: "v0", scope: "host" });
    c1.addRoute({ dst: "10.7.0.0/16", via: "10.2.0.1", dev: "w0", src: "10.1.0.5" });
    c1.deleteAddress("v0", "10.1.0.5/24");
    assert.deepEqual(routeWords(c1, 4), [
      "10.2.0.0/24 dev w0 scope link src 10.2.0.5",
      "local 10.2.0.5/32 dev w0 table local scope host src 10.2.0.5",
      "broadcast 10.2.0.255/32 dev w0 table local scope link src 10.2.0.5",
    ]);
  });
  await t.step("a kernel route deleted by hand does not come back with another address", () => {
    const { c1 } = withVeth();
    c1.setLink("v0", { up: true });
    c1.addAddress("v0", "10.2.0.5/24");
    c1.deleteRoute({ dst: "10.2.0.0/24", dev: "v0" });
    c1.addAddress("v0", "10.3.0.5/24");
    assert.deepEqual(routeWords(c1, 4, 254), ["10.3.0.0/24 dev v0 scope link src 10.3.0.5"]);
  });
  await t.step("the kernel's route comes after a request's route of the same key", () => {
    const { c1 } = withVeth();
    c1.setLink("v0", { up: true });
    c1.setLink("v1", { up: true });
    c1.addRoute({ dst: "10.2.0.0/24", dev: "v1" });
    c1.addAddress("v0", "10.2.0.5/24");
    assert.deepEqual(routeWords(c1, 4, 254), [
      "10.2.0.0/24 dev v1 scope link",
      "10.2.0.0/24 dev v0 scope link src 10.2.0.5",
    ]);
  });
  await t.step("the same address on two links: a local route each", () => {
    const { c1 } = withVeth();
    c1.addAddress("v0", "10.3.0.5/24");
    c1.addAddress("v1", "10.3.0.5/32");
    assert.deepEqual(routeWords(c1, 4), [
      "local 10.3.0.5/32 dev v0 table local scope host src 10.3.0.5",
      "local 10.3.0.5/32 dev v1 table local scope host src 10.3.0.5",
    ]);
  });
});

Deno.test("lo: 127.0.0.1/8 and ::1 when it comes up", () => {
  const { c1 } = setup();
  c1.addAddress("lo", "10.9.9.9/32");
  c1.setLink("lo", { up: true });
  assert.deepEqual(addressWords(c1), ["lo 127.0.0.1/8", "lo 10.9.9.9/32", "lo ::1/128"]);
  assert.deepEqual(c1.addresses().map((a) => a.scope), ["host", "global", "host"]);
  assert.deepEqual(routeWords(c1, 4), [
    "local 10.9.9.9/32 dev lo table local scope host src 10.9.9.9",
    "local 127.0.0.0/8 dev lo table local scope host src 127.0.0.1",
    "local 127.0.0.1/32 dev lo table local scope host src 127.0.0.1",
    "broadcast 127.255.255.255/32 dev lo table local scope link src 127.0.0.1",
  ]);
  assert.deepEqual(routeWords(c1, 6), ["local ::1/128 dev lo table local metric 0"]);
  c1.setLink("lo", { up: false });
  assert.deepEqual(addressWords(c1), ["lo 127.0.0.1/8", "lo 10.9.9.9/32"]);
  assert.deepEqual(routeWords(c1, 4), [
    "local 10.9.9.9/32 dev lo table local scope host src 10.9.9.9",
    "local 127.0.0.0/8 dev lo table local scope host src 127.0.0.1",
    "local 127.0.0.1/32 dev lo table local scope host src 127.0.0.1",
  ]);
  c1.deleteAddress("lo", "127.0.0.1/8");
  c1.setLink("lo", { up: true });
  assert.deepEqual(addressWords(c1), ["lo 127.0.0.1/8", "lo 10.9.9.9/32", "lo ::1/128"]);
});

Deno.test("IPv6: tentative addresses, carrier, link-local and the routes", async (t) => {
  const { c1 } = withVeth();
  await t.step("on a link that is down: tentative; nodad is usable and has its local route", () => {
    c1.addAddress("v0", "2001:db8::5/64");
    c1.addAddress("v0", "2001:db8:1::5/64", { noDad: true });
    assert.deepEqual(addressWords(c1), [
      "v0 2001:db8:1::5/64 nodad",
      "v0 2001:db8::5/64 tentative",
    ]);
    assert.deepEqual(routeWords(c1, 6), ["local 2001:db8:1::5/128 dev v0 table local metric 0"]);
  });
  await t.step("up without carrier: prefix routes, still tentative, no link-local", () => {
    c1.setLink("v0", { up: true });
    assert.deepEqual(addressWords(c1), [
      "v0 2001:db8:1::5/64 nodad",
      "v0 2001:db8::5/64 tentative",
    ]);
    assert.deepEqual(routeWords(c1, 6), [
      "2001:db8::/64 dev v0 metric 256",
      "2001:db8:1::/64 dev v0 metric 256",
      "local 2001:db8:1::5/128 dev v0 table local metric 0",
    ]);
  });
  await t.step("carrier: link-local addresses from the MAC, ff00::/8, detection over", () => {
    c1.setLink("v1", { up: true });
    assert.deepEqual(addressWords(c1), [
      "v1 fe80::ff:fe00:2/64",
      "v0 2001:db8:1::5/64 nodad",
      "v0 2001:db8::5/64",
      "v0 fe80::ff:fe00:1/64",
    ]);
    assert.deepEqual(c1.addresses().map((a) => a.scope), ["link", "global", "global", "link"]);
    assert.deepEqual(routeWords(c1, 6), [
      "2001:db8::/64 dev v0 metric 256",
      "2001:db8:1::/64 dev v0 metric 256",
      "fe80::/64 dev v1 metric 256",
      "fe80::/64 dev v0 metric 256",
      "local 2001:db8::5/128 dev v0 table local metric 0",
      "local 2001:db8:1::5/128 dev v0 table local metric 0",
      "local fe80::ff:fe00:1/128 dev v0 table local metric 0",
      "local fe80::ff:fe00:2/128 dev v1 table local metric 0",
      "multicast ff00::/8 dev v1 table local metric 256",
      "multicast ff00::/8 dev v0 table local metric 256",
    ]);
  });
  await t.step("more: newest first, /128, noprefixroute; the same address twice is EEXIST", () => {
    c1.addAddress("v0", "2001:db8::6/64", { noDad: true });
    c1.addAddress("v0", "2001:db8:2::5/128", { noDad: true });
    c1.addAddress("v0", "2001:db8:3::5/64", { noDad: true, noPrefixRoute: true });
    assertRefused(
      () => c1.addAddress("v0", "2001:db8::5/80"),
      "EEXIST",
      "ipv6: address already assigned",
    );
    c1.addAddress("v1", "2001:db8::5/64", { noDad: true });
    assert.deepEqual(addressWords(c1).filter((a) => a.startsWith("v0")), [
      "v0 2001:db8:3::5/64 nodad noprefixroute",
      "v0 2001:db8:2::5/128 nodad",
      "v0 2001:db8::6/64 nodad",
      "v0 2001:db8:1::5/64 nodad",
      "v0 2001:db8::5/64",
      "v0 fe80::ff:fe00:1/64",
    ]);
    assert.deepEqual(routeWords(c1, 6, 254).filter((r) => r.includes("dev v0")), [
      "2001:db8::/64 dev v0 metric 256",
      "2001:db8:1::/64 dev v0 metric 256",
      "2001:db8:2::5/128 dev v0 metric 256",
      "fe80::/64 dev v0 metric 256",
    ]);
  });
  await t.step("deleting: the prefix route stays while another address is in the prefix", () => {
    c1.deleteAddress("v0", "2001:db8::5/64");
    assert.ok(routeWords(c1, 6, 254).includes("2001:db8::/64 dev v0 metric 256"));
    c1.deleteAddress("v0", "2001:db8::6/64");
    assert.ok(!routeWords(c1, 6, 254).includes("2001:db8::/64 dev v0 metric 256"));
    assert.equal(c1.deleteAddress("v0", "2001:db8:1::5/80"), false);
  });
  await t.step("down: every IPv6 address and route of the link goes", () => {
    c1.setLink("v0", { up: false });
    assert.deepEqual(addressWords(c1), ["v1 2001:db8::5/64 nodad", "v1 fe80::ff:fe00:2/64"]);
    assert.ok(routeWords(c1, 6).every((route) => route.includes("dev v1")));
  });
});

Deno.test("IPv6: what sysctls change", async (t) => {
  await t.step("keep_addr_on_down: given addresses stay, tentative again, routes come back", () => {
    const { c1 } = withVeth();
    c1.sysctlSet("net.ipv6.conf.v0.keep_addr_on_down", "1");
    c1.setLink("v0", { up: true });
    c1.setLink("v1", { up: true });
    c1.addAddress("v0", "2001:db8::4/64", { noDad: true });
    c1.addAddress("v0", "2001:db8::5/64");
    c1.setLink("v0", { up: false });
    assert.deepEqual(addressWords(c1).filter((a) => a.startsWith("v0")), [
      "v0 2001:db8::5/64 tentative",
      "v0 2001:db8::4/64 nodad",
    ]);
    assert.deepEqual(routeWords(c1, 6).filter((r) => r.includes("dev v0")), []);
    c1.setLink("v0", { up: true });
    assert.deepEqual(addressWords(c1).filter((a) => a.startsWith("v0")), [
      "v0 2001:db8::5/64",
      "v0 2001:db8::4/64 nodad",
      "v0 fe80::ff:fe00:1/64",
    ]);
    assert.deepEqual(routeWords(c1, 6).filter((r) => r.includes("dev v0")), [
      "2001:db8::/64 dev v0 metric 256",
      "fe80::/64 dev v0 metric 256",
      "local 2001:db8::4/128 dev v0 table local metric 0",
      "local 2001:db8::5/128 dev v0 table local metric 0",
      "local fe80::ff:fe00:1/128 dev v0 table local metric 0",
      "multicast ff00::/8 dev v0 table local metric 256",
    ]);
  });
  await t.step("disable_ipv6: everything goes, EACCES, and back with a link-local", () => {
    const { c1 } = withVeth();
    c1.setLink("v0", { up: true });
    c1.setLink("v1", { up: true });
    c1.addAddress("v0", "2001:db8::1/64", { noDad: true });
    c1.sysctlSet("net.ipv6.conf.v0.disable_ipv6", "1");
    assert.deepEqual(addressWords(c1).filter((a) => a.startsWith("v0")), []);
    assertRefused(
      () => c1.addAddress("v0", "2001:db8::2/64"),
      "EACCES",
      "ipv6: IPv6 is disabled on this device",
    );
    assertRefused(
      () => c1.addRoute({ dst: "2001:db8:5::/64", dev: "v0" }),
      "EACCES",
      "IPv6 is disabled on nexthop device",
    );
    c1.sysctlSet("net.ipv6.conf.v0.disable_ipv6", "0");
    assert.deepEqual(addressWords(c1).filter((a) => a.startsWith("v0")), ["v0 fe80::ff:fe00:1/64"]);
  });
  await t.step("all.disable_ipv6 reaches every link, default, and new links", () => {
    const { c1 } = withVeth();
    c1.setLink("lo", { up: true });
    c1.sysctlSet("net.ipv6.conf.all.disable_ipv6", "1");
    assert.deepEqual(addressWords(c1), ["lo 127.0.0.1/8"]);
    c1.createLink({ kind: "dummy", name: "d0" });
    assert.equal(c1.sysctlGet("net.ipv6.conf.d0.disable_ipv6"), "1");
    assert.equal(c1.sysctlGet("net.ipv6.conf.default.disable_ipv6"), "1");
  });
  await t.step("addr_gen_mode 1: no link-local address (ff00::/8 still)", () => {
    const { c1 } = withVeth();
    c1.sysctlSet("net.ipv6.conf.v0.addr_gen_mode", "1");
    c1.setLink("v0", { up: true });
    c1.setLink("v1", { up: true });
    assert.deepEqual(addressWords(c1), ["v1 fe80::ff:fe00:2/64"]);
    assert.ok(routeWords(c1, 6).includes("multicast ff00::/8 dev v0 table local metric 256"));
    c1.sysctlSet("net.ipv6.conf.v0.addr_gen_mode", "0");
    assert.deepEqual(addressWords(c1), ["v1 fe80::ff:fe00:2/64", "v0 fe80::ff:fe00:1/64"]);
  });
  await t.step("accept_dad 0: no detection, and no nodad flag", () => {
    const { c1 } = withVeth();
    c1.sysctlSet("net.ipv6.conf.v0.accept_dad", "0");
    c1.addAddress("v0", "2001:db8::3/64");
    assert.deepEqual(addressWords(c1), ["v0 2001:db8::3/64"]);
  });
});

Deno.test("IPv6: refused addresses", async (t) => {
  const rows = [
    {
      cidr: "ff02::5/64",
      errno: "EADDRNOTAVAIL",
      detail: 'ipv6: Cannot assign multicast address without "IFA_F_MCAUTOJOIN" flag',
    },
    {
      cidr: "::1/128",
      errno: "EADDRNOTAVAIL",
      detail: "ipv6: Cannot assign loopback address on this device",
    },
    { cidr: "::/64", errno: "EADDRNOTAVAIL", detail: "ipv6: Invalid address" },
  ];
  for (const row of rows) {
    await t.step(row.cidr, () => {
      const { c1 } = withVeth();
      const error = assertRefused(() => c1.addAddress("v0", row.cidr), row.errno, row.detail);
      assert.equal(error.object, `${row.cidr} on "v0"`);
    });
  }
  await t.step("an IPv4-mapped address is taken", () => {
    const { c1 } = withVeth();
    c1.addAddress("v0", "::ffff:10.0.0.1/96", { noDad: true });
    assert.equal(c1.addresses().length, 1);
  });
});

Deno.test("IPv6: manual detection waits for finishDad", () => {
  const { kernel, c1 } = withVeth({ dad: "manual" });
  c1.setLink("v0", { up: true });
  c1.setLink("v1", { up: true });
  c1.addAddress("v0", "2001:db8::5/64");
  assert.deepEqual(addressWords(c1), [
    "v1 fe80::ff:fe00:2/64 tentative",
    "v0 2001:db8::5/64 tentative",
    "v0 fe80::ff:fe00:1/64 tentative",
  ]);
  assertRefused(
    () => c1.addRoute({ dst: "2001:db8:6::/48", dev: "v0", src: "2001:db8::5" }),
    "EINVAL",
    "Invalid source address",
  );
  kernel.finishDad();
  assert.deepEqual(addressWords(c1), [
    "v1 fe80::ff:fe00:2/64",
    "v0 2001:db8::5/64",
    "v0 fe80::ff:fe00:1/64",
  ]);
  c1.addRoute({ dst: "2001:db8:6::/48", dev: "v0", src: "2001:db8::5" });
  assert.equal(kernel.snapshot(C1).addresses.length, 3);
});
