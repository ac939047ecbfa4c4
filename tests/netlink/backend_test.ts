/**
 * The netlink backend against the real kernel, as root, in throwaway namespaces
 * (`ip netns add dcni-nl-<random>`, deleted afterwards): every operation, its result compared
 * with what `ip -j -d` and `tc -raw -j` report for the same namespace, and the errors the kernel
 * gives as KernelErrors. Kinds the kernel lacks (dummy, ipvlan, vlan on some machines) must fail
 * with a clean EOPNOTSUPP, as `ip` does there; where the kernel has them they run fully. The link
 * indexes the backend remembers never take an operation to another link than its name's.
 */
import assert from "node:assert/strict";
import { CniError } from "../../lib/errors.ts";
import type { NamespaceOps } from "../../lib/net_backend.ts";
import { KernelError, NamespaceMissingError } from "../../lib/net_errors.ts";
import type { Link } from "../../lib/net_types.ts";
import { netlinkBackend } from "../../lib/netlink/backend.ts";
import { ipAddresses, ipLinks, ipRoutes, sorted, tcQdiscs } from "./_ip_json.ts";
import {
  attempt,
  ipJson,
  rootSkip,
  run,
  type TestNamespace,
  withNamespaces,
  withScratch,
} from "./_netns.ts";

const skip = await rootSkip();
if (skip !== undefined) console.log(`netlink backend tests ignored: ${skip}`);

/** Runs `fn` with the operations of one or two new namespaces; the backend closed after. */
function withOps(
  count: number,
  fn: (ops: NamespaceOps[], namespaces: TestNamespace[]) => Promise<void>,
): Promise<void> {
  return withNamespaces(count, async (...namespaces) => {
    using backend = netlinkBackend({ timeoutMs: 5000 });
    await fn(namespaces.map((namespace) => backend.open(namespace.path)), namespaces);
  });
}

const ip = (ns: TestNamespace, ...args: string[]) => run("ip", "-n", ns.name, ...args);

async function ipLink(ns: TestNamespace, name: string): Promise<Link | undefined> {
  return ipLinks(await ipJson(ns.name, "-d", "link", "show")).find((link) => link.name === name);
}

function rejectsWith(errno: string, message?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof KernelError, `${error}`);
    assert.equal(error.errno, errno);
    if (message !== undefined) assert.match(error.message, message);
    return true;
  };
}

Deno.test({
  name: "links() and link() report what ip -j -d link show does",
  ignore: skip !== undefined,
  async fn() {
    await withOps(2, async ([ops], [a, b]) => {
      await ip(
        a!,
        "link",
        "add",
        "name",
        "v0",
        "type",
        "veth",
        "peer",
        "name",
        "v1",
        "netns",
        b!.name,
      );
      await ip(a!, "link", "add", "name", "br0", "type", "bridge");
      await ip(a!, "link", "set", "dev", "v0", "master", "br0", "up", "promisc", "on");
      await ip(
        a!,
        "link",
        "add",
        "name",
        "va",
        "txqueuelen",
        "77",
        "type",
        "veth",
        "peer",
        "name",
        "vb",
      );
      await ip(
        a!,
        "link",
        "add",
        "link",
        "va",
        "name",
        "mv0",
        "type",
        "macvlan",
        "mode",
        "private",
      );
      const expected = ipLinks(await ipJson(a!.name, "-d", "link", "show"));
      assert.deepEqual(sorted(await ops!.links()), sorted(expected));
      const v0 = expected.find((link) => link.name === "v0")!;
      assert.equal(v0.linkNetnsId, 0);
      assert.deepEqual(await ops!.link("v0"), v0);
      assert.deepEqual(await ops!.link(v0.index), v0);
      assert.equal(await ops!.link("nope"), undefined);
      assert.equal(await ops!.link(99999), undefined);
    });
  },
});

