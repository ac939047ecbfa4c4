/**
 * host-local's configuration. The expected messages are the Go host-local 1.1.1's for the same
 * configuration (its code is 999 where these are 7 and 4: see docs/differences-from-go.md).
 */
import assert from "node:assert/strict";
import { formatIp } from "../../lib/ip_math.ts";
import { cniArgsIp, decodeIpamConfig, resolveIpamConfig } from "../../lib/ipam/config.ts";
import { formatRangeSet } from "../../lib/ipam/range.ts";
import type { JsonObject } from "../../lib/mod.ts";

const IPAM = { type: "host-local", dataDir: "/tmp/x", subnet: "10.0.0.0/24" };

function load(document: JsonObject, argsIp?: string) {
  const cniVersion = typeof document.cniVersion === "string" ? document.cniVersion : "0.1.0";
  return resolveIpamConfig(decodeIpamConfig(document), { cniVersion, argsIp });
}

function net(extra: JsonObject): JsonObject {
  return { cniVersion: "1.0.0", name: "n5", type: "bridge", ...extra };
}

Deno.test("decodeIpamConfig() and resolveIpamConfig() word errors as the reference", async (t) => {
  const rows: [string, JsonObject, string, number?][] = [
    ["a missing ipam section", net({}), "IPAM config missing 'ipam' key"],
    ["a null ipam section", net({ ipam: null }), "IPAM config missing 'ipam' key"],
    ["an ipam section with no range", net({ ipam: {} }), "no IP ranges specified"],
    ["an empty list of range sets", net({ ipam: { ranges: [] } }), "no IP ranges specified"],
    [
      "a subnet of the wrong type",
      net({ ipam: { ...IPAM, subnet: 5 } }),
      "json: cannot unmarshal number into Go struct field IPAMConfig.ipam.subnet of type string",
    ],
    [
      "a subnet that is no CIDR",
      net({ ipam: { ...IPAM, subnet: "10.0.0.0" } }),
      "invalid CIDR address: 10.0.0.0",
    ],
    ["a null subnet", net({ ipam: { ...IPAM, subnet: null } }), "invalid CIDR address: "],
    ["an empty subnet", net({ ipam: { ...IPAM, subnet: "" } }), "invalid CIDR address: "],
    [
      "a leading zero in the subnet",
      net({ ipam: { ...IPAM, subnet: "10.08.0.0/24" } }),
      "invalid CIDR address: 10.08.0.0/24",
    ],
    [
      "a dataDir of the wrong type",
      net({ ipam: { ...IPAM, dataDir: 5 } }),
      "json: cannot unmarshal number into Go struct field IPAMConfig.ipam.dataDir of type string",
    ],
    [
      "a resolvConf of the wrong type",
      net({ ipam: { ...IPAM, resolvConf: 5 } }),
      "json: cannot unmarshal number into Go struct field IPAMConfig.ipam.resolvConf of type string",
    ],
    [
      "a type of the wrong type",
      net({ ipam: { ...IPAM, type: 5 } }),
      "json: cannot unmarshal number into Go struct field IPAMConfig.ipam.type of type string",
    ],
    [
      "a name inside ipam of the wrong type",
      net({ ipam: { ...IPAM, name: 5 } }),
      "json: cannot unmarshal number into Go struct field IPAMConfig.ipam.Name of type string",
    ],
    [
      "a gateway of the wrong type",
      net({ ipam: { ...IPAM, gateway: 5 } }),
      "json: cannot unmarshal number into Go struct field IPAMConfig.ipam.gateway of type net.IP",
    ],
    [
      "a rangeEnd of the wrong type",
      net({ ipam: { ...IPAM, rangeEnd: true } }),
      "json: cannot unmarshal bool into Go struct field IPAMConfig.ipam.rangeEnd of type net.IP",
    ],
    [
      "a rangeStart that is no address",
      net({ ipam: { ...IPAM, rangeStart: "nope" } }),
      "invalid IP address: nope",
    ],
    [
      "a leading zero in rangeStart",
      net({ ipam: { ...IPAM, rangeStart: "10.0.0.009" } }),
      "invalid IP address: 10.0.0.009",
    ],
    [
      "ranges of the wrong type",
      net({ ipam: { ...IPAM, ranges: 5 } }),
      "json: cannot unmarshal number into Go struct field IPAMConfig.ipam.ranges of type []allocator.RangeSet",
    ],
    [
      "a range set of the wrong type",
      net({ ipam: { ...IPAM, ranges: [5] } }),
      "json: cannot unmarshal number into Go struct field IPAMConfig.ipam.ranges of type allocator.RangeSet",
    ],
    [
      "a range of the wrong type",
      net({ ipam: { ...IPAM, ranges: [[5]] } }),
      "json: cannot unmarshal number into Go struct field IPAMConfig.ipam.ranges of type allocator.Range",
    ],
    [
      "a range's subnet of the wrong type",
      net({ ipam: { ...IPAM, ranges: [[{ subnet: 5 }]] } }),
      "json: cannot unmarshal number into Go struct field Range.ipam.ranges.subnet of type string",
    ],
    [
      "a range's gateway of the wrong type",
      net({ ipam: { ...IPAM, ranges: [[{ gateway: 5 }]] } }),
      "json: cannot unmarshal number into Go struct field Range.ipam.ranges.gateway of type net.IP",
    ],
    [
      "a range's gateway that is no address",
      net({ ipam: { ...IPAM, ranges: [[{ gateway: "x" }]] } }),
      "invalid IP address: x",
    ],
    [
      "a range without subnet",
      net({ ipam: { ...IPAM, ranges: [[{}]] } }),
      "invalid range set 1: IP <nil> not v4 nor v6",
    ],
    [
      "a null range",
      net({ ipam: { ...IPAM, ranges: [[null]] } }),
      "invalid range set 1: IP <nil> not v4 nor v6",
    ],
    [
      "a null range set",
      net({ ipam: { ...IPAM, ranges: [null] } }),
      "invalid range set 1: empty range set",
    ],
    [
      "a range's null subnet",
      net({ ipam: { ...IPAM, ranges: [[{ subnet: null }]] } }),
      "invalid CIDR address: ",
    ],
    [
      "routes of the wrong type",
      net({ ipam: { ...IPAM, routes: 5 } }),
      "json: cannot unmarshal number into Go struct field IPAMConfig.ipam.routes of type []*types.Route",
    ],
    [
      "a route of the wrong type",
      net({ ipam: { ...IPAM, routes: [5] } }),
      "json: cannot unmarshal number into Go struct field IPAMConfig.ipam.routes of type types.route",
    ],
    [
      "a route's gw of the wrong type",
      net({ ipam: { ...IPAM, routes: [{ gw: 5 }] } }),
      "json: cannot unmarshal number into Go struct field IPAMConfig.ipam.routes of type net.IP",
    ],
    [
      "a route's dst of the wrong type",
      net({ ipam: { ...IPAM, routes: [{ dst: 5 }] } }),
      "json: cannot unmarshal number into Go struct field IPAMConfig.ipam.routes of type string",
    ],
    [
      "a route's dst that is no CIDR",
      net({ ipam: { ...IPAM, routes: [{ dst: "x" }] } }),
      "invalid CIDR address: x",
    ],
    [
      "a route's gw that is no address",
      net({ ipam: { ...IPAM, routes: [{ dst: "0.0.0.0/0", gw: "x" }] } }),
      "invalid IP address: x",
    ],
    [
      "runtimeConfig.ips of the wrong type",
      net({ ipam: IPAM, runtimeConfig: { ips: 5 } }),
      "json: cannot unmarshal number into Go struct field .runtimeConfig.ips of type []*ip.IP",
    ],
    [
      "a runtimeConfig.ips entry of the wrong type",
      net({ ipam: IPAM, runtimeConfig: { ips: [5] } }),
      "json: cannot unmarshal number into Go struct field .runtimeConfig.ips of type *ip.IP",
    ],
    [
      "a runtimeConfig.ips entry that is no address",
      net({ ipam: IPAM, runtimeConfig: { ips: ["x"] } }),
      "invalid IP address x",
    ],
    [
      "an empty runtimeConfig.ips entry",
      net({ ipam: IPAM, runtimeConfig: { ips: [""] } }),
      "cannot understand ip: IP <nil> not v4 nor v6",
    ],
    [
      "ipRanges of the wrong type",
      net({ ipam: IPAM, runtimeConfig: { ipRanges: 5 } }),
      "json: cannot unmarshal number into Go struct field .runtimeConfig.ipRanges of type []allocator.RangeSet",
    ],
    [
      "an ipRanges subnet of the wrong type",
      net({ ipam: IPAM, runtimeConfig: { ipRanges: [[{ subnet: 5 }]] } }),
      "json: cannot unmarshal number into Go struct field Range.runtimeConfig.ipRanges.subnet of type string",
    ],
    [
      "args of the wrong type",
      net({ ipam: IPAM, args: 5 }),
      'json: cannot unmarshal number into Go struct field Net.args of type struct { A *allocator.IPAMArgs "json:\\"cni\\"" }',
    ],
    [
      "args.cni of the wrong type",
      net({ ipam: IPAM, args: { cni: 5 } }),
      "json: cannot unmarshal number into Go struct field .args.cni of type allocator.IPAMArgs",
    ],
    [
      "args.cni.ips of the wrong type",
      net({ ipam: IPAM, args: { cni: { ips: 5 } } }),
      "json: cannot unmarshal number into Go struct field IPAMArgs.args.cni.ips of type []*ip.IP",
    ],
    [
      "an args.cni.ips entry of the wrong type",
      net({ ipam: IPAM, args: { cni: { ips: [5] } } }),
      "json: cannot unmarshal number into Go struct field IPAMArgs.args.cni.ips of type *ip.IP",
    ],
    [
      "an args.cni.ips entry that is no address",
      net({ ipam: IPAM, args: { cni: { ips: ["x"] } } }),
      "invalid IP address x",
    ],
    [
      "a /31",
      net({ ipam: { ...IPAM, subnet: "10.0.0.0/31" } }),
      "invalid range set 0: Network 10.0.0.0/31 too small to allocate from",
    ],
    [
      "host bits",
      net({ ipam: { ...IPAM, subnet: "10.0.0.1/24" } }),
      "invalid range set 0: Network has host bits set. For a subnet mask of length 24 the network address is 10.0.0.0",
    ],
    [
      "an IPv4-mapped subnet",
      net({ ipam: { ...IPAM, subnet: "::ffff:10.0.0.0/120" } }),
      "invalid range set 0: IPNet IP and Mask version mismatch",
    ],
    [
      "a subnet that overlaps a range set",
      net({ ipam: { ...IPAM, ranges: [[{ subnet: "10.0.0.0/24" }]] } }),
      "range set 0 overlaps with 1",
    ],
    [
      "overlapping ranges of one set",
      net({ ipam: { ranges: [[{ subnet: "10.3.0.0/24" }, { subnet: "10.3.0.128/25" }]] } }),
      "invalid range set 0: subnets 10.3.0.1-10.3.0.254 and 10.3.0.129-10.3.0.254 overlap",
    ],
    ["two IPv4 sets at 0.2.0", {
      ...net({ ipam: { ranges: [[{ subnet: "10.3.0.0/24" }], [{ subnet: "10.4.0.0/24" }]] } }),
      cniVersion: "0.2.0",
    }, "CNI version 0.2.0 does not support more than 1 address per family"],
    // Errors decoding stops at come first; of the others, the first in the document.
    [
      "a bad gateway before a subnet of the wrong type",
      net({ ipam: { gateway: "x", subnet: 5 } }),
      "invalid IP address: x",
    ],
    [
      "a subnet of the wrong type before a bad gateway",
      net({ ipam: { subnet: 5, gateway: "x" } }),
      "json: cannot unmarshal number into Go struct field IPAMConfig.ipam.subnet of type string",
    ],
    [
      "a bad subnet after a dataDir of the wrong type",
      net({ ipam: { dataDir: 5, subnet: "x" } }),
      "invalid CIDR address: x",
    ],
    [
      "a route's dst of the wrong type before a bad subnet",
      net({ ipam: { routes: [{ dst: 5 }], subnet: "x" } }),
      "json: cannot unmarshal number into Go struct field IPAMConfig.ipam.routes of type string",
    ],
  ];
  for (const [name, document, message] of rows) {
    await t.step(`refuses ${name}`, () => {
      assert.throws(() => load(document), { code: 7, message });
    });
  }
});

