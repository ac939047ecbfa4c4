import assert from "node:assert/strict";
import { formatIp, type IpAddress, parseCidr, parseIp } from "../../lib/ip_math.ts";
import {
  allocationOrder,
  formatRange,
  formatRangeSet,
  makeRange,
  makeRangeSet,
  rangeContains,
  rangeSetCapacity,
  rangeSetContains,
  rangeSetsOverlap,
  type RangeSpec,
} from "../../lib/ipam/range.ts";

function ip(text: string): IpAddress {
  const parsed = parseIp(text);
  assert.ok(parsed, `${text} should parse`);
  return parsed;
}

/** A range spec from text, as a configuration writes it. */
function spec(
  subnet: string,
  extra: { rangeStart?: string; rangeEnd?: string; gateway?: string } = {},
): RangeSpec {
  return {
    subnet: parseCidr(subnet),
    ...(extra.rangeStart && { rangeStart: ip(extra.rangeStart) }),
    ...(extra.rangeEnd && { rangeEnd: ip(extra.rangeEnd) }),
    ...(extra.gateway && { gateway: ip(extra.gateway) }),
  };
}

Deno.test("makeRange() fills in the reference's defaults", async (t) => {
  // Expected values: the Go host-local 1.1.1's answers (gateway, "start-end" of its errors).
  const rows: [string, RangeSpec, string, string][] = [
    ["an IPv4 /24: .1 to .254", spec("10.1.0.0/24"), "10.1.0.1-10.1.0.254", "10.1.0.1"],
    ["an IPv4 /30: .1 to .2", spec("10.1.0.0/30"), "10.1.0.1-10.1.0.2", "10.1.0.1"],
    ["an IPv6 /120: up to the last address", spec("fd00::/120"), "fd00::1-fd00::ff", "fd00::1"],
    ["an IPv6 /126", spec("fd00::/126"), "fd00::1-fd00::3", "fd00::1"],
    [
      "a given start, end and gateway",
      spec("10.9.0.0/24", {
        rangeStart: "10.9.0.10",
        rangeEnd: "10.9.0.20",
        gateway: "10.9.0.254",
      }),
      "10.9.0.10-10.9.0.20",
      "10.9.0.254",
    ],
    [
      "the network and broadcast addresses when the range names them",
      spec("10.8.0.0/24", { rangeStart: "10.8.0.0", rangeEnd: "10.8.0.255" }),
      "10.8.0.0-10.8.0.255",
      "10.8.0.1",
    ],
    [
      "an IPv4-mapped start as IPv4",
      spec("10.8.0.0/24", { rangeStart: "::ffff:10.8.0.9" }),
      "10.8.0.9-10.8.0.254",
      "10.8.0.1",
    ],
    [
      "a gateway outside the subnet, unchecked as in the reference",
      spec("10.9.0.0/24", { gateway: "10.10.0.1" }),
      "10.9.0.1-10.9.0.254",
      "10.10.0.1",
    ],
    ["0.0.0.0/24 with a real second address", spec("0.0.0.0/24"), "0.0.0.1-0.0.0.254", "0.0.0.1"],
    ["::/120 with a real second address", spec("::/120"), "::1-::ff", "::1"],
  ];
  for (const [name, input, range, gateway] of rows) {
    await t.step(`makeRange() takes ${name}`, () => {
      const made = makeRange(input);
      assert.equal(formatRange(made), range);
      assert.equal(formatIp(made.gateway), gateway);
    });
  }
});