Deno.test({
  name: "createLink() makes veth pairs, here and directly in other namespaces",
  ignore: skip !== undefined,
  async fn(t) {
    await withOps(2, async ([ops, opsB], [a, b]) => {
      await t.step("the peer directly in another namespace, with settings", async () => {
        await ops!.createLink({
          kind: "veth",
          name: "host0",
          mtu: 1400,
          mac: "02:00:00:00:01:01",
          txqueuelen: 321,
          peerName: "eth0",
          peerNetns: b!.path,
          peerMac: "02:00:00:00:01:02",
        });
        const host = await ipLink(a!, "host0");
        const peer = await ipLink(b!, "eth0");
        assert.deepEqual(
          { mtu: host?.mtu, mac: host?.mac, txqueuelen: host?.txqueuelen, kind: host?.kind },
          { mtu: 1400, mac: "02:00:00:00:01:01", txqueuelen: 321, kind: "veth" },
        );
        assert.deepEqual({ mtu: peer?.mtu, mac: peer?.mac }, {
          mtu: 1400,
          mac: "02:00:00:00:01:02",
        });
        assert.equal(host?.linkIndex, peer?.index);
        assert.equal(typeof host?.linkNetnsId, "number");
        assert.equal(await ops!.link("eth0"), undefined);
        assert.deepEqual(await opsB!.link("eth0"), peer);
      });
      await t.step("the link directly in another namespace, its peer here", async () => {
        await ops!.createLink({ kind: "veth", name: "inb", netns: b!.path, peerName: "ina" });
        assert.ok(await ipLink(b!, "inb"));
        assert.ok(await ipLink(a!, "ina"));
        assert.equal(await ipLink(a!, "inb"), undefined);
      });
      await t.step("both ends here", async () => {
        await ops!.createLink({ kind: "veth", name: "p0", peerName: "p1" });
        const [p0, p1] = [await ops!.link("p0"), await ops!.link("p1")];
        assert.equal(p0?.linkIndex, p1?.index);
        assert.equal(p1?.linkIndex, p0?.index);
        assert.equal(p0?.linkNetnsId, undefined);
      });
      await t.step("a taken name is EEXIST", async () => {
        await assert.rejects(
          ops!.createLink({ kind: "veth", name: "p0", peerName: "p9" }),
          rejectsWith("EEXIST", /^EEXIST: create link "p0": already exists/),
        );
        assert.equal(await ipLink(a!, "p9"), undefined);
      });
      await t.step("a peer namespace that does not exist creates nothing", async () => {
        await assert.rejects(
          ops!.createLink({
            kind: "veth",
            name: "q0",
            peerName: "q1",
            peerNetns: "/nonexistent/ns",
          }),
          NamespaceMissingError,
        );
        assert.equal(await ipLink(a!, "q0"), undefined);
        assert.equal(await ipLink(a!, "q1"), undefined);
      });
    });
  },
});

Deno.test({
  name: "createLink() makes bridges and macvlans",
  ignore: skip !== undefined,
  async fn(t) {
    await withOps(2, async ([ops], [a, b]) => {
      await ops!.createLink({ kind: "veth", name: "up0", peerName: "up1" });
      await t.step("a bridge", async () => {
        await ops!.createLink({ kind: "bridge", name: "br0", mtu: 1450 });
        assert.deepEqual(await ops!.link("br0"), await ipLink(a!, "br0"));
        assert.equal((await ops!.link("br0"))?.kind, "bridge");
      });
      for (const mode of ["bridge", "private", "vepa", "source"] as const) {
        await t.step(`a macvlan in ${mode} mode`, async () => {
          await ops!.createLink({ kind: "macvlan", name: `mv-${mode}`, parent: "up0", mode });
          const link = await ops!.link(`mv-${mode}`);
          assert.deepEqual(link, await ipLink(a!, `mv-${mode}`));
          assert.equal(link?.macvlanMode, mode);
          assert.equal(link?.linkIndex, (await ops!.link("up0"))?.index);
        });
      }
      await t.step("a macvlan without a mode gets the kernel's (vepa)", async () => {
        await ops!.createLink({ kind: "macvlan", name: "mv-default", parent: "up0" });
        assert.equal((await ops!.link("mv-default"))?.macvlanMode, "vepa");
      });
      await t.step("a macvlan directly in another namespace, its parent here", async () => {
        await ops!.createLink({
          kind: "macvlan",
          name: "eth0",
          parent: "up1",
          mode: "bridge",
          netns: b!.path,
        });
        assert.equal((await ipLink(b!, "eth0"))?.macvlanMode, "bridge");
        assert.equal(await ipLink(a!, "eth0"), undefined);
      });
      await t.step("a missing parent is ENODEV, named", async () => {
        await assert.rejects(
          ops!.createLink({ kind: "macvlan", name: "mv9", parent: "nope" }),
          rejectsWith(
            "ENODEV",
            /^ENODEV: create link "mv9": no such device: no parent link "nope"$/,
          ),
        );
      });
    });
  },
});

/** What `ip link add` says about a kind: undefined when the kernel has it. */
async function kindMissing(ns: TestNamespace, args: string[]): Promise<string | undefined> {
  const tried = await attempt("ip", "-n", ns.name, "link", "add", ...args);
  if (tried.success) {
    await attempt("ip", "-n", ns.name, "link", "del", "dev", "probe0");
    return undefined;
  }
  return tried.stderr;
}

