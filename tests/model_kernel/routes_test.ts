/**
 * The model kernel's routes: adding, replacing, deleting and listing them with the kernel's
 * checks, IPv4 and IPv6, and what links going down do to them.
 */
import assert from "node:assert/strict";
import type { RouteSpec } from "../../lib/net_types.ts";
import { assertRefused, routeWords, setup } from "./_helpers.ts";

/** c1 with v0 (10.1.0.5/24, 2001:db8:1::5/64) and w0 (10.2.0.5/24, 2001:db8:2::5/64), up with carrier. */
function twoLinks() {
  const made = setup();
  const { c1 } = made;
  c1.createLink({ kind: "veth", name: "v0", peerName: "v1", mac: "02:00:00:00:00:01" });
  c1.createLink({ kind: "veth", name: "w0", peerName: "w1", mac: "02:00:00:00:00:03" });
  for (const name of ["v0", "v1", "w0", "w1"]) c1.setLink(name, { up: true });
  c1.addAddress("v0", "10.1.0.5/24");
  c1.addAddress("w0", "10.2.0.5/24");
  c1.addAddress("v0", "2001:db8:1::5/64", { noDad: true });
  c1.addAddress("w0", "2001:db8:2::5/64", { noDad: true });
  return made;
}

/** The user's routes of main, without those the kernel made. */
function userRoutes(words: string[]): string[] {
  return words.filter((route) =>
    !/^10\.[12]\.0\.0\/24 dev [vw]0 scope link src/.test(route) &&
    !/^(fe80::\/64|2001:db8:[12]::\/64) dev \w+ metric 256$/.test(route)
  );
}

Deno.test("IPv4 routes: one per table, destination and metric; replace; delete", async (t) => {
  const { c1 } = twoLinks();
  await t.step(
    "add: EEXIST whatever the next hop or device, not for another metric or table",
    () => {
      c1.addRoute({ dst: "10.9.0.0/16", via: "10.1.0.1", dev: "v0" });
      for (
        const route of [
          { dst: "10.9.0.0/16", via: "10.1.0.2", dev: "v0" },
          { dst: "10.9.0.0/16", via: "10.2.0.1", dev: "w0" },
          { dst: "10.9.0.0/16", dev: "w0" },
        ]
      ) {
        const error = assertRefused(() => c1.addRoute(route), "EEXIST");
        assert.equal(error.operation, "add route");
      }
      c1.addRoute({ dst: "10.9.0.0/16", via: "10.2.0.1", dev: "w0", metric: 5 });
      c1.addRoute({ dst: "10.9.0.0/16", via: "10.2.0.1", dev: "w0", metric: 5, table: 100 });
      c1.addRoute({ dst: "10.9.0.0/16", dev: "w0", metric: 6 });
      assertRefused(
        () => c1.addRoute({ dst: "10.9.0.0/16", dev: "w0", metric: 6, scope: "link" }),
        "EEXIST",
      );
      c1.addRoute({ dst: "0.0.0.0/0", via: "10.1.0.1", dev: "v0" });
      c1.addRoute({ dst: "10.7.1.0/24", via: "10.1.0.1", dev: "v0", mtu: 1400, advmss: 1360 });
      c1.addRoute({ dst: "10.7.2.0/24", dev: "v0", scope: "host" });
      c1.addRoute({ dst: "10.7.3.0/24", dev: "v0", scope: 7 });
      c1.addRoute({ dst: "10.7.4.4", dev: "v0" });
      assert.deepEqual(userRoutes(routeWords(c1, 4, 254)), [
        "0.0.0.0/0 via 10.1.0.1 dev v0",
        "10.7.1.0/24 via 10.1.0.1 dev v0 mtu 1400 advmss 1360",
        "10.7.2.0/24 dev v0 scope host",
        "10.7.3.0/24 dev v0 scope 7",
        "10.7.4.4/32 dev v0 scope link",
        "10.9.0.0/16 via 10.1.0.1 dev v0",
        "10.9.0.0/16 via 10.2.0.1 dev w0 metric 5",
        "10.9.0.0/16 dev w0 scope link metric 6",
      ]);
      assert.deepEqual(routeWords(c1, 4, 100), [
        "10.9.0.0/16 via 10.2.0.1 dev w0 table 100 metric 5",
      ]);
    },
  );
  await t.step("replace: the route of that metric, whatever its next hop; else a new one", () => {
    c1.addRoute({ dst: "10.9.0.0/16", via: "10.1.0.3", dev: "v0" }, true);
    c1.addRoute({ dst: "10.5.0.0/16", via: "10.1.0.3", dev: "v0" }, true);
    c1.addRoute({ dst: "10.9.0.0/16", via: "10.2.0.3", dev: "w0", metric: 5 }, true);
    assert.deepEqual(userRoutes(routeWords(c1, 4, 254)).filter((r) => /^10\.[59]\./.test(r)), [
      "10.5.0.0/16 via 10.1.0.3 dev v0",
      "10.9.0.0/16 via 10.1.0.3 dev v0",
      "10.9.0.0/16 via 10.2.0.3 dev w0 metric 5",
      "10.9.0.0/16 dev w0 scope link metric 6",
    ]);
  });
  await t.step("delete: only through the device given; any metric unless given; ESRCH", () => {
    const gone = (route: RouteSpec) => c1.deleteRoute(route);
    assert.equal(gone({ dst: "10.9.0.0/16", dev: "w0" }), true);
    assert.equal(gone({ dst: "10.9.0.0/16", dev: "w0" }), true);
    assert.equal(gone({ dst: "10.9.0.0/16", dev: "w0" }), false);
    assert.equal(gone({ dst: "10.9.0.0/16", dev: "v0", metric: 3 }), false);
    assert.equal(gone({ dst: "10.5.0.0/16", dev: "v0", table: 100 }), false);
    assert.equal(gone({ dst: "10.5.0.0/16", dev: "v0", scope: "link" }), false);
    assert.equal(gone({ dst: "10.5.0.0/16", via: "10.1.0.9", dev: "v0" }), false);
    assert.equal(gone({ dst: "10.5.0.0/16", via: "10.1.0.3", dev: "v0" }), true);
    assertRefused(
      () => c1.deleteRoute({ dst: "10.9.0.5/16", dev: "v0" }),
      "EINVAL",
      "Invalid prefix for given prefix length",
    );
    assertRefused(() => c1.deleteRoute({ dst: "10.9.0.0/16", dev: "nope" }), "ENODEV");
  });
});

