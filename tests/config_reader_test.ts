import assert from "node:assert/strict";
import { ConfigError, configError } from "../lib/config_error.ts";
import { configReader, unreadKeys } from "../lib/config_reader.ts";
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
    {
      name: "any value as it is, the last one set",
      got: () => configReader({ v: [1, "x"], V: 2.5 }).value("v"),
      want: 2.5,
    },
    { name: "an absent value as undefined", got: () => read.value("missing"), want: undefined },
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

Deno.test("configReader() reads a key repeated in another case as Go decodes it", async (t) => {
  const read = (text: string) => configReader(parseJson(text) as JsonObject);
  const refused: { name: string; fn: () => unknown; msg: string }[] = [
    {
      name: "a bad value before a good one",
      fn: () => read('{"flag":"yes","Flag":true}').boolean("flag"),
      msg: '"flag" must be true or false, got "yes"',
    },
    {
      name: "a bad value after a good one",
      fn: () => read('{"mtu":1500,"MTU":"big"}').integer("mtu"),
      msg: '"mtu" must be an integer, got "big"',
    },
    {
      name: "a section that is not an object before one that is",
      fn: () => read('{"Limits":5,"limits":{}}').section("limits"),
      msg: '"limits" must be an object, got 5',
    },
    {
      name: "a bad value in the first of two sections",
      fn: () =>
        read('{"limits":{"burst":"x"},"Limits":{"burst":5}}').section("limits")?.integer("burst"),
      msg: '"limits.burst" must be an integer, got "x"',
    },
    {
      name: "a bad value in the first of two maps",
      fn: () => read('{"labels":{"a":1},"Labels":{"b":"2"}}').stringMap("labels"),
      msg: '"labels.a" must be a string, got 1',
    },
  ];
  for (const row of refused) {
    await t.step(`configReader() refuses ${row.name}`, () => {
      assert.throws(row.fn, { code: 7, message: `invalid network configuration: ${row.msg}` });
    });
  }
  const rows: { name: string; got: () => unknown; want: unknown }[] = [
    { name: "the last value", got: () => read('{"a":"x","A":"y"}').string("a"), want: "y" },
    {
      name: "a value a later null leaves in place",
      got: () => read('{"a":"x","A":null}').string("a"),
      want: "x",
    },
    {
      name: "the members of both sections",
      got: () => {
        const limits = read('{"limits":{"burst":5,"peak":1},"Limits":{"peak":7}}').section(
          "limits",
        );
        return [limits?.integer("burst"), limits?.integer("peak")];
      },
      want: [5, 7],
    },
    {
      name: "both maps merged",
      got: () => read('{"labels":{"a":"1","b":"2"},"LABELS":{"b":"3"}}').stringMap("labels"),
      want: { a: "1", b: "3" },
    },
    {
      name: "an object a later null resets, as Go resets a map",
      got: () => read('{"extra":{"a":1},"Extra":null}').object("extra"),
      want: undefined,
    },
    {
      name: "the objects merged, as Go fills one map",
      got: () => read('{"extra":{"a":1},"Extra":{"b":2}}').object("extra"),
      want: { a: 1, b: 2 },
    },
  ];
  for (const row of rows) {
    await t.step(`configReader() reads ${row.name}`, () => assert.deepEqual(row.got(), row.want));
  }
});

Deno.test("configReader() reads routes naming the member at fault", async (t) => {
  const read = configReader({
    defaultRoute: { dst: "0.0.0.0/0", gw: "10.1.0.1", priority: 10, table: 100 },
    routes: [{ dst: "2001:DB8::/32", gw: "2001:DB8::1" }, { dst: "10.8.0.0/16", mtu: 1400 }],
    badRoutes: [{ dst: "2001:DB8::/32" }, { dst: "10.9.0.0/16", gw: "fe80::1" }],
    bad: { dst: "10.9.0.0/16", mtu: -1 },
    nodst: { gw: "10.1.0.1" },
    list: [{ dst: "10.0.0.0/8" }, "x"],
  });
  await t.step("read.route() reads a route with its attributes", () => {
    assert.deepEqual(read.route("defaultRoute"), {
      dst: "0.0.0.0/0",
      gw: "10.1.0.1",
      priority: 10,
      table: 100,
    });
  });
  await t.step("read.routeList() reads each route, canonical", () => {
    assert.deepEqual(read.routeList("routes"), [
      { dst: "2001:db8::/32", gw: "2001:db8::1" },
      { dst: "10.8.0.0/16", mtu: 1400 },
    ]);
  });
  await t.step("read.route() of an absent key is undefined, or required", () => {
    assert.equal(read.route("missing"), undefined);
    assert.throws(() => read.route("missing", { required: true }), {
      message: 'invalid network configuration: "missing" is required',
    });
  });
  const refused: [string, () => unknown, string][] = [
    [
      "a gateway of another family",
      () => read.routeList("badRoutes"),
      '"badRoutes[1].gw" must be in the IP family of "dst" (10.9.0.0/16), got "fe80::1"',
    ],
    [
      "a negative mtu",
      () => read.route("bad"),
      '"bad.mtu" must be an integer of at least 0, got -1',
    ],
    ["a route without dst", () => read.route("nodst"), '"nodst.dst" is required'],
    ["an entry that is not an object", () => read.routeList("list"), '"list[1]" must be an object'],
  ];
  for (const [name, fn, msg] of refused) {
    await t.step(`read.route() refuses ${name}`, () => {
      assert.throws(fn, (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.equal(error.code, 7);
        assert.ok(error.message.includes(msg), error.message);
        return true;
      });
    });
  }
});