Deno.test("makeRange() refuses what the reference refuses, with its message", async (t) => {
  const rows: [string, RangeSpec, string][] = [
    ["no subnet", {}, "IP <nil> not v4 nor v6"],
    ["a /31", spec("10.0.0.0/31"), "Network 10.0.0.0/31 too small to allocate from"],
    [
      "a /32 with host bits, printed as written",
      spec("10.0.0.1/32"),
      "Network 10.0.0.1/32 too small to allocate from",
    ],
    ["an IPv6 /127", spec("fd00::/127"), "Network fd00::/127 too small to allocate from"],
    [
      "an IPv4-mapped IPv6 subnet",
      spec("::ffff:10.0.0.0/120"),
      "IPNet IP and Mask version mismatch",
    ],
    [
      "host bits",
      spec("10.0.0.1/24"),
      "Network has host bits set. For a subnet mask of length 24 the network address is 10.0.0.0",
    ],
    [
      "a start outside the subnet",
      spec("10.9.0.0/24", { rangeStart: "10.9.1.0" }),
      "RangeStart 10.9.1.0 not in network 10.9.0.0/24",
    ],
    [
      "a start of another family",
      spec("10.9.0.0/24", { rangeStart: "fd00::1" }),
      "RangeStart fd00::1 not in network 10.9.0.0/24",
    ],
    [
      "an end outside the subnet",
      spec("10.9.0.0/24", { rangeEnd: "10.9.1.0" }),
      "RangeEnd 10.9.1.0 not in network 10.9.0.0/24",
    ],
    [
      "a start after the given end (named as the start, as the reference does)",
      spec("10.8.0.0/24", { rangeStart: "10.8.0.9", rangeEnd: "10.8.0.3" }),
      "RangeStart 10.8.0.9 not in network 10.8.0.0/24",
    ],
    [
      "an end before the default start",
      spec("10.8.0.0/24", { rangeEnd: "10.8.0.0" }),
      "RangeEnd 10.8.0.0 not in network 10.8.0.0/24",
    ],
    [
      "a start after the default end (the reference would go on outside the subnet)",
      spec("10.7.0.0/24", { rangeStart: "10.7.0.255" }),
      "RangeStart 10.7.0.255 is after RangeEnd 10.7.0.254",
    ],
  ];
  for (const [name, input, message] of rows) {
    await t.step(`makeRange() refuses ${name}`, () => {
      assert.throws(() => makeRange(input), { message });
    });
  }
});

Deno.test("rangeContains()", async (t) => {
  const range = makeRange(spec("10.9.0.0/24", { rangeStart: "10.9.0.10", rangeEnd: "10.9.0.20" }));
  const rows: [string, boolean][] = [
    ["10.9.0.10", true],
    ["10.9.0.20", true],
    ["::ffff:10.9.0.15", true],
    ["10.9.0.9", false],
    ["10.9.0.21", false],
    ["fd00::10", false],
  ];
  for (const [address, expected] of rows) {
    await t.step(`rangeContains() ${expected ? "holds" : "does not hold"} ${address}`, () => {
      assert.equal(rangeContains(range, ip(address)), expected);
    });
  }
});

Deno.test("makeRangeSet()", async (t) => {
  await t.step("makeRangeSet() prints as the reference joins its ranges", () => {
    const set = makeRangeSet([spec("10.1.0.0/24"), spec("10.2.0.0/30")]);
    assert.equal(formatRangeSet(set), "10.1.0.1-10.1.0.254,10.2.0.1-10.2.0.2");
    assert.equal(rangeSetContains(set, ip("10.2.0.2")), true);
    assert.equal(rangeSetContains(set, ip("10.2.0.3")), false);
  });
  const bad: [string, RangeSpec[], string][] = [
    ["an empty set", [], "empty range set"],
    ["two families", [spec("10.3.0.0/24"), spec("fd04::/64")], "mixed address families"],
    [
      "overlapping ranges, named by their bounds",
      [spec("10.3.0.0/24"), spec("10.3.0.128/25")],
      "subnets 10.3.0.1-10.3.0.254 and 10.3.0.129-10.3.0.254 overlap",
    ],
    ["a bad range, with its own message", [spec("10.3.0.0/24"), {}], "IP <nil> not v4 nor v6"],
  ];
  for (const [name, specs, message] of bad) {
    await t.step(`makeRangeSet() refuses ${name}`, () => {
      assert.throws(() => makeRangeSet(specs), { message });
    });
  }
  await t.step("ranges of one subnet that do not overlap are fine", () => {
    makeRangeSet([
      spec("10.3.0.0/24", { rangeEnd: "10.3.0.99" }),
      spec("10.3.0.0/24", { rangeStart: "10.3.0.100" }),
    ]);
  });
  await t.step("rangeSetsOverlap() compares every pair", () => {
    const a = makeRangeSet([spec("10.1.0.0/24"), spec("10.5.0.0/24")]);
    assert.equal(rangeSetsOverlap(a, makeRangeSet([spec("10.5.0.0/25")])), true);
    assert.equal(rangeSetsOverlap(a, makeRangeSet([spec("10.6.0.0/25")])), false);
    assert.equal(rangeSetsOverlap(a, makeRangeSet([spec("fd00::/64")])), false);
  });
});

