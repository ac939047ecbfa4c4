import assert from "node:assert/strict";
import { ConfigError, configError } from "../lib/config_error.ts";
import { configReader } from "../lib/config_reader.ts";
import { CniError } from "../lib/errors.ts";

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