Deno.test("IPv4 routes: what the kernel refuses", async (t) => {
  const rows: { name: string; route: RouteSpec; errno: string; detail?: string }[] = [
    {
      name: "a gateway no route of scope link reaches",
      route: { dst: "10.8.0.0/16", via: "10.3.0.1", dev: "v0" },
      errno: "ENETUNREACH",
      detail: "Nexthop has invalid gateway",
    },
    {
      name: "a gateway reached through another device",
      route: { dst: "10.8.0.0/16", via: "10.2.0.1", dev: "v0" },
      errno: "ENETUNREACH",
      detail: "Nexthop has invalid gateway",
    },
    {
      name: "a gateway reached only through another gateway",
      route: { dst: "10.8.0.0/16", via: "10.9.0.1", dev: "v0" },
      errno: "ENETUNREACH",
      detail: "Nexthop has invalid gateway",
    },
    {
      name: "a gateway with scope link",
      route: { dst: "10.8.0.0/16", via: "10.1.0.1", dev: "v0", scope: "link" },
      errno: "ENETUNREACH",
      detail: "Nexthop has invalid gateway",
    },
    {
      name: "a broadcast gateway",
      route: { dst: "10.8.0.0/16", via: "10.1.0.255", dev: "v0" },
      errno: "EINVAL",
      detail: "Nexthop has invalid gateway",
    },
    {
      name: "a gateway with scope host",
      route: { dst: "10.8.0.0/16", via: "10.1.0.1", dev: "v0", scope: "host" },
      errno: "EINVAL",
      detail: "Route with host scope can not have a gateway",
    },
    {
      name: "a source that is no local address",
      route: { dst: "10.8.0.0/16", via: "10.1.0.1", dev: "v0", src: "10.3.0.5" },
      errno: "EINVAL",
      detail: "Invalid prefsrc address",
    },
    {
      name: "host bits in the destination",
      route: { dst: "10.8.5.5/16", via: "10.1.0.1", dev: "v0" },
      errno: "EINVAL",
      detail: "Invalid prefix for given prefix length",
    },
    {
      name: "a link that is down, without gateway",
      route: { dst: "10.8.0.0/16", dev: "d0" },
      errno: "ENETDOWN",
      detail: "Device for nexthop is not up",
    },
    {
      name: "a link that is down, with a gateway",
      route: { dst: "10.8.0.0/16", via: "10.3.0.1", dev: "d0" },
      errno: "ENETUNREACH",
      detail: "Nexthop has invalid gateway",
    },
    { name: "no such device", route: { dst: "10.8.0.0/16", dev: "nope" }, errno: "ENODEV" },
    {
      name: "scope nowhere",
      route: { dst: "10.8.0.0/16", dev: "v0", scope: 255 },
      errno: "EINVAL",
      detail: "Invalid scope",
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const { c1 } = twoLinks();
      c1.createLink({ kind: "dummy", name: "d0" });
      c1.addRoute({ dst: "10.9.0.0/16", via: "10.1.0.1", dev: "v0" });
      const before = routeWords(c1, 4);
      const error = assertRefused(() => c1.addRoute(row.route), row.errno, row.detail);
      assert.equal(
        error.object,
        `${row.route.dst}${row.route.via ? ` via ${row.route.via}` : ""} dev "${row.route.dev}"` +
          (row.route.table === undefined ? "" : ` table ${row.route.table}`),
      );
      assert.deepEqual(routeWords(c1, 4), before);
    });
  }
  await t.step("taken: its own address as gateway, a source on another link, another table", () => {
    const { c1 } = twoLinks();
    c1.addRoute({ dst: "10.8.0.0/16", via: "10.1.0.5", dev: "v0" });
    c1.addRoute({ dst: "10.7.0.0/16", via: "10.1.0.1", dev: "v0", src: "10.2.0.5" });
    c1.addRoute({ dst: "10.6.0.0/16", via: "10.1.0.1", dev: "v0", table: 200 });
    c1.addRoute({ dst: "10.9.0.0/16", dev: "v0", src: "10.1.0.5", table: 100 });
    c1.createLink({ kind: "dummy", name: "d0" });
    c1.addRoute({ dst: "10.4.0.0/16", dev: "d0", scope: "host" });
    assert.deepEqual(routeWords(c1, 4, "all").filter((r) => !r.includes("table local")), [
      "10.9.0.0/16 dev v0 table 100 scope link src 10.1.0.5",
      "10.6.0.0/16 via 10.1.0.1 dev v0 table 200",
      "10.1.0.0/24 dev v0 scope link src 10.1.0.5",
      "10.2.0.0/24 dev w0 scope link src 10.2.0.5",
      "10.4.0.0/16 dev d0 scope host",
      "10.7.0.0/16 via 10.1.0.1 dev v0 src 10.2.0.5",
      "10.8.0.0/16 via 10.1.0.5 dev v0",
    ]);
  });
});

