/**
 * lib/result_builders.ts: result(), iface(), ip() and route() check what they are given, write
 * addresses in canonical form and leave out empty members (spec "Section 5: Result Types"). A bad
 * value is a bug in the plugin: code 999.
 */
import assert from "node:assert/strict";
import { CniError } from "../lib/errors.ts";
import { iface, ip, result, route } from "../lib/result_builders.ts";
import type { Result100 } from "../lib/types.ts";
import { decodeResult } from "../lib/result.ts";

/** Asserts that `fn` throws a code 999 CniError with `message` (a string, or a pattern). */
function throws999(fn: () => unknown, message: string | RegExp) {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof CniError, String(error));
    assert.equal(error.code, 999);
    if (typeof message === "string") assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

const MAC = "0a:58:0a:16:00:05";

Deno.test("iface() builds an interface", async (t) => {
  const rows: { name: string; got: () => unknown; want: unknown }[] = [
    { name: "a bare interface", got: () => iface("eth0"), want: { name: "eth0" } },
    {
      name: "a MAC in lower case",
      got: () => iface("eth0", { mac: "0A:58:0A:16:00:05" }),
      want: { name: "eth0", mac: MAC },
    },
    {
      name: "an 8-octet MAC",
      got: () => iface("ib0", { mac: "00:11:22:33:44:55:66:77" }),
      want: { name: "ib0", mac: "00:11:22:33:44:55:66:77" },
    },
    {
      name: "a 20-octet InfiniBand MAC",
      got: () => iface("ib0", { mac: Array(20).fill("AB").join(":") }),
      want: { name: "ib0", mac: Array(20).fill("ab").join(":") },
    },
    {
      name: "every member",
      got: () =>
        iface("eth0", {
          mac: MAC,
          mtu: 1400,
          sandbox: "/var/run/netns/c1",
          socketPath: "/run/vhost.sock",
          pciID: "0000:00:01.0",
        }),
      want: {
        name: "eth0",
        mac: MAC,
        mtu: 1400,
        sandbox: "/var/run/netns/c1",
        socketPath: "/run/vhost.sock",
        pciID: "0000:00:01.0",
      },
    },
    {
      name: "no empty members",
      got: () => iface("eth0", { mac: "", mtu: 0, sandbox: "", socketPath: "", pciID: "" }),
      want: { name: "eth0" },
    },
  ];
  for (const row of rows) {
    await t.step(`iface() builds ${row.name}`, () => assert.deepEqual(row.got(), row.want));
  }
  const refused: { name: string; fn: () => unknown; message: string | RegExp }[] = [
    { name: "an empty name", fn: () => iface(""), message: /^invalid interface name "": / },
    {
      name: "a MAC of three octets",
      fn: () => iface("e", { mac: "0a:58:0a" }),
      message: 'invalid MAC address "0a:58:0a": must be hex octets such as "0a:58:0a:16:00:05"',
    },
    {
      name: "a MAC with dashes",
      fn: () => iface("e", { mac: "0a-58-0a-16-00-05" }),
      message: /^invalid MAC address "0a-58-0a-16-00-05": /,
    },
    {
      name: "a MAC of 7 octets",
      fn: () => iface("e", { mac: "00:11:22:33:44:55:66" }),
      message: /^invalid MAC address /,
    },
    {
      name: "a negative MTU",
      fn: () => iface("e", { mtu: -1 }),
      message: "invalid MTU -1: must be an integer of at least 1",
    },
    {
      name: "a fractional MTU",
      fn: () => iface("e", { mtu: 1500.5 }),
      message: "invalid MTU 1500.5: must be an integer of at least 1",
    },
  ];
  for (const row of refused) {
    await t.step(`iface() refuses ${row.name}`, () => throws999(row.fn, row.message));
  }
});