Deno.test({
  name: "createLink() makes dummy, ipvlan and vlan links, or says cleanly the kernel lacks them",
  ignore: skip !== undefined,
  async fn(t) {
    await withOps(1, async ([ops], [a]) => {
      await ops!.createLink({ kind: "veth", name: "up0", peerName: "up1" });
      const rows = [
        {
          kind: "dummy",
          probe: ["name", "probe0", "type", "dummy"],
          spec: { kind: "dummy", name: "dm0" } as const,
          check: (link: Link | undefined) => assert.equal(link?.kind, "dummy"),
        },
        {
          kind: "ipvlan",
          probe: ["link", "up0", "name", "probe0", "type", "ipvlan"],
          spec: { kind: "ipvlan", name: "iv0", parent: "up0", mode: "l3" } as const,
          check: (link: Link | undefined) => assert.equal(link?.ipvlanMode, "l3"),
        },
        {
          kind: "vlan",
          probe: ["link", "up0", "name", "probe0", "type", "vlan", "id", "7"],
          spec: { kind: "vlan", name: "vl0", parent: "up0", vlanId: 42 } as const,
          check: (link: Link | undefined) => assert.equal(link?.vlanId, 42),
        },
      ];
      for (const row of rows) {
        await t.step(row.kind, async () => {
          const missing = await kindMissing(a!, row.probe);
          if (missing === undefined) {
            await ops!.createLink(row.spec);
            const link = await ops!.link(row.spec.name);
            assert.deepEqual(link, await ipLink(a!, row.spec.name));
            row.check(link);
            return;
          }
          assert.match(missing, /Unknown device type/);
          await assert.rejects(
            ops!.createLink(row.spec),
            rejectsWith(
              "EOPNOTSUPP",
              new RegExp(
                `^EOPNOTSUPP: create link "${row.spec.name}": operation not supported: ` +
                  "Unknown device type",
              ),
            ),
          );
          assert.equal(await ipLink(a!, row.spec.name), undefined);
        });
      }
    });
  },
});

Deno.test({
  name: "setLink() changes each setting as ip reports it",
  ignore: skip !== undefined,
  async fn(t) {
    await withOps(1, async ([ops], [a]) => {
      await ops!.createLink({ kind: "veth", name: "v0", peerName: "v1" });
      await ops!.createLink({ kind: "bridge", name: "br0" });
      const rows: [string, Parameters<NamespaceOps["setLink"]>[1], Record<string, unknown>][] = [
        ["up", { up: true }, { up: true }],
        ["down", { up: false }, { up: false }],
        ["MTU", { mtu: 1280 }, { mtu: 1280 }],
        ["hardware address", { mac: "0A:58:0A:01:00:05" }, { mac: "0a:58:0a:01:00:05" }],
        ["transmit queue length", { txqueuelen: 64 }, { txqueuelen: 64 }],
        ["promiscuous on", { promisc: true }, { promisc: true }],
        ["promiscuous off", { promisc: false }, { promisc: undefined }],
        ["all multicast on", { allmulti: true }, { allmulti: true }],
        ["all multicast off", { allmulti: false }, { allmulti: undefined }],
        ["several at once", { up: true, mtu: 1300, promisc: true }, {
          up: true,
          mtu: 1300,
          promisc: true,
        }],
      ];
      for (const [name, changes, expected] of rows) {
        await t.step(name, async () => {
          await ops!.setLink("v0", changes);
          const link = await ipLink(a!, "v0");
          for (const [key, value] of Object.entries(expected)) {
            assert.equal(link?.[key as keyof Link], value, key);
          }
          assert.deepEqual(await ops!.link("v0"), link);
        });
      }
      await t.step("master and no master", async () => {
        await ops!.setLink("v0", { master: "br0" });
        assert.equal((await ipLink(a!, "v0"))?.masterIndex, (await ipLink(a!, "br0"))?.index);
        await ops!.setLink("v0", { master: null });
        assert.equal((await ipLink(a!, "v0"))?.masterIndex, undefined);
      });
      await t.step("a missing link or master is ENODEV", async () => {
        await assert.rejects(
          ops!.setLink("nope", { up: true }),
          rejectsWith("ENODEV", /^ENODEV: set link "nope": no such device$/),
        );
        await assert.rejects(
          ops!.setLink("v0", { master: "br9" }),
          rejectsWith("ENODEV", /^ENODEV: set link "v0": no such device: no master "br9"$/),
        );
      });
    });
  },
});