Deno.test("IPv4 routes: a link going down takes its routes but those of scope host", () => {
  const { c1 } = twoLinks();
  c1.addRoute({ dst: "10.9.0.0/16", via: "10.1.0.1", dev: "v0", table: 200 });
  c1.addRoute({ dst: "10.8.0.0/16", dev: "v0", scope: "host" });
  c1.setLink("v1", { up: false });
  c1.addRoute({ dst: "10.3.0.0/16", dev: "v0" });
  c1.setLink("v0", { up: false });
  assert.deepEqual(routeWords(c1, 4).filter((r) => r.includes("dev v0")), [
    "10.8.0.0/16 dev v0 scope host",
    "local 10.1.0.5/32 dev v0 table local scope host src 10.1.0.5",
  ]);
});

Deno.test("IPv6 routes: the same rules, and IPv6's own", async (t) => {
  const { c1 } = twoLinks();
  await t.step(
    "add: metric 1024 by default (also for 0); EEXIST per metric; host bits cleared",
    () => {
      c1.addRoute({ dst: "2001:db8:9::/48", via: "2001:db8:1::1", dev: "v0" });
      assertRefused(
        () => c1.addRoute({ dst: "2001:db8:9::/48", via: "2001:db8:2::1", dev: "w0" }),
        "EEXIST",
      );
      assertRefused(() => c1.addRoute({ dst: "2001:db8:9::/48", dev: "w0", metric: 0 }), "EEXIST");
      c1.addRoute({ dst: "2001:db8:9::/48", via: "2001:db8:2::1", dev: "w0", metric: 5 });
      c1.addRoute({
        dst: "2001:db8:9::/48",
        via: "2001:db8:2::1",
        dev: "w0",
        metric: 5,
        table: 100,
      });
      c1.addRoute({ dst: "2001:db8:8::/48", via: "fe80::99", dev: "v0" });
      c1.addRoute({ dst: "2001:db8:6:2::5/64", dev: "v0", scope: "link" });
      c1.addRoute({
        dst: "2001:db8:6:1::/64",
        via: "2001:db8:1::1",
        dev: "v0",
        mtu: 1400,
        advmss: 1300,
      });
      c1.addRoute({ dst: "::/0", via: "2001:db8:1::1", dev: "v0" });
      c1.addRoute({
        dst: "2001:db8:7::/48",
        via: "2001:db8:1::1",
        dev: "v0",
        src: "2001:db8:2::5",
      });
      assert.deepEqual(userRoutes(routeWords(c1, 6, 254)), [
        "2001:db8:6:1::/64 via 2001:db8:1::1 dev v0 metric 1024 mtu 1400 advmss 1300",
        "2001:db8:6:2::/64 dev v0 metric 1024",
        "2001:db8:7::/48 via 2001:db8:1::1 dev v0 metric 1024 src 2001:db8:2::5",
        "2001:db8:8::/48 via fe80::99 dev v0 metric 1024",
        "2001:db8:9::/48 via 2001:db8:2::1 dev w0 metric 5",
        "2001:db8:9::/48 via 2001:db8:1::1 dev v0 metric 1024",
        "::/0 via 2001:db8:1::1 dev v0 metric 1024",
      ]);
    },
  );
  await t.step("replace and delete", () => {
    c1.addRoute({ dst: "2001:db8:9::/48", via: "2001:db8:1::3", dev: "v0" }, true);
    c1.addRoute({ dst: "2001:db8:9::/48", via: "2001:db8:1::3", dev: "v0", metric: 7 }, true);
    assert.deepEqual(routeWords(c1, 6, 254).filter((r) => r.startsWith("2001:db8:9::")), [
      "2001:db8:9::/48 via 2001:db8:2::1 dev w0 metric 5",
      "2001:db8:9::/48 via 2001:db8:1::3 dev v0 metric 7",
      "2001:db8:9::/48 via 2001:db8:1::3 dev v0 metric 1024",
    ]);
    assert.equal(c1.deleteRoute({ dst: "2001:db8:9::/48", dev: "w0" }), true);
    assert.equal(c1.deleteRoute({ dst: "2001:db8:9::/48", dev: "w0" }), false);
    assert.equal(
      c1.deleteRoute({ dst: "2001:db8:9::/48", via: "2001:db8:1::9", dev: "v0" }),
      false,
    );
    assert.equal(c1.deleteRoute({ dst: "2001:db8:9::/48", dev: "v0" }), true);
    assert.equal(c1.deleteRoute({ dst: "2001:db8:9::5/48", dev: "v0" }), true, "host bits cleared");
    assert.equal(c1.deleteRoute({ dst: "2001:db8:9::/48", dev: "v0" }), false);
  });
  const rows: { name: string; route: RouteSpec; errno: string; detail?: string }[] = [
    {
      name: "an unreachable gateway",
      route: { dst: "2001:db8:5::/48", via: "2001:db8:3::1", dev: "v0" },
      errno: "EHOSTUNREACH",
    },
    {
      name: "a gateway on another link",
      route: { dst: "2001:db8:5::/48", via: "2001:db8:2::1", dev: "v0" },
      errno: "EHOSTUNREACH",
    },
    {
      name: "a gateway behind a gateway",
      route: { dst: "2001:db8:5::/48", via: "2001:db8:8::1", dev: "v0" },
      errno: "EHOSTUNREACH",
    },
    {
      name: "an IPv4-mapped gateway",
      route: { dst: "2001:db8:5::/48", via: "::ffff:10.0.0.1", dev: "v0" },
      errno: "EHOSTUNREACH",
    },
    {
      name: "a local gateway",
      route: { dst: "2001:db8:5::/48", via: "2001:db8:2::5", dev: "v0" },
      errno: "EINVAL",
      detail: "Gateway can not be a local address",
    },
    {
      name: "a source that is no local address",
      route: { dst: "2001:db8:5::/48", via: "2001:db8:1::1", dev: "v0", src: "2001:db8:3::5" },
      errno: "EINVAL",
      detail: "Invalid source address",
    },
    {
      name: "a gateway through lo",
      route: { dst: "2001:db8:5::/48", via: "fe80::1", dev: "lo" },
      errno: "EINVAL",
      detail: "Egress device can not be loopback device for this route",
    },
    {
      name: "a link that is down",
      route: { dst: "2001:db8:5::/48", via: "fe80::1", dev: "d0" },
      errno: "ENETDOWN",
      detail: "Nexthop device is not up",
    },
  ];
  for (const row of rows) {
    await t.step(`refused: ${row.name}`, () => {
      c1.createLink({ kind: "dummy", name: "d0" });
      assertRefused(() => c1.addRoute(row.route), row.errno, row.detail);
      c1.deleteLink("d0");
    });
  }
  await t.step("a link without carrier takes routes, and its routes reach gateways", () => {
    c1.setLink("w1", { up: false });
    c1.addRoute({ dst: "2001:db8:4::/48", via: "2001:db8:2::1", dev: "w0" });
    assert.ok(routeWords(c1, 6).includes("2001:db8:4::/48 via 2001:db8:2::1 dev w0 metric 1024"));
  });
  await t.step("a link going down takes all its IPv6 routes", () => {
    c1.setLink("w0", { up: false });
    assert.deepEqual(routeWords(c1, 6).filter((r) => r.includes("dev w0")), []);
  });
});

