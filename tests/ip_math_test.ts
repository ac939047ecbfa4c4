import assert from "node:assert/strict";
import {
  broadcastOf,
  canonicalBytes,
  canonicalCidrText,
  canonicalIpText,
  cidrFamily,
  cidrSize,
  cidrsOverlap,
  compareIps,
  containsIp,
  familyPrefixLength,
  firstIp,
  formatCidr,
  formatIp,
  type IpAddress,
  type IpCidr,
  ipEquals,
  ipFamily,
  ipFromBigInt,
  ipFromBytes,
  ipRange,
  ipToBigInt,
  lastIp,
  makeCidr,
  networkOf,
  nextIp,
  offsetIp,
  parseCidr,
  parseIp,
  previousIp,
} from "../lib/ip_math.ts";

function ip(text: string): IpAddress {
  const parsed = parseIp(text);
  assert.ok(parsed, `${text} should parse`);
  return parsed;
}

function cidr(text: string): IpCidr {
  const parsed = parseCidr(text);
  assert.ok(parsed, `${text} should parse`);
  return parsed;
}

const text = (address: IpAddress | undefined) => address && formatIp(address);

Deno.test("ipFamily() and cidrFamily()", async (t) => {
  const rows: [string, string, 4 | 6][] = [
    ["IPv4", "10.0.0.1", 4],
    ["IPv4-mapped IPv6 as IPv4", "::ffff:10.0.0.1", 4],
    ["IPv4-compatible IPv6 as IPv6", "::10.0.0.1", 6],
    ["IPv6", "fd00::1", 6],
    ["the unspecified IPv6 address", "::", 6],
  ];
  for (const [name, input, family] of rows) {
    await t.step(`ipFamily() reads ${name}`, () => assert.equal(ipFamily(ip(input)), family));
  }
  const cidrs: [string, string, 4 | 6, number][] = [
    ["an IPv4 CIDR", "10.0.0.0/8", 4, 8],
    ["an IPv6 CIDR", "fd00::/64", 6, 64],
    ["an IPv4-mapped IPv6 CIDR as IPv4, prefix less 96", "::ffff:10.0.0.0/120", 4, 24],
    ["an IPv4-mapped IPv6 CIDR shorter than 96 as IPv4 /0", "::ffff:10.0.0.0/80", 4, 0],
  ];
  for (const [name, input, family, prefix] of cidrs) {
    await t.step(`cidrFamily() reads ${name}`, () => {
      assert.equal(cidrFamily(cidr(input)), family);
      assert.equal(familyPrefixLength(cidr(input)), prefix);
    });
  }
});

