import assert from "node:assert/strict";
import {
  networkConfigListFromPlugin,
  parseNetworkConfigList,
  parsePluginConfig,
} from "../../lib/runtime/network_config.ts";

const decoder = new TextDecoder();

Deno.test("parseNetworkConfigList() reads a list and keeps its bytes", () => {
  const text =
    '{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a","x":1},{"type":"b","name":"own"}]}\n';
  const list = parseNetworkConfigList(text);
  assert.equal(list.name, "n");
  assert.equal(list.cniVersion, "1.0.0");
  assert.equal(list.disableCheck, false);
  assert.equal(list.disableGC, false);
  assert.equal(list.loadOnlyInlinedPlugins, false);
  assert.equal(decoder.decode(list.bytes), text);
  assert.deepEqual(list.plugins.map((p) => [p.type, p.name, p.raw]), [
    ["a", "", { type: "a", x: 1 }],
    ["b", "own", { type: "b", name: "own" }],
  ]);
});

Deno.test("parseNetworkConfigList() applies cniVersions (spec 1.1.0)", async (t) => {
  const rows: [string, Record<string, unknown>, string][] = [
    [
      "the highest up to 1.1.0",
      { cniVersion: "0.4.0", cniVersions: ["0.3.1", "1.0.0", "2.0.0"] },
      "1.0.0",
    ],
    ["without cniVersion", { cniVersions: ["0.3.1", "1.0.0"] }, "1.0.0"],
    ["cniVersion wins when higher", { cniVersion: "1.1.0", cniVersions: ["1.0.0"] }, "1.1.0"],
    [
      "nothing qualifies: cniVersion stays",
      { cniVersion: "9.0.0", cniVersions: ["2.0.0"] },
      "9.0.0",
    ],
    ["nothing at all", { cniVersions: ["2.0.0"] }, ""],
    ["absent", { cniVersion: "0.3.1" }, "0.3.1"],
  ];
  for (const [name, fields, expected] of rows) {
    await t.step(name, () => {
      const list = parseNetworkConfigList(
        JSON.stringify({ name: "n", ...fields, plugins: [{ type: "a" }] }),
      );
      assert.equal(list.cniVersion, expected);
    });
  }
});

Deno.test("parseNetworkConfigList() reads the flags as booleans or true/false strings", async (t) => {
  for (const key of ["disableCheck", "disableGC", "loadOnlyInlinedPlugins"] as const) {
    for (
      const [value, expected] of [[true, true], [false, false], ["TRUE", true], [
        "False",
        false,
      ]] as const
    ) {
      await t.step(`${key}: ${JSON.stringify(value)}`, () => {
        const list = parseNetworkConfigList(
          JSON.stringify({ name: "n", [key]: value, plugins: [{ type: "a" }] }),
        );
        assert.equal(list[key], expected);
      });
    }
  }
});