Deno.test("resolveIpamConfig() builds the range sets and the requested addresses", async (t) => {
  await t.step("keys match case-insensitively, the last one wins", () => {
    const settings = load(net({
      IPAM: { subnet: "10.0.0.0/24", DataDir: "/tmp/d", SUBNET: "10.0.1.0/24" },
    }));
    assert.deepEqual(settings.rangeSets.map(formatRangeSet), ["10.0.1.1-10.0.1.254"]);
    assert.equal(settings.dataDir, "/tmp/d");
  });
  await t.step("null leaves an address unset", () => {
    const settings = load(net({ ipam: { ...IPAM, gateway: null, rangeStart: null } }));
    assert.equal(formatIp(settings.rangeSets[0]![0]!.gateway), "10.0.0.1");
  });
  await t.step("capability ranges come first, then subnet, then ranges", () => {
    const settings = load(net({
      runtimeConfig: { ipRanges: [[{ subnet: "10.99.0.0/24" }]] },
      ipam: { ranges: [[{ subnet: "fd01::/64" }]], subnet: "10.1.0.0/24" },
    }));
    assert.deepEqual(settings.rangeSets.map(formatRangeSet), [
      "10.99.0.1-10.99.0.254",
      "10.1.0.1-10.1.0.254",
      "fd01::1-fd01::ffff:ffff:ffff:ffff",
    ]);
  });
  await t.step("a range without subnet at the top level is ignored", () => {
    const settings = load(
      net({ ipam: { rangeStart: "10.0.0.5", ranges: [[{ subnet: "10.1.0.0/24" }]] } }),
    );
    assert.deepEqual(settings.rangeSets.map(formatRangeSet), ["10.1.0.1-10.1.0.254"]);
  });
  await t.step("requested addresses: CNI_ARGS, then args.cni.ips, then ips, canonical", () => {
    const settings = load(
      net({
        ipam: IPAM,
        args: { cni: { ips: ["10.0.0.7/24", "::ffff:10.0.0.8"] } },
        runtimeConfig: { ips: ["FD00::9"] },
      }),
      "10.0.0.6",
    );
    assert.deepEqual(settings.requestedIps.map(formatIp), [
      "10.0.0.6",
      "10.0.0.7",
      "10.0.0.8",
      "fd00::9",
    ]);
  });
  await t.step("routes keep host bits and pass the 1.1.0 attributes", () => {
    const settings = load(net({
      ipam: {
        ...IPAM,
        routes: [{ dst: "10.9.0.1/8", gw: "10.0.0.9", mtu: 1400, table: 0 }, { dst: "FD00::/8" }],
      },
    }));
    assert.deepEqual(settings.routes, [
      { dst: "10.9.0.1/8", gw: "10.0.0.9", mtu: 1400, table: 0 },
      { dst: "fd00::/8" },
    ]);
  });
  const routeRows: [string, unknown[], string][] = [
    ["a null route (the reference prints null)", [null], "invalid route 0: it is null"],
    [
      'a route without dst (the reference prints "<nil>")',
      [{ gw: "1.2.3.4" }],
      'invalid route 0: it has no "dst"',
    ],
    [
      "a route mtu that is no integer",
      [{ dst: "0.0.0.0/0", mtu: 1.5 }],
      "json: cannot unmarshal number 1.5 into Go struct field IPAMConfig.ipam.routes of type int",
    ],
  ];
  for (const [name, routes, message] of routeRows) {
    await t.step(`refuses ${name}`, () => {
      assert.throws(() => load(net({ ipam: { ...IPAM, routes } })), { code: 7, message });
    });
  }
  await t.step("refuses a null requested address (the reference crashes)", () => {
    assert.throws(() => load(net({ ipam: IPAM, runtimeConfig: { ips: [null] } })), {
      code: 7,
      message: "cannot understand ip: a requested address is null",
    });
  });
  await t.step("one address per family before 0.3.0", () => {
    const settings = load({
      ...net({ ipam: { ranges: [[{ subnet: "10.3.0.0/24" }], [{ subnet: "fd04::/64" }]] } }),
      cniVersion: "0.2.0",
    });
    assert.equal(settings.rangeSets.length, 2);
  });
  await t.step("reads CNI_ARGS IP only once the ipam section is there", () => {
    let read = false;
    assert.throws(
      () =>
        resolveIpamConfig(decodeIpamConfig(net({})), {
          cniVersion: "1.0.0",
          argsIp: () => {
            read = true;
            return "x";
          },
        }),
      { message: "IPAM config missing 'ipam' key" },
    );
    assert.equal(read, false);
  });
});

Deno.test("cniArgsIp()", async (t) => {
  const rows: [string, string | undefined, string | undefined][] = [
    ["nothing for no value", undefined, undefined],
    ["nothing for an empty value", "", undefined],
    ["an address", "10.1.0.5", "10.1.0.5"],
    ["the address of a CIDR", "10.1.0.90/8", "10.1.0.90"],
    ["an IPv4-mapped address as IPv4", "::ffff:10.1.0.70", "10.1.0.70"],
  ];
  for (const [name, value, expected] of rows) {
    await t.step(`cniArgsIp() reads ${name}`, () => {
      const ip = cniArgsIp(value);
      assert.equal(ip && formatIp(ip), expected);
    });
  }
  await t.step("cniArgsIp() refuses what is no address, as the reference words it", () => {
    assert.throws(() => cniArgsIp("nope"), {
      code: 4,
      message: 'ARGS: error parsing value of pair "IP=nope": invalid IP address nope',
    });
  });
});