Deno.test({
  name: "renameLink(), moveLink() and deleteLink()",
  ignore: skip !== undefined,
  async fn(t) {
    await withOps(2, async ([ops], [a, b]) => {
      await ops!.createLink({ kind: "veth", name: "v0", peerName: "v1" });
      await ops!.createLink({ kind: "veth", name: "w0", peerName: "w1" });
      await t.step("rename", async () => {
        await ops!.renameLink("v0", "renamed0");
        assert.ok(await ipLink(a!, "renamed0"));
        assert.equal(await ipLink(a!, "v0"), undefined);
      });
      await t.step("move", async () => {
        await ops!.moveLink("v1", b!.path);
        assert.ok(await ipLink(b!, "v1"));
        assert.equal(await ipLink(a!, "v1"), undefined);
      });
      await t.step("move and rename", async () => {
        await ops!.moveLink("w1", b!.path, "eth0");
        assert.equal((await ipLink(b!, "eth0"))?.kind, "veth");
        assert.equal(await ipLink(a!, "w1"), undefined);
      });
      await t.step("move into what is not a namespace", async () => {
        await withScratch(async (dir) => {
          await run("mkfifo", `${dir}/fifo`);
          await assert.rejects(ops!.moveLink("w0", `${dir}/fifo`), (error: unknown) => {
            assert.ok(error instanceof CniError && error.code === 4, `${error}`);
            return true;
          });
        });
        assert.ok(await ipLink(a!, "w0"));
      });
      await t.step("delete, then there is nothing to delete", async () => {
        assert.equal(await ops!.deleteLink("renamed0"), true);
        assert.equal(await ipLink(a!, "renamed0"), undefined);
        assert.equal(await ops!.deleteLink("renamed0"), false);
      });
    });
  },
});

Deno.test({
  name: "addresses are added, listed and deleted as ip reports them",
  ignore: skip !== undefined,
  async fn(t) {
    await withOps(1, async ([ops], [a]) => {
      await ops!.createLink({ kind: "veth", name: "v0", peerName: "v1" });
      await ops!.setLink("v0", { up: true });
      await t.step("add", async () => {
        await ops!.addAddress("v0", "10.1.0.5/24", {});
        await ops!.addAddress("v0", "10.2.0.5/16", { noPrefixRoute: true, noDad: true });
        await ops!.addAddress("v0", "2001:db8::5/64", { noDad: true, noPrefixRoute: true });
        // The peer is down: duplicate address detection cannot finish, the address stays tentative.
        await ops!.addAddress("v0", "2001:db8:1::5/64", {});
        await ops!.addAddress("lo", "127.0.0.2/8", {});
      });
      await t.step("list all and of one link", async () => {
        const all = ipAddresses(await ipJson(a!.name, "address", "show"));
        assert.deepEqual(sorted(await ops!.addresses()), sorted(all));
        const v0 = ipAddresses(await ipJson(a!.name, "address", "show", "dev", "v0"));
        assert.deepEqual(sorted(await ops!.addresses("v0")), sorted(v0));
        const flags = Object.fromEntries(v0.map((address) => [address.cidr, address]));
        assert.equal(flags["2001:db8::5/64"]?.noDad, true);
        assert.equal(flags["2001:db8::5/64"]?.noPrefixRoute, true);
        assert.equal(flags["2001:db8:1::5/64"]?.tentative, true);
        assert.equal(flags["10.2.0.5/16"]?.noDad, undefined, "noDad is for IPv6 only");
      });
      await t.step("an address the link has is EEXIST", async () => {
        await assert.rejects(
          ops!.addAddress("v0", "10.1.0.5/24", {}),
          rejectsWith("EEXIST", /^EEXIST: add address 10.1.0.5\/24 on "v0": already exists/),
        );
      });
      await t.step("delete, then there is nothing to delete", async () => {
        assert.equal(await ops!.deleteAddress("v0", "10.1.0.5/24"), true);
        assert.equal(await ops!.deleteAddress("v0", "10.1.0.5/24"), false);
        assert.equal(await ops!.deleteAddress("v0", "2001:db8::5/64"), true);
        const left = ipAddresses(await ipJson(a!.name, "address", "show", "dev", "v0"));
        assert.deepEqual(
          left.map((address) => address.cidr).sort(),
          [
            "10.2.0.5/16",
            "2001:db8:1::5/64",
            ...left.filter((address) => address.cidr.startsWith("fe80")).map((x) => x.cidr),
          ].sort(),
        );
      });
      await t.step("a missing link is ENODEV", async () => {
        await assert.rejects(ops!.addresses("nope"), rejectsWith("ENODEV"));
        await assert.rejects(ops!.addAddress("nope", "10.9.0.1/24", {}), rejectsWith("ENODEV"));
      });
    });
  },
});