Deno.test("parseNetworkConfigList() refuses what libcni refuses", async (t) => {
  const prefix = "error parsing configuration list: ";
  const rows: [string, string, string][] = [
    ["empty", "", `${prefix}unexpected end of JSON input`],
    ["not JSON", "{x", `${prefix}invalid character 'x' looking for beginning of object key string`],
    [
      "an array",
      "[]",
      `${prefix}json: cannot unmarshal array into Go value of type map[string]interface {}`,
    ],
    ["null", "null", `${prefix}no name`],
    ["no name", '{"plugins":[]}', `${prefix}no name`],
    ["a number as name", '{"name":5}', `${prefix}invalid name type float64`],
    ["a null name", '{"name":null}', `${prefix}invalid name type <nil>`],
    [
      "a number as cniVersion",
      '{"name":"n","cniVersion":1}',
      `${prefix}invalid cniVersion type float64`,
    ],
    [
      "cniVersions not a list",
      '{"name":"n","cniVersions":"1.0.0"}',
      `${prefix}invalid type for cniVersions: []interface {}`,
    ],
    [
      "a cniVersions entry not a string",
      '{"name":"n","cniVersions":[1]}',
      `${prefix}invalid type for cniVersions index 0: float64`,
    ],
    [
      "a cniVersions entry that does not parse",
      '{"name":"n","cniVersions":["1.0.0","x"]}',
      `${prefix}invalid cniVersions entry x at index 1: failed to convert major version part "x": strconv.Atoi: parsing "x": invalid syntax`,
    ],
    [
      "a cniVersion that does not parse, with cniVersions",
      '{"name":"n","cniVersion":"1.2.3.4","cniVersions":[]}',
      `${prefix}invalid cniVersion 1.2.3.4: invalid version "1.2.3.4": too many parts`,
    ],
    [
      "disableCheck yes",
      '{"name":"n","disableCheck":"Yes"}',
      `${prefix}invalid value "yes" for disableCheck`,
    ],
    ["disableGC 1", '{"name":"n","disableGC":1}', `${prefix}invalid type float64 for disableGC`],
    [
      "loadOnlyInlinedPlugins without plugins",
      '{"name":"n","loadOnlyInlinedPlugins":true}',
      `${prefix}\`loadOnlyInlinedPlugins\` is true, and no 'plugins' key`,
    ],
    [
      "plugins not a list",
      '{"name":"n","plugins":{}}',
      `${prefix}invalid 'plugins' type map[string]interface {}`,
    ],
    ["no plugins", '{"name":"n","plugins":[]}', `${prefix}no plugins in list`],
    [
      "a plugin without type",
      '{"name":"n","plugins":[{"type":"a"},{"x":1}]}',
      "failed to parse plugin config 1: error parsing configuration: missing 'type'",
    ],
    [
      "a plugin that is not an object",
      '{"name":"n","plugins":["a"]}',
      "failed to parse plugin config 0: error parsing configuration: json: cannot unmarshal string into Go value of type types.PluginConf",
    ],
    [
      "a plugin whose type is a number",
      '{"name":"n","plugins":[{"type":1}]}',
      "failed to parse plugin config 0: error parsing configuration: json: cannot unmarshal number into Go struct field PluginConf.type of type string",
    ],
    [
      "capabilities not booleans",
      '{"name":"n","plugins":[{"type":"a","capabilities":{"x":"yes"}}]}',
      "failed to parse plugin config 0: error parsing configuration: json: cannot unmarshal string into Go struct field PluginConf.capabilities of type bool",
    ],
    [
      "an ipam type that is a number",
      '{"name":"n","plugins":[{"type":"a","ipam":{"type":1}}]}',
      "failed to parse plugin config 0: error parsing configuration: json: cannot unmarshal number into Go struct field IPAM.ipam.type of type string",
    ],
    [
      "dns nameservers not a list",
      '{"name":"n","plugins":[{"type":"a","dns":{"nameservers":"x"}}]}',
      "failed to parse plugin config 0: error parsing configuration: json: cannot unmarshal string into Go struct field DNS.dns.nameservers of type []string",
    ],
    [
      "a number beyond float64 anywhere",
      '{"name":"n","plugins":[{"type":"a","ipam":{"mtu":1e400}}]}',
      `${prefix}json: cannot unmarshal number 1e400 into Go value of type float64`,
    ],
    [
      "a number beyond float64 as the list",
      "-1e400",
      `${prefix}json: cannot unmarshal number into Go value of type map[string]interface {}`,
    ],
    [
      "a prevResult that is a string",
      '{"name":"n","plugins":[{"type":"a","prevResult":"x"}]}',
      "failed to parse plugin config 0: error parsing configuration: json: cannot unmarshal string into Go struct field PluginConf.prevResult of type map[string]interface {}",
    ],
  ];
  for (const [name, text, message] of rows) {
    await t.step(name, () => assert.throws(() => parseNetworkConfigList(text), { message }));
  }
});

Deno.test("parseNetworkConfigList() leaves plugins to the directory when the key is absent", () => {
  const list = parseNetworkConfigList('{"name":"n","cniVersion":"1.1.0"}');
  assert.deepEqual(list.plugins, []);
});

Deno.test("parsePluginConfig() matches the spec's keys ignoring case, as Go does", () => {
  const plugin = parsePluginConfig(
    '{"TYPE":"a","Name":"x","Capabilities":{"portMappings":true,"b":false,"c":null}}',
  );
  assert.equal(plugin.type, "a");
  assert.equal(plugin.name, "x");
  assert.deepEqual(plugin.capabilities, { portMappings: true, b: false, c: false });
  assert.throws(() => parsePluginConfig("{}"), {
    message: "error parsing configuration: missing 'type'",
  });
  assert.throws(() => parsePluginConfig("x"), {
    message: "error parsing configuration: invalid character 'x' looking for beginning of value",
  });
});

Deno.test("parsePluginConfig() reads a number beyond float64 as Go's struct decoding does", async (t) => {
  await t.step("at a key of the plugin's own it is kept", () => {
    const plugin = parsePluginConfig('{"type":"a","mtu":1e400}');
    assert.equal(JSON.stringify(plugin.raw), '{"type":"a","mtu":1e400}');
  });
  const rows: [string, string, string][] = [
    [
      "in prevResult",
      '{"type":"a","prevResult":{"ips":[{"mtu":1e400}]}}',
      "json: cannot unmarshal number 1e400 into Go struct field PluginConf.prevResult of type float64",
    ],
    [
      "as ipam",
      '{"type":"a","ipam":1e400}',
      "json: cannot unmarshal number into Go struct field PluginConf.ipam of type types.IPAM",
    ],
    [
      "as a capability",
      '{"type":"a","capabilities":{"x":1e400}}',
      "json: cannot unmarshal number into Go struct field PluginConf.capabilities of type bool",
    ],
  ];
  for (const [name, text, reason] of rows) {
    await t.step(`${name} it fails`, () => {
      assert.throws(() => parsePluginConfig(text), {
        message: `error parsing configuration: ${reason}`,
      });
    });
  }
  await t.step("made a list, it fails as the list's decoding into a map does", () => {
    const plugin = parsePluginConfig('{"name":"n","type":"a","mtu":-2E+999}');
    assert.throws(() => networkConfigListFromPlugin(plugin), {
      message:
        "error parsing configuration list: json: cannot unmarshal number -2E+999 into Go value of type float64",
    });
  });
});