Deno.test("configReader() says an integer beyond 2^53 is out of range", async (t) => {
  const rows: [string, string][] = [
    ['{"n":9007199254740992}', "9007199254740992"],
    ['{"n":9007199254740993}', "9007199254740992"],
    ['{"n":-9007199254740993}', "-9007199254740992"],
    ['{"n":1e21}', "1e+21"],
    ['{"n":1e400}', "1e400"],
  ];
  for (const [text, shown] of rows) {
    await t.step(`configReader() refuses ${text} as out of range`, () => {
      assert.throws(
        () => configReader(parseJson(text) as JsonObject).integer("n", { min: 0, max: 10 }),
        {
          code: 7,
          message: `invalid network configuration: "n" is out of range: ${shown} is beyond the ` +
            "integers a JSON number holds exactly (from -9007199254740991 to 9007199254740991)",
        },
      );
    });
  }
  await t.step("configReader() reads 9007199254740991, the largest", () => {
    assert.equal(configReader({ n: 9007199254740991 }).integer("n"), 9007199254740991);
  });
});

Deno.test("unreadKeys() names the keys no reader read", async (t) => {
  const raw = {
    name: "n",
    egresRate: 1,
    ingressRate: 2,
    limits: { burst: 1, brust: 2 },
    extra: { deep: { anything: 1 } },
    ranges: [{ subnet: "10.1.0.0/24", gatway: "10.1.0.1" }],
    ipam: { type: "x", subnet: "y" },
  };
  const readAll = () => {
    const read = configReader(raw);
    read.integer("ingressRate");
    read.integer("egressRate");
    read.section("limits")?.integer("burst");
    read.object("extra");
    for (const range of read.sectionList("ranges") ?? []) {
      range.cidr("subnet");
      range.ip("gateway");
    }
    return read;
  };
  await t.step("unreadKeys() lists them in document order, sections last", () => {
    assert.deepEqual(unreadKeys(readAll()), [
      { path: "name" },
      { path: "egresRate", near: "egressRate" },
      { path: "ipam" },
      { path: "limits.brust" },
      { path: "ranges[0].gatway", near: "gateway" },
    ]);
  });
  await t.step("unreadKeys() counts a key read by value() as read", () => {
    const read = readAll();
    read.value("name");
    read.value("ipam");
    assert.deepEqual(unreadKeys(read).map((key) => key.path), [
      "egresRate",
      "limits.brust",
      "ranges[0].gatway",
    ]);
  });
  await t.step("unreadKeys() leaves out what `ignore` names, and all under it", () => {
    const read = readAll();
    read.section("ipam")?.string("type");
    assert.deepEqual(
      unreadKeys(read, { ignore: (key) => ["name", "ipam"].includes(key) }).map((k) => k.path),
      ["egresRate", "limits.brust", "ranges[0].gatway"],
    );
  });
  await t.step("unreadKeys() looks inside one section", () => {
    const read = readAll();
    read.section("ipam")?.string("type");
    assert.deepEqual(unreadKeys(read, { section: "ipam" }), [{ path: "ipam.subnet" }]);
  });
  await t.step("unreadKeys() counts what every reader of a section read", () => {
    const read = configReader({ limits: { a: 1, b: 2 } });
    read.section("limits")?.integer("a");
    read.section("Limits")?.integer("b");
    assert.deepEqual(unreadKeys(read), []);
  });
  await t.step("unreadKeys() is empty when every key was read", () => {
    const read = configReader({ a: 1, B: 2 });
    read.integer("a");
    read.integer("b");
    assert.deepEqual(unreadKeys(read), []);
  });
});