Deno.test("canonicalBytes() and ipFromBytes()", async (t) => {
  await t.step("canonicalBytes() gives IPv4 as 4 bytes", () => {
    assert.deepEqual(canonicalBytes(ip("::ffff:192.0.2.1")), new Uint8Array([192, 0, 2, 1]));
  });
  await t.step("canonicalBytes() gives IPv6 as 16 bytes", () => {
    assert.deepEqual(
      canonicalBytes(ip("2001:db8::1")),
      new Uint8Array([0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
    );
  });
  await t.step("canonicalBytes() copies", () => {
    const address = ip("10.0.0.1");
    canonicalBytes(address)[0] = 99;
    assert.equal(formatIp(address), "10.0.0.1");
  });
  await t.step("ipFromBytes() reads 4 and 16 bytes", () => {
    assert.equal(formatIp(ipFromBytes(new Uint8Array([10, 1, 2, 3]))), "10.1.2.3");
    assert.equal(formatIp(ipFromBytes(canonicalBytes(ip("fd00::7")))), "fd00::7");
  });
  await t.step("ipFromBytes() refuses other lengths", () => {
    assert.throws(() => ipFromBytes(new Uint8Array(5)), RangeError);
  });
});

Deno.test("ipToBigInt() and ipFromBigInt()", async (t) => {
  const rows: [string, string, bigint][] = [
    ["IPv4 within 32 bits", "192.168.1.2", 0xc0a80102n],
    ["the last IPv4 address", "255.255.255.255", 0xffffffffn],
    ["IPv4-mapped IPv6 as its IPv4", "::ffff:0.0.0.1", 1n],
    ["IPv6 within 128 bits", "::1", 1n],
    ["the last IPv6 address", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", (1n << 128n) - 1n],
  ];
  for (const [name, input, value] of rows) {
    await t.step(`round-trips ${name}`, () => {
      assert.equal(ipToBigInt(ip(input)), value);
      assert.equal(formatIp(ipFromBigInt(value, ipFamily(ip(input)))), formatIp(ip(input)));
    });
  }
  for (const [name, value, family] of [["-1", -1n, 4], ["2^32 for IPv4", 1n << 32n, 4]] as const) {
    await t.step(`ipFromBigInt() refuses ${name}`, () => {
      assert.throws(() => ipFromBigInt(value, family), RangeError);
    });
  }
});

Deno.test("compareIps() and ipEquals()", async (t) => {
  const rows: [string, string, string, number][] = [
    ["orders IPv4 numerically, not as text", "10.0.0.9", "10.0.0.10", -1],
    ["finds equal addresses equal", "10.0.0.9", "10.0.0.9", 0],
    ["finds an IPv4-mapped address equal to its IPv4", "::ffff:10.0.0.9", "10.0.0.9", 0],
    ["puts every IPv4 address before IPv6", "255.255.255.255", "::", -1],
    ["orders IPv6 numerically", "fd00::1:0", "fd00::ffff", 1],
  ];
  for (const [name, a, b, expected] of rows) {
    await t.step(`compareIps() ${name}`, () => {
      assert.equal(Math.sign(compareIps(ip(a), ip(b))), expected);
      assert.equal(Math.sign(compareIps(ip(b), ip(a))), expected === 0 ? 0 : -expected);
      assert.equal(ipEquals(ip(a), ip(b)), expected === 0);
    });
  }
});

Deno.test("nextIp(), previousIp() and offsetIp()", async (t) => {
  const steps: [string, string, string | undefined, string | undefined][] = [
    ["within a byte", "10.0.0.1", "10.0.0.2", "10.0.0.0"],
    ["carrying into the next byte", "10.0.0.255", "10.0.1.0", "10.0.0.254"],
    ["carrying through every byte", "9.255.255.255", "10.0.0.0", "9.255.255.254"],
    ["at the end of IPv4 (no 5-byte address)", "255.255.255.255", undefined, "255.255.255.254"],
    ["at the start of IPv4", "0.0.0.0", "0.0.0.1", undefined],
    ["in IPv6", "fd00::ffff", "fd00::1:0", "fd00::fffe"],
    [
      "at the end of IPv6",
      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
      undefined,
      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
    ],
    ["at the start of IPv6", "::", "::1", undefined],
  ];
  for (const [name, input, next, previous] of steps) {
    await t.step(`steps ${name}`, () => {
      assert.equal(text(nextIp(ip(input))), next);
      assert.equal(text(previousIp(ip(input))), previous);
    });
  }
  const offsets: [string, string, bigint | number, string | undefined][] = [
    ["forward across bytes", "10.0.0.250", 10, "10.0.1.4"],
    ["backward", "10.0.1.4", -10n, "10.0.0.250"],
    ["by 0", "fd00::5", 0, "fd00::5"],
    ["by more than 2^53 in IPv6", "fd00::", 1n << 64n, "fd00:0:0:1::"],
    ["past the end of IPv4", "255.255.255.250", 6, undefined],
    ["before the start", "0.0.0.3", -4, undefined],
  ];
  for (const [name, input, n, expected] of offsets) {
    await t.step(`offsetIp() ${name}`, () => assert.equal(text(offsetIp(ip(input), n)), expected));
  }
  await t.step("nextIp() leaves its argument alone", () => {
    const address = ip("10.0.0.255");
    nextIp(address);
    assert.equal(formatIp(address), "10.0.0.255");
  });
});

Deno.test("networkOf(), firstIp(), lastIp(), broadcastOf() and cidrSize()", async (t) => {
  const rows: [string, string, string, string, string, string | undefined, bigint][] = [
    ["IPv4 /24", "10.1.2.5/24", "10.1.2.0/24", "10.1.2.0", "10.1.2.255", "10.1.2.255", 256n],
    ["IPv4 /23", "10.1.3.5/23", "10.1.2.0/23", "10.1.2.0", "10.1.3.255", "10.1.3.255", 512n],
    [
      "IPv4 /0",
      "10.1.3.5/0",
      "0.0.0.0/0",
      "0.0.0.0",
      "255.255.255.255",
      "255.255.255.255",
      1n << 32n,
    ],
    [
      "IPv4 /31 (no broadcast)",
      "10.0.0.1/31",
      "10.0.0.0/31",
      "10.0.0.0",
      "10.0.0.1",
      undefined,
      2n,
    ],
    ["IPv4 /32", "10.0.0.1/32", "10.0.0.1/32", "10.0.0.1", "10.0.0.1", undefined, 1n],
    ["IPv6 /112", "fd00::1:5/112", "fd00::1:0/112", "fd00::1:0", "fd00::1:ffff", undefined, 65536n],
    [
      "IPv6 /64",
      "fd00::5/64",
      "fd00::/64",
      "fd00::",
      "fd00::ffff:ffff:ffff:ffff",
      undefined,
      1n << 64n,
    ],
    [
      "IPv4-mapped IPv6 /120",
      "::ffff:10.1.2.5/120",
      "10.1.2.0/24",
      "10.1.2.0",
      "10.1.2.255",
      "10.1.2.255",
      256n,
    ],
  ];
  for (const [name, input, network, first, last, broadcast, size] of rows) {
    await t.step(`reads ${name}`, () => {
      const c = cidr(input);
      assert.equal(formatCidr(networkOf(c)), network);
      assert.equal(formatIp(firstIp(c)), first);
      assert.equal(formatIp(lastIp(c)), last);
      assert.equal(text(broadcastOf(c)), broadcast);
      assert.equal(cidrSize(c), size);
    });
  }
  await t.step("networkOf() leaves its argument alone", () => {
    const c = cidr("10.1.2.5/24");
    networkOf(c);
    assert.equal(formatCidr(c), "10.1.2.5/24");
  });
});

Deno.test("containsIp() and cidrsOverlap()", async (t) => {
  const rows: [string, string, string, boolean][] = [
    ["an IPv4 address in its network", "10.1.0.0/16", "10.1.255.255", true],
    ["an IPv4 address outside", "10.1.0.0/16", "10.2.0.0", false],
    ["a prefix that ends mid-byte", "10.1.0.0/20", "10.1.15.1", true],
    ["just past a mid-byte prefix", "10.1.0.0/20", "10.1.16.1", false],
    ["an IPv4 address and ::/0 (families differ, as in Go)", "::/0", "10.0.0.1", false],
    ["an IPv6 address and 0.0.0.0/0", "0.0.0.0/0", "fd00::1", false],
    ["an IPv4-mapped address in an IPv4 network", "10.0.0.0/8", "::ffff:10.9.9.9", true],
    ["an IPv4 address in an IPv4-mapped IPv6 network", "::ffff:10.1.0.0/112", "10.1.0.7", true],
    ["an IPv6 address in its network", "fd00::/8", "fdff::1", true],
    ["an IPv6 address outside", "fd00::/8", "fe80::1", false],
    ["any IPv4 address in 0.0.0.0/0", "0.0.0.0/0", "255.255.255.255", true],
  ];
  for (const [name, net, address, expected] of rows) {
    await t.step(`containsIp() finds ${name}`, () => {
      assert.equal(containsIp(cidr(net), ip(address)), expected);
    });
  }
  const overlaps: [string, string, string, boolean][] = [
    ["a network and a subnet of it", "10.0.0.0/16", "10.0.3.0/24", true],
    ["neighbours", "10.0.0.0/24", "10.0.1.0/24", false],
    ["the same network written with host bits", "10.0.0.7/24", "10.0.0.9/24", true],
    ["two families", "0.0.0.0/0", "::/0", false],
  ];
  for (const [name, a, b, expected] of overlaps) {
    await t.step(`cidrsOverlap() finds ${name}`, () => {
      assert.equal(cidrsOverlap(cidr(a), cidr(b)), expected);
      assert.equal(cidrsOverlap(cidr(b), cidr(a)), expected);
    });
  }
});

Deno.test("makeCidr()", async (t) => {
  await t.step("makes an IPv4 CIDR with 32 bits, host bits kept", () => {
    const made = makeCidr(ip("10.1.2.5"), 24);
    assert.equal(made.bits, 32);
    assert.equal(formatCidr(made), "10.1.2.5/24");
  });
  await t.step("makes an IPv6 CIDR with 128 bits", () => {
    assert.equal(makeCidr(ip("fd00::5"), 64).bits, 128);
  });
  for (
    const [name, address, prefix] of [["33 for IPv4", "10.0.0.1", 33], ["-1", "fd00::", -1], [
      "1.5",
      "fd00::",
      1.5,
    ]] as const
  ) {
    await t.step(`refuses a prefix length of ${name}`, () => {
      assert.throws(() => makeCidr(ip(address), prefix), RangeError);
    });
  }
});

Deno.test("ipRange()", async (t) => {
  const rows: [string, string, string, string[]][] = [
    ["walks across a byte", "10.0.0.254", "10.0.1.1", [
      "10.0.0.254",
      "10.0.0.255",
      "10.0.1.0",
      "10.0.1.1",
    ]],
    ["gives one address when start is end", "fd00::1", "fd00::1", ["fd00::1"]],
    ["gives nothing when end comes first", "10.0.0.2", "10.0.0.1", []],
    ["gives nothing across families", "10.0.0.1", "fd00::1", []],
    ["stops at the end of the family", "255.255.255.254", "255.255.255.255", [
      "255.255.255.254",
      "255.255.255.255",
    ]],
  ];
  for (const [name, start, end, expected] of rows) {
    await t.step(`ipRange() ${name}`, () => {
      assert.deepEqual([...ipRange(ip(start), ip(end))].map(formatIp), expected);
    });
  }
  await t.step("ipRange() is lazy over a /64", () => {
    const walk = ipRange(ip("fd00::"), ip("fd00::ffff:ffff:ffff:ffff"));
    const first = [walk.next().value, walk.next().value].map((a) => a && formatIp(a));
    assert.deepEqual(first, ["fd00::", "fd00::1"]);
  });
});

Deno.test("canonicalIpText() and canonicalCidrText()", async (t) => {
  const ips: [string, string | undefined][] = [
    ["FD00:0:0::1", "fd00::1"],
    ["::ffff:10.0.0.1", "10.0.0.1"],
    ["10.0.0.1", "10.0.0.1"],
    ["10.0.0.01", undefined],
    ["fe80::1%eth0", undefined],
  ];
  for (const [input, expected] of ips) {
    await t.step(`canonicalIpText(${JSON.stringify(input)})`, () => {
      assert.equal(canonicalIpText(input), expected);
    });
  }
  const cidrs: [string, string | undefined][] = [
    ["10.0.0.5/024", "10.0.0.5/24"],
    ["FD00::5/64", "fd00::5/64"],
    ["::ffff:10.0.0.5/120", "10.0.0.5/24"],
    ["10.0.0.5", undefined],
    ["10.0.0.5/33", undefined],
  ];
  for (const [input, expected] of cidrs) {
    await t.step(`canonicalCidrText(${JSON.stringify(input)})`, () => {
      assert.equal(canonicalCidrText(input), expected);
    });
  }
});
