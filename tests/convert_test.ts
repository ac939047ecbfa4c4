import assert from "node:assert/strict";
import { convertResult } from "../lib/convert.ts";
import { formatResult } from "../lib/print.ts";
import { decodeResult } from "../lib/result.ts";
import type { AnyResult, Result040, Result100 } from "../lib/types.ts";
import { ALL_VERSIONS } from "../lib/version.ts";

interface ConvertFixture {
  /** A rich result in the family's wire shape; its cniVersion is replaced by each source version. */
  input: Record<string, unknown>;
  /** The result converted to each target version, as data. */
  expected: Record<string, unknown>;
}

async function fixture(family: string): Promise<ConvertFixture> {
  const url = new URL(`./testdata/convert/from_${family}.json`, import.meta.url);
  return JSON.parse(await Deno.readTextFile(url));
}

const FIXTURES: Record<string, ConvertFixture> = {
  "020": await fixture("020"),
  "040": await fixture("040"),
  "100": await fixture("100"),
};

function familyOfSource(version: string): string {
  return version < "0.3.0" ? "020" : version < "1.0.0" ? "040" : "100";
}

Deno.test("convertResult() converts every ordered pair of versions", async (t) => {
  for (const from of ALL_VERSIONS) {
    const { input, expected } = FIXTURES[familyOfSource(from)]!;
    for (const to of ALL_VERSIONS) {
      await t.step(`convertResult() converts a rich ${from} result to ${to}`, () => {
        const source = decodeResult(from, { ...input, cniVersion: from });
        const before = structuredClone(source);
        const converted = convertResult(source, to);
        assert.deepEqual(converted, expected[to]);
        assert.deepEqual(JSON.parse(formatResult(converted)), expected[to]);
        assert.deepEqual(source, before, "the source result must not change");
      });
    }
  }
});

Deno.test("convertResult() returns copies", async (t) => {
  for (const to of ["1.1.0", "1.0.0", "0.4.0"]) {
    await t.step(`convertResult() to ${to} shares nothing with its input`, () => {
      const source = decodeResult("1.1.0", FIXTURES["100"]!.input) as Result100;
      const converted = convertResult(source, to) as Result100 | Result040;
      converted.routes![0]!.dst = "192.0.2.0/24";
      converted.dns!.nameservers!.push("192.0.2.53");
      assert.equal(source.routes![0]!.dst, "0.0.0.0/0");
      assert.deepEqual(source.dns!.nameservers, ["10.1.0.2", "2001:db8::53"]);
    });
  }
});

Deno.test("convertResult() edge cases", async (t) => {
  const ip4Only: AnyResult = {
    cniVersion: "0.4.0",
    ips: [{ version: "4", address: "10.0.0.2/24" }],
    routes: [{ dst: "0.0.0.0/0", gw: "10.0.0.1" }, { dst: "::/0", gw: "fd00::1" }],
    dns: {},
  };
  const rows: [string, AnyResult, string, unknown][] = [
    [
      'reads a target of "" as 0.1.0',
      { cniVersion: "1.1.0", ips: [{ address: "10.0.0.2/24", gateway: "10.0.0.1" }] },
      "",
      { cniVersion: "0.1.0", ip4: { ip: "10.0.0.2/24", gateway: "10.0.0.1" }, dns: {} },
    ],
    [
      "drops routes for a family with no IP",
      ip4Only,
      "0.2.0",
      {
        cniVersion: "0.2.0",
        ip4: { ip: "10.0.0.2/24", routes: [{ dst: "0.0.0.0/0", gw: "10.0.0.1" }] },
        dns: {},
      },
    ],
    [
      "lets the version string decide, not the address",
      {
        cniVersion: "0.3.1",
        ips: [
          { version: "6", address: "10.0.0.2/24" },
          { version: "x", address: "10.0.0.3/24" },
          { version: "4", address: "fd00::4/64" },
        ],
        dns: {},
      },
      "0.1.0",
      {
        cniVersion: "0.1.0",
        ip4: { ip: "fd00::4/64" },
        ip6: { ip: "10.0.0.2/24" },
        dns: {},
      },
    ],
    [
      "makes an IPv4-mapped address version 4",
      { cniVersion: "1.0.0", ips: [{ address: "::ffff:10.3.0.5/120" }, { address: "<nil>" }] },
      "0.4.0",
      {
        cniVersion: "0.4.0",
        ips: [
          { version: "4", address: "::ffff:10.3.0.5/120" },
          { version: "6", address: "<nil>" },
        ],
        dns: {},
      },
    ],
    [
      "puts an IPv4-mapped route in ip4",
      {
        cniVersion: "0.4.0",
        ips: [{ version: "4", address: "10.0.0.2/24" }],
        routes: [{ dst: "::ffff:10.9.0.0/112" }],
        dns: {},
      },
      "0.2.0",
      {
        cniVersion: "0.2.0",
        ip4: { ip: "10.0.0.2/24", routes: [{ dst: "::ffff:10.9.0.0/112" }] },
        dns: {},
      },
    ],
    [
      "keeps a 0.1.0 result with only ip6",
      { cniVersion: "0.1.0", ip6: { ip: "fd00::2/64" }, dns: {} },
      "0.2.0",
      { cniVersion: "0.2.0", ip6: { ip: "fd00::2/64" }, dns: {} },
    ],
    [
      "gives a 0.2.0 result without IPs no ips, routes or interfaces",
      { cniVersion: "0.2.0", dns: { domain: "d" } },
      "0.4.0",
      { cniVersion: "0.4.0", dns: { domain: "d" } },
    ],
    [
      "leaves an empty dns out of a 1.x result",
      { cniVersion: "0.3.0", ips: [{ version: "4", address: "10.0.0.2/24" }], dns: {} },
      "1.0.0",
      { cniVersion: "1.0.0", ips: [{ address: "10.0.0.2/24" }] },
    ],
    [
      "gives a 1.x result without dns an empty one in 0.4.0",
      { cniVersion: "1.1.0" },
      "0.3.0",
      { cniVersion: "0.3.0", dns: {} },
    ],
    [
      "counts an unversioned 1.x-shaped result as 1.1.0",
      {
        cniVersion: "",
        interfaces: [{ name: "eth0", mtu: 1400 }],
        ips: [{ address: "10.0.0.2/24", interface: 0 }],
      },
      "0.4.0",
      {
        cniVersion: "0.4.0",
        interfaces: [{ name: "eth0" }],
        ips: [{ version: "4", interface: 0, address: "10.0.0.2/24" }],
        dns: {},
      },
    ],
    [
      "counts an unversioned 1.x-shaped result as 1.1.0 when converting to 1.1.0",
      { cniVersion: "", interfaces: [{ name: "eth0", mtu: 1400 }] },
      "1.1.0",
      { cniVersion: "1.1.0", interfaces: [{ name: "eth0", mtu: 1400 }] },
    ],
    [
      "counts an unversioned 0.4.0-shaped result as 0.4.0",
      { cniVersion: "", ips: [{ version: "4", address: "10.0.0.2/24" }], dns: {} },
      "1.0.0",
      { cniVersion: "1.0.0", ips: [{ address: "10.0.0.2/24" }] },
    ],
    [
      "counts an unversioned 0.2.0-shaped result as 0.2.0",
      { cniVersion: "", ip4: { ip: "10.0.0.2/24" }, dns: {} },
      "0.3.1",
      { cniVersion: "0.3.1", ips: [{ version: "4", address: "10.0.0.2/24" }], dns: {} },
    ],
  ];
  for (const [name, source, to, expected] of rows) {
    await t.step(`convertResult() ${name}`, () => {
      assert.deepEqual(convertResult(source, to), expected);
    });
  }
});

