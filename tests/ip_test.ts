import assert from "node:assert/strict";
import {
  cidrContains,
  cidrIsIpv4,
  formatCidr,
  formatIp,
  isIpv4,
  parseCidr,
  parseIp,
} from "../lib/ip.ts";

function ip(text: string) {
  const parsed = parseIp(text);
  assert.ok(parsed, `${text} should parse`);
  return parsed;
}

function cidr(text: string) {
  const parsed = parseCidr(text);
  assert.ok(parsed, `${text} should parse`);
  return parsed;
}

Deno.test("parseIp() and formatIp()", async (t) => {
  // Go's net.ParseIP(s).String().
  const rows: [string, string, string][] = [
    ["reads dotted IPv4", "10.0.0.2", "10.0.0.2"],
    ["reads the IPv4 extremes", "0.0.0.0", "0.0.0.0"],
    ["reads 255.255.255.255", "255.255.255.255", "255.255.255.255"],
    ["compresses the longest zero run", "2001:DB8:0:0:0:0:0:5", "2001:db8::5"],
    ["lower-cases IPv6", "2001:DB8::ABCD", "2001:db8::abcd"],
    ["drops leading zeros of groups", "2001:0db8:0000:0001:0000:0000:0000:0001", "2001:db8:0:1::1"],
    ["compresses the first of two equal runs", "2001:0:0:1:0:0:1:1", "2001::1:0:0:1:1"],
    ["does not compress a single zero group", "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["prints the unspecified address as ::", "0:0:0:0:0:0:0:0", "::"],
    ["prints loopback as ::1", "::1", "::1"],
    ["compresses a trailing run", "fe80:1::", "fe80:1::"],
    ["prints IPv4-mapped IPv6 as IPv4", "::ffff:10.3.0.1", "10.3.0.1"],
    ["prints hex IPv4-mapped IPv6 as IPv4", "::ffff:a03:1", "10.3.0.1"],
    ["prints IPv4-compatible IPv6 in hex", "::1.2.3.4", "::102:304"],
    ["reads embedded IPv4 after eight bytes", "64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
    ["reads a full address with embedded IPv4", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"],
  ];
  for (const [name, input, expected] of rows) {
    await t.step(`parseIp() ${name}`, () => {
      assert.equal(formatIp(ip(input)), expected);
    });
  }
  const bad: [string, string][] = [
    ["rejects an IPv4 octet above 255", "10.0.0.256"],
    ["rejects a leading zero in IPv4", "10.0.0.01"],
    ["rejects three IPv4 fields", "10.0.0"],
    ["rejects five IPv4 fields", "10.0.0.1.2"],
    ["rejects an empty IPv4 field", "10..0.1"],
    ["rejects a sign in IPv4", "+10.0.0.1"],
    ["rejects a word", "bogus"],
    ["rejects the empty string", ""],
    ["rejects two ::", "1::2::3"],
    ["rejects nine groups", "1:2:3:4:5:6:7:8:9"],
    ["rejects seven groups without ::", "1:2:3:4:5:6:7"],
    ["rejects :: standing for no group", "1:2:3:4::5:6:7:8"],
    ["rejects a five-digit group", "2001:db8::12345"],
    ["rejects a zone", "fe80::1%eth0"],
    ["rejects a leading single colon", ":1::"],
    ["rejects a trailing single colon", "1::2:"],
    ["rejects embedded IPv4 before ::", "1.2.3.4::"],
    ["rejects embedded IPv4 in the middle", "::1.2.3.4:5"],
    ["rejects a leading zero in embedded IPv4", "::ffff:10.0.0.01"],
    ["rejects a CIDR", "10.0.0.1/24"],
    ["rejects surrounding spaces", " 10.0.0.1"],
  ];
  for (const [name, input] of bad) {
    await t.step(`parseIp() ${name}`, () => {
      assert.equal(parseIp(input), undefined);
    });
  }
});

Deno.test("isIpv4()", async (t) => {
  const rows: [string, boolean][] = [
    ["10.0.0.1", true],
    ["::ffff:10.0.0.1", true],
    ["::10.0.0.1", false],
    ["2001:db8::1", false],
    ["::", false],
  ];
  for (const [input, expected] of rows) {
    await t.step(`isIpv4() says ${expected} for ${input}`, () => {
      assert.equal(isIpv4(ip(input)), expected);
    });
  }
});

Deno.test("parseCidr() and formatCidr()", async (t) => {
  // Go's types.ParseCIDR (net.ParseCIDR keeping the host bits) and IPNet.String.
  const rows: [string, string, string, number, 32 | 128][] = [
    ["keeps host bits", "10.1.0.5/16", "10.1.0.5/16", 16, 32],
    ["keeps host bits of a /24", "192.168.0.7/24", "192.168.0.7/24", 24, 32],
    ["reads /0", "0.0.0.0/0", "0.0.0.0/0", 0, 32],
    ["reads /32", "10.0.0.1/32", "10.0.0.1/32", 32, 32],
    ["reads a leading zero in the prefix like Go's dtoi", "10.0.0.1/024", "10.0.0.1/24", 24, 32],
    ["canonicalises IPv6", "2001:DB8:0:0::5/64", "2001:db8::5/64", 64, 128],
    ["reads /128", "::1/128", "::1/128", 128, 128],
    [
      "prints IPv4-mapped IPv6 as IPv4 less 96 bits",
      "::ffff:10.3.0.5/120",
      "10.3.0.5/24",
      120,
      128,
    ],
    ["prints a mapped /96 as /0", "::ffff:10.3.0.5/96", "10.3.0.5/0", 96, 128],
    ["never prints a negative prefix", "::ffff:10.3.0.5/64", "10.3.0.5/0", 64, 128],
  ];
  for (const [name, input, expected, prefixLength, bits] of rows) {
    await t.step(`parseCidr() ${name}`, () => {
      const parsed = cidr(input);
      assert.equal(parsed.prefixLength, prefixLength);
      assert.equal(parsed.bits, bits);
      assert.equal(formatCidr(parsed), expected);
    });
  }
  const bad: [string, string][] = [
    ["rejects a bare IP", "10.0.0.2"],
    ["rejects an IPv4 prefix above 32", "10.0.0.2/33"],
    ["rejects an IPv6 prefix above 128", "::1/129"],
    ["rejects a negative prefix", "10.0.0.2/-1"],
    ["rejects a signed prefix", "10.0.0.2/+8"],
    ["rejects an empty prefix", "10.0.0.2/"],
    ["rejects a netmask", "10.0.0.2/255.0.0.0"],
    ["rejects a bad address", "10.0.0.256/8"],
    ["rejects a zone", "fe80::1%eth0/64"],
    ["rejects two slashes", "10.0.0.2/8/8"],
    ["rejects the empty string", ""],
    ["rejects <nil>", "<nil>"],
  ];
  for (const [name, input] of bad) {
    await t.step(`parseCidr() ${name}`, () => {
      assert.equal(parseCidr(input), undefined);
    });
  }
});

Deno.test("cidrContains()", async (t) => {
  const rows: [string, string, boolean][] = [
    ["10.1.0.0/16", "10.1.255.3", true],
    ["10.1.0.5/16", "10.1.0.9", true],
    ["10.1.0.0/16", "10.2.0.1", false],
    ["0.0.0.0/0", "192.0.2.1", true],
    ["0.0.0.0/0", "2001:db8::1", false],
    ["10.0.0.1/32", "10.0.0.1", true],
    ["10.0.0.1/32", "10.0.0.2", false],
    ["2001:db8::/32", "2001:db8:ffff::1", true],
    ["2001:db8::/32", "2001:db9::1", false],
    ["::/0", "10.0.0.1", true],
    ["10.0.0.0/25", "10.0.0.128", false],
    ["10.0.0.0/25", "10.0.0.127", true],
  ];
  for (const [range, address, expected] of rows) {
    await t.step(`cidrContains() says ${expected} for ${address} in ${range}`, () => {
      assert.equal(cidrContains(cidr(range), ip(address)), expected);
    });
  }
});

Deno.test("cidrIsIpv4()", async (t) => {
  const rows: [string, boolean][] = [
    ["10.0.0.2/24", true],
    ["::ffff:10.0.0.2/120", true],
    ["2001:db8::2/64", false],
    ["<nil>", false],
    ["10.0.0.2", false],
  ];
  for (const [input, expected] of rows) {
    await t.step(`cidrIsIpv4() says ${expected} for ${input}`, () => {
      assert.equal(cidrIsIpv4(input), expected);
    });
  }
});
