import assert from "node:assert/strict";
import { ConfigError, configError } from "../lib/config_error.ts";
import { configReader } from "../lib/config_reader.ts";
import { CniError } from "../lib/errors.ts";
import { parseJson } from "../lib/config.ts";
import type { JsonObject } from "../lib/_decode.ts";

Deno.test("configError() makes code 7 errors naming the key", async (t) => {
  await t.step("configError() names the key in the message", () => {
    const error = configError("ipam.range", "is required");
    assert.ok(error instanceof ConfigError);
    assert.ok(error instanceof CniError);
    assert.deepEqual(error.toJSON(), {
      code: 7,
      msg: 'invalid network configuration: "ipam.range" is required',
    });
    assert.equal(error.field, "ipam.range");
  });
  await t.step("ConfigError keeps details", () => {
    assert.equal(
      new ConfigError("mtu", "must be a number", "see the docs").details,
      "see the docs",
    );
  });
});

const RAW = {
  text: "hello",
  empty: "",
  none: null,
  flag: true,
  count: 20,
  cidr: "2001:DB8::5/64",
  address: "::ffff:10.3.0.1",
  list: ["a", "b"],
  nested: { range: "10.1.0.0/24" },
  MixedCase: "found",
  sysctl: { "net.ipv4.conf.IFNAME.rp_filter": "2", "Net.Other": "1" },
  ranges: [{ subnet: "10.1.0.0/24" }, { subnet: "10.2.0.0/24", gateway: "10.2.0.9" }],
  settings: { anything: [1, { deep: true }], n: null },
};

Deno.test("configReader() reads values", async (t) => {
  const read = configReader(RAW);
  const rows: { name: string; got: () => unknown; want: unknown }[] = [
    { name: "a string", got: () => read.string("text"), want: "hello" },
    { name: "an absent key as undefined", got: () => read.string("missing"), want: undefined },
    { name: "an empty string as undefined", got: () => read.string("empty"), want: undefined },
    { name: "null as undefined", got: () => read.integer("none"), want: undefined },
    {
      name: "a key in another case, as Go does",
      got: () => read.string("mixedcase"),
      want: "found",
    },
    {
      name: "a string from a list of choices",
      got: () => read.string("text", { oneOf: ["hello", "bye"] }),
      want: "hello",
    },
    { name: "a boolean", got: () => read.boolean("flag"), want: true },
    {
      name: "an integer in range",
      got: () => read.integer("count", { min: 0, max: 20 }),
      want: 20,
    },
    { name: "a CIDR in canonical form", got: () => read.cidr("cidr"), want: "2001:db8::5/64" },
    { name: "an IP in canonical form", got: () => read.ip("address"), want: "10.3.0.1" },
    { name: "a list of strings", got: () => read.stringList("list"), want: ["a", "b"] },
    {
      name: "a nested value",
      got: () => read.section("nested")?.cidr("range"),
      want: "10.1.0.0/24",
    },
    { name: "a required value", got: () => read.string("text", { required: true }), want: "hello" },
    {
      name: "a map of strings, its keys kept as written",
      got: () => read.stringMap("sysctl"),
      want: { "net.ipv4.conf.IFNAME.rp_filter": "2", "Net.Other": "1" },
    },
    {
      name: "a map under a key in another case",
      got: () => read.stringMap("SYSCTL"),
      want: { "net.ipv4.conf.IFNAME.rp_filter": "2", "Net.Other": "1" },
    },
    {
      name: "a list of sections",
      got: () => read.sectionList("ranges")?.map((r) => [r.cidr("subnet"), r.ip("gateway")]),
      want: [["10.1.0.0/24", undefined], ["10.2.0.0/24", "10.2.0.9"]],
    },
    {
      name: "an empty list of sections",
      got: () => configReader({ l: [] }).sectionList("l"),
      want: [],
    },
    {
      name: "any object as it is",
      got: () => read.object("settings"),
      want: { anything: [1, { deep: true }], n: null },
    },
    { name: "an absent object as undefined", got: () => read.object("missing"), want: undefined },
  ];
  for (const row of rows) {
    await t.step(`configReader() reads ${row.name}`, () => {
      assert.deepEqual(row.got(), row.want);
    });
  }
  await t.step("configReader() keeps the object it reads", () => {
    assert.equal(read.raw, RAW);
  });
});