Deno.test({
  name: "routes are added, replaced, listed and deleted as ip reports them",
  ignore: skip !== undefined,
  async fn(t) {
    await withOps(1, async ([ops], [a]) => {
      await ops!.createLink({ kind: "veth", name: "v0", peerName: "v1" });
      await ops!.createLink({ kind: "veth", name: "w0", peerName: "w1" });
      for (const name of ["v0", "v1", "w0", "w1"]) await ops!.setLink(name, { up: true });
      await ops!.addAddress("v0", "10.1.0.5/24", {});
      await ops!.addAddress("w0", "10.4.0.5/24", {});
      await ops!.addAddress("v0", "2001:db8::5/64", { noDad: true });
      await t.step("add", async () => {
        await ops!.addRoute({ dst: "10.9.0.0/16", via: "10.1.0.1", dev: "v0" }, false);
        await ops!.addRoute({ dst: "10.8.0.0/16", dev: "v0" }, false);
        await ops!.addRoute({ dst: "10.6.0.1", dev: "v0", table: 7 }, false);
        await ops!.addRoute({
          dst: "10.7.0.0/16",
          via: "10.1.0.1",
          src: "10.1.0.5",
          dev: "v0",
          table: 1000,
          metric: 100,
          mtu: 1400,
          advmss: 1360,
        }, false);
        await ops!.addRoute({ dst: "0.0.0.0/0", via: "10.1.0.1", dev: "v0" }, false);
        await ops!.addRoute({ dst: "10.5.0.0/16", dev: "v0", scope: "host" }, false);
        await ops!.addRoute(
          { dst: "2001:db8:9::/48", via: "2001:db8::1", dev: "v0", metric: 5 },
          false,
        );
        await ops!.addRoute({ dst: "10.3.0.0/16", via: "10.4.0.1", dev: "w0", metric: 3 }, false);
      });
      await t.step("list the main table, one table, every table", async () => {
        const main = ipRoutes(await ipJson(a!.name, "-4", "route", "show"), 4);
        assert.deepEqual(sorted(await ops!.routes(4)), sorted(main));
        assert.ok(main.some((route) => route.dst === "0.0.0.0/0" && route.gateway === "10.1.0.1"));
        const table = ipRoutes(
          await ipJson(a!.name, "-4", "route", "show", "table", "1000"),
          4,
          "1000",
        );
        assert.deepEqual(sorted(await ops!.routes(4, 1000)), sorted(table));
        assert.deepEqual(table.map((r) => [r.dst, r.table, r.metric, r.mtu, r.advmss, r.prefsrc]), [
          ["10.7.0.0/16", "1000", 100, 1400, 1360, "10.1.0.5"],
        ]);
        const all = ipRoutes(await ipJson(a!.name, "-4", "route", "show", "table", "all"), 4);
        assert.deepEqual(sorted(await ops!.routes(4, "all")), sorted(all));
        assert.ok(all.some((route) => route.table === "7" && route.dst === "10.6.0.1/32"));
        assert.ok(all.some((route) => route.table === "local"));
        const six = ipRoutes(await ipJson(a!.name, "-6", "route", "show"), 6);
        assert.deepEqual(sorted(await ops!.routes(6)), sorted(six));
        assert.ok(six.some((route) => route.dst === "2001:db8:9::/48" && route.metric === 5));
      });
      await t.step("adding a route that is there is EEXIST; replacing it is not", async () => {
        const route = { dst: "10.9.0.0/16", via: "10.1.0.2", dev: "v0" };
        await assert.rejects(
          ops!.addRoute(route, false),
          rejectsWith(
            "EEXIST",
            /^EEXIST: add route 10.9.0.0\/16 via 10.1.0.2 dev "v0": already exists/,
          ),
        );
        await ops!.addRoute(route, true);
        const main = ipRoutes(await ipJson(a!.name, "-4", "route", "show", "10.9.0.0/16"), 4);
        assert.deepEqual(main.map((r) => r.gateway), ["10.1.0.2"]);
      });
      await t.step("delete only through the device given", async () => {
        const route = { dst: "10.3.0.0/16", via: "10.4.0.1", dev: "v0", metric: 3 };
        assert.equal(await ops!.deleteRoute(route), false);
        assert.equal(await ops!.deleteRoute({ ...route, dev: "w0" }), true);
        assert.equal(await ops!.deleteRoute({ ...route, dev: "w0" }), false);
        assert.equal(await ops!.deleteRoute({ dst: "10.7.0.0/16", dev: "v0", table: 1000 }), true);
        assert.equal(await ops!.deleteRoute({ dst: "2001:db8:9::/48", dev: "v0" }), true);
        const all = ipRoutes(await ipJson(a!.name, "-4", "route", "show", "table", "all"), 4);
        assert.ok(!all.some((r) => r.dst === "10.3.0.0/16" || r.dst === "10.7.0.0/16"));
      });
      await t.step("a missing device is ENODEV", async () => {
        await assert.rejects(
          ops!.addRoute({ dst: "10.10.0.0/16", dev: "nope" }, false),
          rejectsWith("ENODEV", /^ENODEV: add route 10.10.0.0\/16 dev "nope": no such device$/),
        );
      });
    });
  },
});

