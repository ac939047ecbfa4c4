import assert from "node:assert/strict";
import { iface, ip, result, route } from "../lib/build.ts";
import { CniError } from "../lib/errors.ts";
import type { Interface100, IpConfig100, Route } from "../lib/types.ts";

/** Asserts that `fn` throws a code 999 CniError whose message contains `text`. */
function assertBuildError(fn: () => unknown, text: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof CniError, String(error));
    assert.equal(error.code, 999);
    assert.ok(error.message.includes(text), error.message);
    return true;
  });
}

Deno.test("iface() builds interfaces", async (t) => {
  const rows: { name: string; args: Parameters<typeof iface>; want: Interface100 }[] = [
    { name: "a bare name", args: ["eth0", {}], want: { name: "eth0" } },
    {
      name: "every member",
      args: [
        "eth0",
        {
          mac: "0A:58:0A:16:00:05",
          mtu: 1400,
          sandbox: "/n",
          socketPath: "/s",
          pciID: "0000:00:1f.6",
        },
      ],
      want: {
        name: "eth0",
        mac: "0a:58:0a:16:00:05",
        mtu: 1400,
        sandbox: "/n",
        socketPath: "/s",
        pciID: "0000:00:1f.6",
      },
    },
    {
      name: "empty members left out",
      args: ["eth0", { mac: "", mtu: 0, sandbox: "" }],
      want: { name: "eth0" },
    },
    {
      name: "an InfiniBand MAC",
      args: ["ib0", { mac: "80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:01:23:45" }],
      want: { name: "ib0", mac: "80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:01:23:45" },
    },
  ];
  for (const row of rows) {
    await t.step(`iface() builds ${row.name}`, () => {
      assert.deepEqual(iface(...row.args), row.want);
    });
  }
  const bad = [
    { name: "an empty name", fn: () => iface(""), text: "invalid interface name" },
    { name: "a short MAC", fn: () => iface("e", { mac: "0a:58:0a" }), text: "invalid MAC" },
    { name: "a MAC with dashes", fn: () => iface("e", { mac: "0a-58-0a-16-00-05" }), text: "MAC" },
    { name: "a negative MTU", fn: () => iface("e", { mtu: -1 }), text: "invalid MTU -1" },
    { name: "a fractional MTU", fn: () => iface("e", { mtu: 1.5 }), text: "invalid MTU 1.5" },
  ];
  for (const row of bad) {
    await t.step(`iface() rejects ${row.name}`, () => assertBuildError(row.fn, row.text));
  }
});

Deno.test("ip() builds IP entries", async (t) => {
  const rows: { name: string; args: Parameters<typeof ip>; want: IpConfig100 }[] = [
    {
      name: "an IPv4 address keeping host bits",
      args: ["10.1.0.5/16"],
      want: { address: "10.1.0.5/16" },
    },
    {
      name: "canonical IPv6 with gateway and interface 0",
      args: ["2001:DB8:0:0::5/64", { gateway: "2001:DB8::1", interface: 0 }],
      want: { address: "2001:db8::5/64", gateway: "2001:db8::1", interface: 0 },
    },
    {
      name: "IPv4-mapped IPv6 as IPv4",
      args: ["::ffff:10.3.0.5/120", { gateway: "::ffff:10.3.0.1" }],
      want: { address: "10.3.0.5/24", gateway: "10.3.0.1" },
    },
    {
      name: "an empty gateway left out",
      args: ["10.1.0.5/24", { gateway: "" }],
      want: { address: "10.1.0.5/24" },
    },
  ];
  for (const row of rows) {
    await t.step(`ip() builds ${row.name}`, () => {
      assert.deepEqual(ip(...row.args), row.want);
    });
  }
  const bad = [
    {
      name: "an address without prefix",
      fn: () => ip("10.1.0.5"),
      text: 'invalid address "10.1.0.5"',
    },
    { name: "a prefix over 32", fn: () => ip("10.1.0.5/33"), text: "invalid address" },
    { name: "a leading zero", fn: () => ip("10.01.0.5/24"), text: "invalid address" },
    {
      name: "a gateway that is no IP",
      fn: () => ip("10.1.0.5/24", { gateway: "x" }),
      text: "invalid gateway",
    },
    {
      name: "a gateway of the other family",
      fn: () => ip("10.1.0.5/24", { gateway: "fd00::1" }),
      text: "same IP family as 10.1.0.5/24",
    },
    {
      name: "a negative interface",
      fn: () => ip("10.1.0.5/24", { interface: -1 }),
      text: "interface index",
    },
  ];
  for (const row of bad) {
    await t.step(`ip() rejects ${row.name}`, () => assertBuildError(row.fn, row.text));
  }
});