Deno.test("configReader() refuses bad values with code 7 naming the key", async (t) => {
  const read = configReader(RAW);
  const rows: { name: string; fn: () => unknown; msg: string }[] = [
    {
      name: "a missing required key",
      fn: () => read.cidr("dst", { required: true }),
      msg: '"dst" is required',
    },
    {
      name: "an empty required string",
      fn: () => read.string("empty", { required: true }),
      msg: '"empty" is required',
    },
    {
      name: "a number for a string",
      fn: () => read.string("count"),
      msg: '"count" must be a string, got 20',
    },
    {
      name: "a string outside the choices",
      fn: () => read.string("text", { oneOf: ["a", "b"] }),
      msg: '"text" must be one of "a", "b", got "hello"',
    },
    {
      name: "a string for a boolean",
      fn: () => read.boolean("text"),
      msg: '"text" must be true or false',
    },
    {
      name: "an integer over the maximum",
      fn: () => read.integer("count", { max: 10 }),
      msg: '"count" must be an integer of at most 10, got 20',
    },
    {
      name: "an integer outside a range",
      fn: () => read.integer("count", { min: 68, max: 65535 }),
      msg: '"count" must be an integer from 68 to 65535, got 20',
    },
    {
      name: "an integer under the minimum",
      fn: () => read.integer("count", { min: 21 }),
      msg: '"count" must be an integer of at least 21, got 20',
    },
    {
      name: "a string for an integer",
      fn: () => read.integer("text"),
      msg: '"text" must be an integer, got "hello"',
    },
    {
      name: "an IP for a CIDR",
      fn: () => read.cidr("address"),
      msg: '"address" must be an address with a prefix',
    },
    { name: "a CIDR for an IP", fn: () => read.ip("cidr"), msg: '"cidr" must be an IP address' },
    {
      name: "a string for a list",
      fn: () => read.stringList("text"),
      msg: '"text" must be a list of strings',
    },
    {
      name: "a string for a section",
      fn: () => read.section("text"),
      msg: '"text" must be an object',
    },
    {
      name: "a bad nested value, with the dotted key",
      fn: () => read.section("nested")?.ip("range"),
      msg: '"nested.range" must be an IP address',
    },
    {
      name: "a list for a map of strings",
      fn: () => read.stringMap("list"),
      msg: '"list" must be an object of strings, got ["a","b"]',
    },
    {
      name: "a number in a map of strings, naming its key",
      fn: () => configReader({ sysctl: { "net.a": "1", "net.b": 2 } }).stringMap("sysctl"),
      msg: '"sysctl.net.b" must be a string, got 2',
    },
    {
      name: "a missing required map",
      fn: () => read.stringMap("missing", { required: true }),
      msg: '"missing" is required',
    },
    {
      name: "an object for a list of sections",
      fn: () => read.sectionList("nested"),
      msg: '"nested" must be a list of objects, got {"range":"10.1.0.0/24"}',
    },
    {
      name: "a string entry in a list of sections, naming its index",
      fn: () => configReader({ ranges: [{}, "x"] }).sectionList("ranges"),
      msg: '"ranges[1]" must be an object, got "x"',
    },
    {
      name: "a bad value in a listed section, naming key[i].field",
      fn: () => read.sectionList("ranges")?.[1]?.cidr("gateway"),
      msg: '"ranges[1].gateway" must be an address with a prefix length',
    },
    {
      name: "a bad value in a listed section of a section",
      fn: () =>
        configReader({ ipam: { ranges: [{ subnet: "x" }] } }).section("ipam")?.sectionList("ranges")
          ?.[0]?.cidr("subnet"),
      msg: '"ipam.ranges[0].subnet" must be an address with a prefix length',
    },
    {
      name: "a list for an object",
      fn: () => read.object("list"),
      msg: '"list" must be an object, got ["a","b"]',
    },
    {
      name: "an object holding a number that overflows a float64",
      fn: () =>
        configReader(parseJson('{"settings":{"a":[1,2e400]}}') as JsonObject).object("settings"),
      msg: '"settings" holds a number out of range: 2e400',
    },
  ];
  for (const row of rows) {
    await t.step(`configReader() refuses ${row.name}`, () => {
      assert.throws(row.fn, (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.equal(error.code, 7);
        assert.ok(error.message.startsWith("invalid network configuration: "), error.message);
        assert.ok(error.message.includes(row.msg), error.message);
        return true;
      });
    });
  }
});