Deno.test({
  name: "tbf qdiscs are added, listed and deleted as tc reports them",
  ignore: skip !== undefined,
  async fn(t) {
    await withOps(1, async ([ops], [a]) => {
      for (const name of ["v0", "w0", "x0"]) {
        await ops!.createLink({ kind: "veth", name, peerName: `${name.slice(0, 1)}1` });
      }
      await ops!.setLink("v0", { up: true });
      const tc = async (...args: string[]) =>
        await run("ip", "netns", "exec", a!.name, "tc", "-raw", "-j", "qdisc", "show", ...args);
      await t.step("add with a latency, a limit, a peak rate, a 64-bit rate", async () => {
        await ops!.addTbf("v0", { rate: 125_000, burst: 32_768, latencyUs: 400_000 });
        await ops!.addTbf("w0", {
          rate: 125_000,
          burst: 10_000,
          latencyUs: 25_000,
          peakrate: 250_000,
          mtu: 2000,
        });
        await ops!.addTbf("x0", { rate: 5_000_000_000, burst: 1_000_000, limit: 2_000_000 });
      });
      await t.step("list all and of one link", async () => {
        const all = tcQdiscs(await tc(), { w0: 250_000 });
        assert.deepEqual(sorted(await ops!.qdiscs()), sorted(all));
        const v0 = tcQdiscs(await tc("dev", "v0"));
        assert.deepEqual(await ops!.qdiscs("v0"), v0.map((q) => ({ ...q, dev: "v0" })));
        assert.deepEqual((await ops!.qdiscs("v0"))[0]?.tbf, {
          rate: 125_000,
          burst: 32_768,
          limit: 82_768,
        });
        assert.equal((await ops!.qdiscs("x0"))[0]?.tbf?.rate, 5_000_000_000);
      });
      await t.step("a second root tbf is EEXIST", async () => {
        await assert.rejects(
          ops!.addTbf("v0", { rate: 1000, burst: 1000, limit: 1000 }),
          rejectsWith("EEXIST", /^EEXIST: add qdisc tbf on "v0": already exists/),
        );
      });
      await t.step("delete, then the link has none of its own", async () => {
        assert.equal(await ops!.deleteRootQdisc("v0"), true);
        assert.deepEqual((await ops!.qdiscs("v0")).map((q) => q.kind), ["noqueue"]);
        assert.equal(await ops!.deleteRootQdisc("v0"), false);
        assert.equal(await ops!.deleteRootQdisc("x0"), true);
        assert.equal(await ops!.deleteRootQdisc("x0"), false, "a down link with no qdisc");
      });
      await t.step("a missing link is ENODEV", async () => {
        await assert.rejects(ops!.qdiscs("nope"), rejectsWith("ENODEV"));
        await assert.rejects(ops!.deleteRootQdisc("nope"), rejectsWith("ENODEV"));
      });
    });
  },
});

Deno.test({
  name: "sysctls are read and written in the namespace",
  ignore: skip !== undefined,
  async fn() {
    await withOps(1, async ([ops], [a]) => {
      const key = "net.ipv4.conf.all.forwarding";
      const before = await ops!.sysctlGet(key);
      const flipped = before === "1" ? "0" : "1";
      await ops!.sysctlSet(key, flipped);
      const inside = await run("ip", "netns", "exec", a!.name, "sysctl", "-n", key);
      assert.equal(inside.trim(), flipped);
      assert.equal(await ops!.sysctlGet(key), flipped);
      await assert.rejects(ops!.sysctlSet(key, "bogus"), rejectsWith("EINVAL"));
      await assert.rejects(ops!.sysctlGet("net.ipv4.nope"), rejectsWith("ENOENT"));
    });
  },
});