Deno.test("a route as reported: scope always, type unless unicast, IPv4 metric unless 0", () => {
  const { c1 } = twoLinks();
  c1.addRoute({ dst: "10.9.0.0/16", via: "10.1.0.1", dev: "v0" });
  assert.deepEqual(c1.routes(4, "all").filter((r) => r.dev === "v0"), [
    { dst: "10.1.0.0/24", dev: "v0", table: "main", scope: "link", prefsrc: "10.1.0.5" },
    { dst: "10.9.0.0/16", gateway: "10.1.0.1", dev: "v0", table: "main", scope: "global" },
    {
      dst: "10.1.0.5/32",
      dev: "v0",
      table: "local",
      scope: "host",
      prefsrc: "10.1.0.5",
      type: "local",
    },
    {
      dst: "10.1.0.255/32",
      dev: "v0",
      table: "local",
      scope: "link",
      prefsrc: "10.1.0.5",
      type: "broadcast",
    },
  ]);
  assert.deepEqual(c1.routes(6, 255).filter((r) => r.dev === "v0").map((r) => [r.dst, r.type]), [
    ["2001:db8:1::5/128", "local"],
    ["fe80::ff:fe00:1/128", "local"],
    ["ff00::/8", "multicast"],
  ]);
  assert.deepEqual(c1.routes(6).filter((r) => r.dev === "v0")[0], {
    dst: "2001:db8:1::/64",
    dev: "v0",
    table: "main",
    scope: "global",
    metric: 256,
  });
});