Deno.test("ip() builds an IP", async (t) => {
  const rows: { name: string; got: () => unknown; want: unknown }[] = [
    {
      name: "an address keeping its host bits",
      got: () => ip("10.1.0.5/24"),
      want: { address: "10.1.0.5/24" },
    },
    {
      name: "IPv6 in canonical form",
      got: () => ip("2001:DB8:0:0::5/64", { gateway: "2001:DB8::1" }),
      want: { address: "2001:db8::5/64", gateway: "2001:db8::1" },
    },
    {
      name: "an IPv4-mapped address as IPv4",
      got: () => ip("::ffff:10.1.0.5/120", { gateway: "::ffff:10.1.0.1" }),
      want: { address: "10.1.0.5/24", gateway: "10.1.0.1" },
    },
    {
      name: "interface index 0",
      got: () => ip("10.1.0.5/24", { interface: 0 }),
      want: { address: "10.1.0.5/24", interface: 0 },
    },
    {
      name: "no empty gateway",
      got: () => ip("10.1.0.5/24", { gateway: "" }),
      want: { address: "10.1.0.5/24" },
    },
  ];
  for (const row of rows) {
    await t.step(`ip() builds ${row.name}`, () => assert.deepEqual(row.got(), row.want));
  }
  const refused: { name: string; fn: () => unknown; message: string }[] = [
    {
      name: "an address without prefix",
      fn: () => ip("10.1.0.5"),
      message:
        'invalid address "10.1.0.5": must be an address with a prefix length, such as "10.1.0.5/24"',
    },
    {
      name: "a prefix too long",
      fn: () => ip("10.1.0.5/33"),
      message:
        'invalid address "10.1.0.5/33": must be an address with a prefix length, such as "10.1.0.5/24"',
    },
    {
      name: "a gateway with a prefix",
      fn: () => ip("10.1.0.5/24", { gateway: "10.1.0.1/24" }),
      message: 'invalid gateway "10.1.0.1/24": must be an IP address, such as "10.1.0.1"',
    },
    {
      name: "a gateway of the other family",
      fn: () => ip("10.1.0.5/24", { gateway: "fe80::1" }),
      message: 'invalid gateway "fe80::1": must be of the same IP family as 10.1.0.5/24',
    },
    {
      name: "a negative interface index",
      fn: () => ip("10.1.0.5/24", { interface: -1 }),
      message: "invalid interface index -1: must be an integer of at least 0",
    },
    {
      name: "a fractional interface index",
      fn: () => ip("10.1.0.5/24", { interface: 0.5 }),
      message: "invalid interface index 0.5: must be an integer of at least 0",
    },
  ];
  for (const row of refused) {
    await t.step(`ip() refuses ${row.name}`, () => throws999(row.fn, row.message));
  }
});

Deno.test("route() builds a route", async (t) => {
  const rows: { name: string; got: () => unknown; want: unknown }[] = [
    { name: "a default route", got: () => route("0.0.0.0/0"), want: { dst: "0.0.0.0/0" } },
    {
      name: "a route with a gateway, canonical",
      got: () => route("2001:DB8::/32", { gw: "2001:DB8::1" }),
      want: { dst: "2001:db8::/32", gw: "2001:db8::1" },
    },
    {
      name: "a destination keeping its host bits",
      got: () => route("10.9.0.1/16"),
      want: { dst: "10.9.0.1/16" },
    },
    {
      name: "spec 1.1.0 attributes",
      got: () =>
        route("10.9.0.0/16", { mtu: 1400, advmss: 1360, priority: 5, table: 100, scope: 253 }),
      want: { dst: "10.9.0.0/16", mtu: 1400, advmss: 1360, priority: 5, table: 100, scope: 253 },
    },
    {
      name: "no zero mtu, advmss or priority, but table and scope 0",
      got: () => route("10.9.0.0/16", { mtu: 0, advmss: 0, priority: 0, table: 0, scope: 0 }),
      want: { dst: "10.9.0.0/16", table: 0, scope: 0 },
    },
    {
      name: "no empty gateway",
      got: () => route("10.9.0.0/16", { gw: "" }),
      want: { dst: "10.9.0.0/16" },
    },
  ];
  for (const row of rows) {
    await t.step(`route() builds ${row.name}`, () => assert.deepEqual(row.got(), row.want));
  }
  const refused: { name: string; fn: () => unknown; message: string }[] = [
    {
      name: "a destination without prefix",
      fn: () => route("10.9.0.0"),
      message: 'invalid route destination "10.9.0.0": must be an address with a prefix length, ' +
        'such as "10.1.0.5/24"',
    },
    {
      name: "a gateway of the other family",
      fn: () => route("10.9.0.0/16", { gw: "fe80::1" }),
      message: 'invalid route gateway "fe80::1": must be of the same IP family as 10.9.0.0/16',
    },
    {
      name: "a negative priority",
      fn: () => route("10.9.0.0/16", { priority: -1 }),
      message: "invalid route priority -1: must be an integer of at least 0",
    },
    {
      name: "a fractional table",
      fn: () => route("10.9.0.0/16", { table: 1.5 }),
      message: "invalid route table 1.5: must be an integer of at least 0",
    },
    {
      name: "a negative scope",
      fn: () => route("10.9.0.0/16", { scope: -2 }),
      message: "invalid route scope -2: must be an integer of at least 0",
    },
  ];
  for (const row of refused) {
    await t.step(`route() refuses ${row.name}`, () => throws999(row.fn, row.message));
  }
});