Deno.test({
  name: "a path that is not a namespace fails on first use, not on open",
  ignore: skip !== undefined,
  async fn() {
    using backend = netlinkBackend();
    await withScratch(async (dir) => {
      await run("mkfifo", `${dir}/fifo`);
      const fifo = backend.open(`${dir}/fifo`);
      await assert.rejects(fifo.links(), (error: unknown) => {
        assert.ok(error instanceof CniError && error.code === 4, `${error}`);
        assert.match(error.message, /is not a network namespace: it is a FIFO/);
        return true;
      });
      await assert.rejects(backend.open(`${dir}/gone`).links(), NamespaceMissingError);
      await assert.rejects(
        backend.open(`${dir}/gone`).sysctlGet("net.ipv4.ip_forward"),
        NamespaceMissingError,
      );
    });
  },
});

Deno.test({
  name: "the plugin's own namespace needs no path",
  ignore: skip !== undefined,
  async fn() {
    using backend = netlinkBackend();
    const own = backend.open(undefined);
    const lo = ipLinks(await run("ip", "-j", "-d", "link", "show", "dev", "lo"))[0];
    assert.deepEqual(await own.link("lo"), lo);
    const forward = (await run("cat", "/proc/sys/net/ipv4/ip_forward")).trim();
    assert.equal(await own.sysctlGet("net.ipv4.ip_forward"), forward);
  },
});

Deno.test({
  name: "prepare() opens the namespace and its socket, and a bad path waits for an operation",
  ignore: skip !== undefined,
  async fn() {
    await withNamespaces(1, async (a) => {
      using backend = netlinkBackend();
      const ops = backend.open(a.path) as NamespaceOps & { prepare(): Promise<void> };
      await ops.prepare();
      // The namespace is deleted: only an operation of an open session still reaches it.
      await run("ip", "netns", "del", a.name);
      assert.equal((await ops.link("lo"))?.name, "lo");
    });
    await withScratch(async (dir) => {
      using backend = netlinkBackend();
      const gone = backend.open(`${dir}/gone`) as NamespaceOps & { prepare(): Promise<void> };
      await assert.rejects(gone.prepare(), NamespaceMissingError);
    });
  },
});

/** The addresses of a link but its link-local ones, as ip lists them. */
async function addressesOf(ns: TestNamespace, name: string): Promise<string[]> {
  return ipAddresses(await ipJson(ns.name, "address", "show", "dev", name))
    .map((address) => address.cidr)
    .filter((cidr) => !cidr.startsWith("fe80"))
    .sort();
}

/** A veth pair made with ip, both ends up. */
async function ipVeth(ns: TestNamespace, name: string, peer: string): Promise<void> {
  await ip(ns, "link", "add", name, "type", "veth", "peer", "name", peer);
  await ip(ns, "link", "set", name, "up");
  await ip(ns, "link", "set", peer, "up");
}

Deno.test({
  name: "a link deleted and made again by other means is reached under its name",
  ignore: skip !== undefined,
  async fn(t) {
    // Each row's first call finds the index of "d0"; ip then makes another "d0", under another
    // index; the row's second call must reach the new link.
    const rows: {
      name: string;
      first: (ops: NamespaceOps) => Promise<unknown>;
      setUp?: (ns: TestNamespace) => Promise<void>;
      second: (ops: NamespaceOps) => Promise<unknown>;
      check: (ns: TestNamespace, result: unknown) => Promise<void>;
    }[] = [
      {
        name: "addAddress()",
        first: (ops) => ops.addAddress("d0", "10.9.0.1/32", {}),
        second: (ops) => ops.addAddress("d0", "10.9.0.2/32", {}),
        check: async (ns) => assert.deepEqual(await addressesOf(ns, "d0"), ["10.9.0.2/32"]),
      },
      {
        name: "deleteAddress()",
        first: (ops) => ops.addAddress("d0", "10.9.0.1/32", {}),
        setUp: (ns) => ip(ns, "address", "add", "10.9.0.3/32", "dev", "d0").then(() => {}),
        second: (ops) => ops.deleteAddress("d0", "10.9.0.3/32"),
        check: async (ns, deleted) => {
          assert.equal(deleted, true);
          assert.deepEqual(await addressesOf(ns, "d0"), []);
        },
      },
      {
        name: "addRoute()",
        first: (ops) => ops.addRoute({ dst: "10.8.0.0/16", dev: "d0" }, false),
        second: (ops) => ops.addRoute({ dst: "10.7.0.0/16", dev: "d0" }, false),
        check: async (ns) => {
          const routes = ipRoutes(await ipJson(ns.name, "route", "show"), 4);
          assert.deepEqual(routes.map((route) => `${route.dst} ${route.dev}`), ["10.7.0.0/16 d0"]);
        },
      },
      {
        name: "deleteRoute() of a route the new link has (ESRCH under the old index)",
        first: (ops) => ops.addRoute({ dst: "10.8.0.0/16", dev: "d0" }, false),
        setUp: (ns) => ip(ns, "route", "add", "10.6.0.0/16", "dev", "d0").then(() => {}),
        second: (ops) => ops.deleteRoute({ dst: "10.6.0.0/16", dev: "d0" }),
        check: async (ns, deleted) => {
          assert.equal(deleted, true);
          assert.deepEqual(ipRoutes(await ipJson(ns.name, "route", "show"), 4), []);
        },
      },
      {
        name: "addTbf()",
        first: (ops) => ops.addTbf("d0", { rate: 125_000, burst: 32_768, latencyUs: 400_000 }),
        second: (ops) => ops.addTbf("d0", { rate: 250_000, burst: 32_768, latencyUs: 400_000 }),
        check: async (ns) => {
          const qdiscs = tcQdiscs(
            await run("ip", "netns", "exec", ns.name, "tc", "-raw", "-j", "qdisc", "show"),
          );
          assert.equal(qdiscs.find((q) => q.dev === "d0" && q.kind === "tbf")?.tbf?.rate, 250_000);
        },
      },
      {
        name: "renameLink()",
        first: (ops) => ops.addAddress("d0", "10.9.0.1/32", {}),
        second: (ops) => ops.renameLink("d0", "d9"),
        check: async (ns) => assert.deepEqual(await addressesOf(ns, "d9"), []),
      },
    ];
    for (const row of rows) {
      await t.step(row.name, async () => {
        await withOps(1, async ([ops], [a]) => {
          await ipVeth(a!, "d0", "p0");
          await row.first(ops!);
          const before = (await ipLink(a!, "d0"))?.index;
          await ip(a!, "link", "del", "d0");
          await ipVeth(a!, "d0", "p0");
          assert.notEqual((await ipLink(a!, "d0"))?.index, before);
          await row.setUp?.(a!);
          await row.check(a!, await row.second(ops!));
        });
      });
    }
  },
});