Deno.test("convertResult() errors", async (t) => {
  const rows: [string, AnyResult, string, string][] = [
    [
      "has no converter to an unknown version",
      { cniVersion: "0.2.0", ip4: { ip: "10.0.0.2/24" }, dns: {} },
      "0.5.0",
      "no converter for CNI result version 0.2.0 to 0.5.0",
    ],
    [
      "has no converter from an unknown version",
      { cniVersion: "0.5.0" },
      "1.0.0",
      "no converter for CNI result version 0.5.0 to 1.0.0",
    ],
    [
      "has no converter for a version that only resembles a spec version",
      { cniVersion: "1.0.0" },
      "1.0",
      "no converter for CNI result version 1.0.0 to 1.0",
    ],
    [
      "names 0.2.0 for an unversioned 0.2.0-shaped result",
      { cniVersion: "", ip4: { ip: "10.0.0.2/24" }, dns: {} },
      "9.9.9",
      "no converter for CNI result version 0.2.0 to 9.9.9",
    ],
    [
      "names 0.4.0 for an unversioned 0.4.0-shaped result",
      { cniVersion: "", ips: [{ version: "4", address: "10.0.0.2/24" }], dns: {} },
      "9.9.9",
      "no converter for CNI result version 0.4.0 to 9.9.9",
    ],
    [
      "names 1.1.0 for an unversioned 1.x-shaped result",
      { cniVersion: "", ips: [{ address: "10.0.0.2/24" }] },
      "9.9.9",
      "no converter for CNI result version 1.1.0 to 9.9.9",
    ],
    [
      "cannot give a 0.2.0 result without IPs",
      { cniVersion: "0.4.0", interfaces: [{ name: "eth0" }], dns: {} },
      "0.2.0",
      "cannot convert: no valid IP addresses",
    ],
    [
      "cannot give a 0.1.0 result from IPs without a version",
      { cniVersion: "0.4.0", ips: [{ version: "", address: "10.0.0.2/24" }], dns: {} },
      "0.1.0",
      "cannot convert: no valid IP addresses",
    ],
    [
      "cannot give a 0.2.0 result from a 1.x result without IPs",
      { cniVersion: "1.1.0", routes: [{ dst: "0.0.0.0/0" }] },
      "0.2.0",
      "cannot convert: no valid IP addresses",
    ],
    [
      'cannot give a "" (0.1.0) result from a 1.x result without IPs',
      { cniVersion: "1.0.0" },
      "",
      "cannot convert: no valid IP addresses",
    ],
  ];
  for (const [name, source, to, message] of rows) {
    await t.step(`convertResult() ${name}`, () => {
      assert.throws(() => convertResult(source, to), (error) => {
        assert.ok(error instanceof Error);
        assert.equal(error.message, message);
        return true;
      });
    });
  }
});