Deno.test("result() builds a 1.1.0 result", async (t) => {
  await t.step("result() with nothing is an empty 1.1.0 result", () => {
    assert.deepEqual(result(), { cniVersion: "1.1.0" });
    assert.deepEqual(result({ interfaces: [], ips: [], routes: [], dns: {} }), {
      cniVersion: "1.1.0",
    });
  });
  await t.step("result() keeps what it is given, checked and canonical", () => {
    const built = result({
      interfaces: [iface("eth0", { sandbox: "/var/run/netns/c1" })],
      ips: [ip("10.22.0.5/16", { gateway: "10.22.0.1", interface: 0 })],
      routes: [route("0.0.0.0/0", { gw: "10.22.0.1" })],
      dns: {
        nameservers: ["2001:DB8::53", "10.0.0.53"],
        domain: "example.org",
        search: ["a.example.org"],
        options: ["ndots:5"],
      },
    });
    assert.deepEqual(built, {
      cniVersion: "1.1.0",
      interfaces: [{ name: "eth0", sandbox: "/var/run/netns/c1" }],
      ips: [{ address: "10.22.0.5/16", gateway: "10.22.0.1", interface: 0 }],
      routes: [{ dst: "0.0.0.0/0", gw: "10.22.0.1" }],
      dns: {
        nameservers: ["2001:db8::53", "10.0.0.53"],
        domain: "example.org",
        search: ["a.example.org"],
        options: ["ndots:5"],
      },
    });
    assert.deepEqual(decodeResult("1.1.0", JSON.parse(JSON.stringify(built))), built);
  });
  await t.step("result() checks and rewrites entries given as plain objects", () => {
    const previous: Result100 = {
      cniVersion: "1.0.0",
      interfaces: [{ name: "eth0", mac: "0A:58:0A:16:00:05" }],
      ips: [{ address: "2001:DB8::5/64", interface: 0 }],
      routes: [{ dst: "::/0", gw: "2001:DB8::1" }],
    };
    assert.deepEqual(result(previous), {
      cniVersion: "1.1.0",
      interfaces: [{ name: "eth0", mac: MAC }],
      ips: [{ address: "2001:db8::5/64", interface: 0 }],
      routes: [{ dst: "::/0", gw: "2001:db8::1" }],
    });
  });
  await t.step("result() leaves out an empty dns", () => {
    assert.deepEqual(result({ dns: { nameservers: [], domain: "", search: [], options: [] } }), {
      cniVersion: "1.1.0",
    });
  });
  const refused: { name: string; fn: () => unknown; message: string }[] = [
    {
      name: "an interface index with no interface",
      fn: () => result({ ips: [ip("10.1.0.5/24", { interface: 0 })] }),
      message: "invalid interface index 0: must name one of the result's 0 interfaces",
    },
    {
      name: "an interface index past the end",
      fn: () => result({ interfaces: [iface("eth0")], ips: [ip("10.1.0.5/24", { interface: 1 })] }),
      message: "invalid interface index 1: must name one of the result's 1 interfaces",
    },
    {
      name: "a plain IP without prefix",
      fn: () => result({ ips: [{ address: "10.1.0.5" }] }),
      message:
        'invalid address "10.1.0.5": must be an address with a prefix length, such as "10.1.0.5/24"',
    },
    {
      name: "a plain route with a bad gateway",
      fn: () => result({ routes: [{ dst: "10.9.0.0/16", gw: "x" }] }),
      message: 'invalid route gateway "x": must be an IP address, such as "10.1.0.1"',
    },
    {
      name: "a nameserver that is a name",
      fn: () => result({ dns: { nameservers: ["ns1.example.org"] } }),
      message: 'invalid nameserver "ns1.example.org": must be an IP address',
    },
    {
      name: "an empty search domain",
      fn: () => result({ dns: { search: [""] } }),
      message: 'invalid DNS search domain "": must be a non-empty string',
    },
  ];
  for (const row of refused) {
    await t.step(`result() refuses ${row.name}`, () => throws999(row.fn, row.message));
  }
});