Deno.test({
  name: "a name the backend renames, moves or deletes is looked up again, in every toolkit",
  ignore: skip !== undefined,
  async fn(t) {
    // Each row: "d0" is known, the row's change moves it away through the backend, ip makes a
    // new "d0", and an address added to "d0" must land on the new one.
    const rows: {
      name: string;
      change: (ops: NamespaceOps, other: NamespaceOps, b: TestNamespace) => Promise<unknown>;
    }[] = [
      { name: "renamed", change: (ops) => ops.renameLink("d0", "old0") },
      { name: "renamed by another toolkit", change: (_, other) => other.renameLink("d0", "old0") },
      { name: "moved", change: (ops, _, b) => ops.moveLink("d0", b.path) },
      { name: "moved and renamed", change: (ops, _, b) => ops.moveLink("d0", b.path, "x0") },
      { name: "deleted", change: (ops) => ops.deleteLink("d0") },
    ];
    for (const row of rows) {
      await t.step(row.name, async () => {
        await withNamespaces(2, async (a, b) => {
          using backend = netlinkBackend({ timeoutMs: 5000 });
          const ops = backend.open(a.path);
          const other = backend.open(a.path);
          await ipVeth(a, "d0", "p0");
          await ops.addAddress("d0", "10.9.0.1/32", {});
          await row.change(ops, other, b);
          await ipVeth(a, "d0", "p1");
          await ops.addAddress("d0", "10.9.0.2/32", {});
          assert.deepEqual(await addressesOf(a, "d0"), ["10.9.0.2/32"]);
          const old = ipLinks(await ipJson(a.name, "link", "show")).find((l) => l.name === "old0");
          if (old !== undefined) assert.deepEqual(await addressesOf(a, "old0"), ["10.9.0.1/32"]);
        });
      });
    }
    await t.step("made in another namespace as a veth's peer", async () => {
      await withNamespaces(2, async (a, b) => {
        using backend = netlinkBackend({ timeoutMs: 5000 });
        const inB = backend.open(b.path);
        await ipVeth(b, "e0", "q0");
        await inB.addAddress("e0", "10.9.0.1/32", {});
        // Renamed by other means: not noticed, until the backend makes a new "e0" there.
        await ip(b, "link", "set", "e0", "name", "e9");
        await backend.open(a.path).createLink({
          kind: "veth",
          name: "h0",
          peerName: "e0",
          peerNetns: b.path,
        });
        await inB.addAddress("e0", "10.9.0.2/32", {});
        assert.deepEqual(await addressesOf(b, "e0"), ["10.9.0.2/32"]);
        assert.deepEqual(await addressesOf(b, "e9"), ["10.9.0.1/32"]);
      });
    });
  },
});