Deno.test("route() builds routes", async (t) => {
  const rows: { name: string; args: Parameters<typeof route>; want: Route }[] = [
    { name: "a bare destination", args: ["0.0.0.0/0"], want: { dst: "0.0.0.0/0" } },
    {
      name: "every attribute, keeping table and scope 0",
      args: ["10.9.0.0/16", {
        gw: "10.22.0.1",
        mtu: 1400,
        advmss: 1360,
        priority: 5,
        table: 0,
        scope: 0,
      }],
      want: {
        dst: "10.9.0.0/16",
        gw: "10.22.0.1",
        mtu: 1400,
        advmss: 1360,
        priority: 5,
        table: 0,
        scope: 0,
      },
    },
    {
      name: "zero mtu, advmss and priority left out",
      args: ["fd00::/8", { mtu: 0, advmss: 0, priority: 0 }],
      want: { dst: "fd00::/8" },
    },
  ];
  for (const row of rows) {
    await t.step(`route() builds ${row.name}`, () => {
      assert.deepEqual(route(...row.args), row.want);
    });
  }
  const bad = [
    {
      name: "a destination without prefix",
      fn: () => route("10.9.0.0"),
      text: "route destination",
    },
    {
      name: "a gateway of the other family",
      fn: () => route("10.9.0.0/16", { gw: "fe80::1" }),
      text: "family",
    },
    {
      name: "a negative table",
      fn: () => route("10.9.0.0/16", { table: -1 }),
      text: "route table",
    },
  ];
  for (const row of bad) {
    await t.step(`route() rejects ${row.name}`, () => assertBuildError(row.fn, row.text));
  }
});

Deno.test("result() builds whole results", async (t) => {
  await t.step("result() with nothing is an empty 1.1.0 result", () => {
    assert.deepEqual(result(), { cniVersion: "1.1.0" });
  });
  await t.step("result() checks and normalises every member", () => {
    assert.deepEqual(
      result({
        interfaces: [{ name: "eth0", mac: "AA:BB:CC:DD:EE:FF" }],
        ips: [{ address: "2001:DB8::5/64", interface: 0 }],
        routes: [{ dst: "::/0", gw: "2001:DB8::1" }],
        dns: { nameservers: ["2001:DB8::53"], domain: "example.org", search: [], options: [] },
      }),
      {
        cniVersion: "1.1.0",
        interfaces: [{ name: "eth0", mac: "aa:bb:cc:dd:ee:ff" }],
        ips: [{ address: "2001:db8::5/64", interface: 0 }],
        routes: [{ dst: "::/0", gw: "2001:db8::1" }],
        dns: { nameservers: ["2001:db8::53"], domain: "example.org" },
      },
    );
  });
  await t.step("result() leaves out empty lists and an empty dns", () => {
    assert.deepEqual(result({ interfaces: [], ips: [], routes: [], dns: {} }), {
      cniVersion: "1.1.0",
    });
  });
  await t.step("result() rejects an interface index past the interfaces", () => {
    assertBuildError(
      () => result({ interfaces: [iface("eth0")], ips: [ip("10.1.0.5/24", { interface: 1 })] }),
      "must name one of the result's 1 interfaces",
    );
  });
  await t.step("result() rejects a nameserver that is no IP", () => {
    assertBuildError(() => result({ dns: { nameservers: ["dns.example"] } }), "invalid nameserver");
  });
  await t.step("result() rejects a bad entry passed without a builder", () => {
    assertBuildError(
      () => result({ routes: [{ dst: "nope" }] }),
      'invalid route destination "nope"',
    );
  });
});