Deno.test("networkConfigListFromPlugin() makes a one-plugin list as libcni does", () => {
  const plugin = parsePluginConfig(
    '{"cniVersion":"0.4.0","name":"single","type":"a","b":"<x>","disableCheck":true}',
  );
  const list = networkConfigListFromPlugin(plugin);
  assert.equal(list.name, "single");
  assert.equal(list.cniVersion, "0.4.0");
  // The list's own keys come from the plugin's name and version only.
  assert.equal(list.disableCheck, false);
  assert.equal(
    decoder.decode(list.bytes),
    '{"cniVersion":"0.4.0","name":"single","plugins":[{"b":"\\u003cx\\u003e","cniVersion":"0.4.0","disableCheck":true,"name":"single","type":"a"}]}',
  );
  assert.equal(list.plugins.length, 1);
});

Deno.test("parseNetworkConfigList() finds a plugin's type as libcni does, keys sorted by bytes", async (t) => {
  // libcni writes each plugin of a list out again with its keys sorted, then decodes it into a
  // struct, each key that matches a field ignoring case setting it: "type" sorts after every
  // other spelling, and wins. A single configuration is decoded in its own order. (What Go 1.19
  // and libcni 1.1.2 gave for each.)
  const rows: [string, string, string][] = [
    ['{"type":"lower","TYPE":"upper"}', "lower", "upper"],
    ['{"TYPE":"upper","type":"lower"}', "lower", "lower"],
    ['{"TYPE":"upper","Type":"title"}', "title", "title"],
    ['{"Type":"title","TYPE":"upper"}', "title", "upper"],
    ['{"tYPE":"x","TyPe":"y"}', "x", "y"],
    ['{"type":"lower","TYPE":null}', "lower", "lower"],
    ['{"type":null,"TYPE":"upper"}', "upper", "upper"],
  ];
  for (const [plugin, inList, alone] of rows) {
    await t.step(plugin, () => {
      const list = parseNetworkConfigList(
        `{"name":"l","cniVersion":"1.0.0","plugins":[${plugin}]}`,
      );
      assert.equal(list.plugins[0]!.type, inList);
      assert.equal(parsePluginConfig(plugin).type, alone);
    });
  }
  await t.step("the plugin's name, and capabilities spelt with a long s", () => {
    const plugin = '{"type":"a","name":"n1","NAME":"n2","capabilitie\u017f":{"x":true}}';
    const list = parseNetworkConfigList(`{"name":"l","plugins":[${plugin}]}`);
    assert.deepEqual([list.plugins[0]!.name, list.plugins[0]!.capabilities], ["n1", { x: true }]);
    assert.deepEqual(
      [parsePluginConfig(plugin).name, parsePluginConfig(plugin).capabilities],
      ["n2", { x: true }],
    );
  });
  await t.step("a null map after a value resets it, in the order decoded", () => {
    const plugin = '{"type":"a","capabilities":{"x":true},"CAPABILITIES":null}';
    const list = parseNetworkConfigList(`{"name":"l","plugins":[${plugin}]}`);
    assert.deepEqual(list.plugins[0]!.capabilities, { x: true });
    assert.deepEqual(parsePluginConfig(plugin).capabilities, {});
  });
});

Deno.test("parseNetworkConfigList() and parsePluginConfig() take 10,000 levels of nesting, as Go", async (t) => {
  const nest = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
  // The list, "plugins" and the plugin are three levels.
  for (const depth of [2_500, 10_000]) {
    await t.step(`${depth} levels`, () => {
      const list = parseNetworkConfigList(
        `{"name":"l","plugins":[{"type":"a","deep":${nest(depth - 3)}}]}`,
      );
      assert.equal(list.plugins[0]!.type, "a");
      assert.equal(parsePluginConfig(`{"type":"a","deep":${nest(depth - 1)}}`).type, "a");
    });
  }
  await t.step("after a number beyond float64 was read, which is looked for at every level", () => {
    assert.throws(
      () => parseNetworkConfigList('{"name":"l","n":1e999,"plugins":[{"type":"a"}]}'),
      /cannot unmarshal number 1e999/,
    );
    const list = parseNetworkConfigList(
      `{"name":"l","plugins":[{"type":"a","deep":${nest(9_997)}}]}`,
    );
    assert.equal(list.plugins[0]!.type, "a");
  });
  await t.step("10,001 levels are refused with Go's words", () => {
    assert.throws(
      () => parseNetworkConfigList(`{"name":"l","plugins":[{"type":"a","deep":${nest(9_998)}}]}`),
      { message: "error parsing configuration list: invalid character '[' exceeded max depth" },
    );
    assert.throws(() => parsePluginConfig(`{"type":"a","deep":{"x":${nest(9_999)}}}`), {
      message: "error parsing configuration: invalid character '[' exceeded max depth",
    });
    assert.throws(
      () =>
        parsePluginConfig(`{"type":"a","deep":${'{"x":'.repeat(10_000)}1${"}".repeat(10_000)}}`),
      {
        message: "error parsing configuration: invalid character '{' exceeded max depth",
      },
    );
  });
});