Deno.test("listing: by table as the kernel hashes them, IPv6 in the order of its tree", () => {
  const { c1 } = twoLinks();
  c1.addRoute({ dst: "2001:db8:6:5::/64", via: "fe80::1", dev: "v0", table: 300 });
  c1.addRoute({ dst: "2001:db8:9::/48", via: "2001:db8:1::1", dev: "v0", table: 100 });
  c1.addRoute({ dst: "2001:db8::/32", via: "2001:db8:1::1", dev: "v0", table: 100 });
  c1.addRoute({ dst: "2001:db8:1:2::/64", via: "2001:db8:1::1", dev: "v0", table: 100 });
  assert.deepEqual(
    routeWords(c1, 6, "all").filter((r) => r.includes("table 3") || r.includes("table 1")),
    [
      "2001:db8:6:5::/64 via fe80::1 dev v0 table 300 metric 1024",
      "2001:db8:1:2::/64 via 2001:db8:1::1 dev v0 table 100 metric 1024",
      "2001:db8:9::/48 via 2001:db8:1::1 dev v0 table 100 metric 1024",
      "2001:db8::/32 via 2001:db8:1::1 dev v0 table 100 metric 1024",
    ],
  );
  c1.addRoute({ dst: "10.1.5.0/24", via: "10.1.0.1", dev: "v0" });
  c1.addRoute({ dst: "10.0.0.0/8", via: "10.1.0.1", dev: "v0" });
  c1.addRoute({ dst: "10.1.0.0/16", via: "10.1.0.1", dev: "v0" });
  assert.deepEqual(routeWords(c1, 4, 254), [
    "10.0.0.0/8 via 10.1.0.1 dev v0",
    "10.1.0.0/24 dev v0 scope link src 10.1.0.5",
    "10.1.0.0/16 via 10.1.0.1 dev v0",
    "10.1.5.0/24 via 10.1.0.1 dev v0",
    "10.2.0.0/24 dev w0 scope link src 10.2.0.5",
  ]);
});