Deno.test("rangeSetCapacity()", async (t) => {
  const rows: [string, RangeSpec[], bigint][] = [
    ["a /29 less its gateway", [spec("10.1.0.0/29")], 5n],
    [
      "a gateway outside the range costs nothing",
      [spec("10.1.0.0/29", { gateway: "10.1.0.7" })],
      6n,
    ],
    ["two ranges", [spec("10.1.0.0/30"), spec("10.1.1.0/30")], 2n],
    ["an IPv6 /64", [spec("fd00::/64")], (1n << 64n) - 2n],
  ];
  for (const [name, specs, expected] of rows) {
    await t.step(`rangeSetCapacity() counts ${name}`, () => {
      assert.equal(rangeSetCapacity(makeRangeSet(specs)), expected);
    });
  }
});

Deno.test("allocationOrder() walks as the reference's iterator", async (t) => {
  const rows: [string, RangeSpec[], string | undefined, string[]][] = [
    [
      "from the start, skipping the gateway",
      [spec("10.1.0.0/29")],
      undefined,
      ["10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5", "10.1.0.6"],
    ],
    [
      "from after the last reserved address, wrapping round to it",
      [spec("10.1.0.0/29")],
      "10.1.0.4",
      ["10.1.0.5", "10.1.0.6", "10.1.0.2", "10.1.0.3", "10.1.0.4"],
    ],
    [
      "from the start when the last address is outside the set",
      [spec("10.1.0.0/29")],
      "10.9.9.9",
      ["10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5", "10.1.0.6"],
    ],
    [
      "through the ranges of a set in turn",
      [spec("10.1.0.0/30"), spec("10.2.0.0/29", { rangeStart: "10.2.0.3" })],
      "10.2.0.5",
      ["10.2.0.6", "10.1.0.2", "10.2.0.3", "10.2.0.4", "10.2.0.5"],
    ],
    [
      "a gateway in the middle of the range",
      [spec("10.1.0.0/28", { rangeStart: "10.1.0.5", rangeEnd: "10.1.0.8", gateway: "10.1.0.7" })],
      "10.1.0.5",
      ["10.1.0.6", "10.1.0.8", "10.1.0.5"],
    ],
    ["IPv6", [spec("fd00::/126")], undefined, ["fd00::2", "fd00::3"]],
    [
      "a last address that is the gateway",
      [spec("10.1.0.0/29")],
      "10.1.0.1",
      ["10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5", "10.1.0.6"],
    ],
  ];
  for (const [name, specs, last, expected] of rows) {
    await t.step(`allocationOrder() goes ${name}`, () => {
      const order = allocationOrder(makeRangeSet(specs), last === undefined ? undefined : ip(last));
      assert.deepEqual([...order].map(formatIp), expected);
    });
  }
  await t.step("allocationOrder() ends on a set that is only its gateway", () => {
    const set = makeRangeSet([
      spec("10.1.0.0/30", { rangeStart: "10.1.0.1", rangeEnd: "10.1.0.1" }),
    ]);
    assert.deepEqual([...allocationOrder(set)], []);
  });
});
